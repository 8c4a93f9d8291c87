package e2e

import (
	"crypto/x509"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/testutil"
	"github.com/archway-ingress/archway/test/harness"
)

// TestHostileTenant shares a host between two namespaces through the API
// server: team-a serves it, then team-b tries to take it over with a
// canary on team-a's path, host-scoped annotations, a rule-less TLS
// section, a regex "/" and the same path. team-a's answers stay as they
// were, and each attempt is a Warning Event on team-b's Ingress that names
// nothing of team-a's.
func TestHostileTenant(t *testing.T) {
	t.Parallel()
	s := env
	const (
		teamA, teamB = "team-a", "team-b"
		host         = "shared.example"
		aIngress     = "storefront"
	)
	for _, ns := range []string{teamA, teamB} {
		s.NewNamespaceNamed(t, ns)
	}
	const class = "hostile-tenant"
	s.CreateIngressClass(t, class, harness.ControllerClass)
	s.CreateService(t, teamA, "app", true, s.StartBackend(t, "a"))
	s.CreateService(t, teamB, "app", true, s.StartBackend(t, "b"))
	a := s.startArchway(t, harness.ArchwayOptions{Class: class})

	const prefix = networkingv1.PathTypePrefix
	newIngress := func(ns, name string, annots map[string]string, routes ...harness.Route) *networkingv1.Ingress {
		ing := harness.WithClass(harness.NewIngress(ns, name, routes...), class)
		ing.Annotations = map[string]string{}
		for k, v := range annots {
			ing.Annotations[annotations.DefaultPrefix+"/"+k] = v
		}
		return ing
	}
	s.CreateIngress(t, newIngress(teamA, aIngress, nil, harness.Route{Host: host, Path: "/", PathType: prefix, Service: "app"}))
	a.WaitFor(t, host, "/", harness.Served("a"))
	cert, answer := a.https(t, host)
	require.Equal(t, harness.Served("a"), answer)

	// team-b's attempts, each newer than team-a's Ingress.
	ca := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"client-ca.test"}, CA: true, ClientAuth: true})
	own := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{host}})
	for _, secret := range []*corev1.Secret{
		{ObjectMeta: metav1.ObjectMeta{Name: "ca"}, Data: map[string][]byte{"ca.crt": ca.CertPEM}},
		{ObjectMeta: metav1.ObjectMeta{Name: "tls"}, Type: corev1.SecretTypeTLS,
			Data: map[string][]byte{corev1.TLSCertKey: own.CertPEM, corev1.TLSPrivateKeyKey: own.KeyPEM}},
	} {
		_, err := s.Cluster.Admin.CoreV1().Secrets(teamB).Create(t.Context(), secret, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	time.Sleep(time.Second) // creationTimestamp counts seconds
	regex := newIngress(teamB, "regex", map[string]string{"use-regex": "true"},
		harness.Route{Host: host, Path: "/", Service: "app"})
	regex.Spec.Rules[0].HTTP.Paths[0].PathType = ptr.To(networkingv1.PathTypeImplementationSpecific)
	// The API server wants a rule or a default backend: a rule without
	// paths routes nothing.
	tlsOnly := newIngress(teamB, "tls", nil)
	tlsOnly.Spec.Rules = []networkingv1.IngressRule{{Host: host}}
	tlsOnly.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{host}, SecretName: "tls"}}
	canary := newIngress(teamB, "canary", map[string]string{"canary": "true", "canary-weight": "100"},
		harness.Route{Host: host, Path: "/", PathType: prefix, Service: "app"})
	hostScoped := newIngress(teamB, "hosts", map[string]string{"server-alias": "alias.example",
		"from-to-www-redirect": "true", "auth-tls-secret": "ca", "auth-tls-error-page": "https://evil.example/"},
		harness.Route{Host: host, Path: "/b", PathType: prefix, Service: "app"})
	samePath := newIngress(teamB, "same-path", nil, harness.Route{Host: host, Path: "/", PathType: prefix, Service: "app"})
	for _, ing := range []*networkingv1.Ingress{canary, hostScoped, tlsOnly, regex, samePath} {
		s.CreateIngress(t, ing)
	}
	// Syncs see Ingresses in order: once this one is served, so are all.
	s.CreateIngress(t, newIngress(teamB, "sentinel", nil, harness.Route{Host: "b.example", Path: "/", PathType: prefix, Service: "app"}))
	a.WaitFor(t, "b.example", "/", harness.Served("b"))

	for _, path := range []string{"/", "/x"} {
		for range 10 {
			a.Expect(t, host, path, harness.Served("a"))
		}
	}
	got, answer := a.https(t, host)
	require.Equal(t, harness.Served("a"), answer, "HTTPS without a client certificate")
	require.True(t, got.Equal(cert), "certificate changed to one for %v", got.DNSNames)
	a.Expect(t, "alias.example", "/", harness.NotFound)
	a.Expect(t, "www."+host, "/", harness.NotFound)

	want := map[string]string{"canary": "CanaryWithoutMain", "hosts": "HostNotOwned", "tls": "HostNotOwned", "regex": "HostNotOwned",
		"same-path": "PathConflict"}
	require.NoError(t, harness.Eventually(20*time.Second, 100*time.Millisecond, func() error {
		for name, reason := range want {
			events, err := s.ingressEvents(t.Context(), teamB, name)
			if err != nil {
				return err
			}
			found := false
			for _, e := range events {
				if strings.Contains(e.Message, teamA) || strings.Contains(e.Message, aIngress) {
					return fmt.Errorf("Event of %s/%s names team-a's objects: %q", teamB, name, e.Message)
				}
				found = found || e.Reason == reason && e.Type == corev1.EventTypeWarning
			}
			if !found {
				return fmt.Errorf("no Warning Event %s on %s/%s (%d Events)", reason, teamB, name, len(events))
			}
		}
		return nil
	}))
}

// https sends GET / for host to archway's HTTPS port, without a client
// certificate, and returns the certificate presented and the answer.
func (a *archway) https(t *testing.T, host string) (*x509.Certificate, harness.Answer) {
	t.Helper()
	resp, err := a.httpsClient(host).Get("https://" + host + "/")
	require.NoError(t, err)
	defer resp.Body.Close()
	return resp.TLS.PeerCertificates[0], harness.Answer{Status: resp.StatusCode, Backend: resp.Header.Get("X-Backend")}
}
