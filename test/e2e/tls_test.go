package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/internal/testutil"
	"github.com/archway-ingress/archway/test/harness"
)

// TestTLSSecrets serves a host with the certificate of a kubernetes.io/tls
// Secret read through the API server, beside a Helm release Secret that
// archway leaves out of its cache, and follows the Secret's rotation.
func TestTLSSecrets(t *testing.T) {
	t.Parallel()
	s := env
	ns := s.classNamespace(t)
	s.CreateService(t, ns, "app", true, s.StartBackend(t, "app"))
	secrets := s.Cluster.Admin.CoreV1().Secrets(ns)
	_, err := secrets.Create(t.Context(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "sh.helm.release.v1.app.v1"},
		Type:       "helm.sh/release.v1",
		Data:       map[string][]byte{"release": bytes.Repeat([]byte("x"), 1<<20)},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	first := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"secure.example"}})
	secret, err := secrets.Create(t.Context(), first.Secret("", "secure-tls"), metav1.CreateOptions{})
	require.NoError(t, err)
	a := s.startArchway(t, harness.ArchwayOptions{Class: ns})
	s.createTLSIngress(t, ns, "secure.example", "secure-tls")
	a.presents(t, "secure.example", first)

	rotated := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"secure.example"}})
	secret.Data = rotated.Secret("", "").Data
	_, err = secrets.Update(t.Context(), secret, metav1.UpdateOptions{})
	require.NoError(t, err)
	a.presents(t, "secure.example", rotated)
}

// presents waits until an HTTPS request for host gets want's certificate
// and a 200 from the backend, and only workers of that config accept.
func (a *archway) presents(t *testing.T, host string, want testutil.Cert) {
	t.Helper()
	client := a.httpsClient(host)
	require.NoError(t, harness.Eventually(20*time.Second, 50*time.Millisecond, func() error {
		resp, err := client.Get("https://" + host + "/")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		switch {
		case !resp.TLS.PeerCertificates[0].Equal(want.Leaf):
			return fmt.Errorf("presented %v", resp.TLS.PeerCertificates[0].Subject)
		case resp.StatusCode != http.StatusOK || resp.Header.Get("X-Backend") == "":
			return fmt.Errorf("answered %s", resp.Status)
		}
		return nil
	}), "HTTPS for %s", host)
	a.OneGeneration(t)
}

// httpsClient sends every request to archway's HTTPS port, with SNI host
// and no client certificate, and accepts any certificate.
func (a *archway) httpsClient(host string) *http.Client {
	return &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		TLSClientConfig:   &tls.Config{ServerName: host, InsecureSkipVerify: true},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", strconv.Itoa(a.HTTPSPort)))
		},
	}}
}

// TestCertificateRenewalUnderTraffic renews a host's certificate through
// the API server five times while a client keeps opening HTTPS connections
// to it: nginx serves each new certificate from a handshake shortly after
// the update, with no reload, the same workers, and no failed handshake or
// request.
func TestCertificateRenewalUnderTraffic(t *testing.T) {
	t.Parallel()
	s := env
	ns := s.classNamespace(t)
	s.CreateService(t, ns, "app", true, s.StartBackend(t, "app"))
	secrets := s.Cluster.Admin.CoreV1().Secrets(ns)
	issue := func() testutil.Cert {
		return testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"renewed.example"}})
	}
	cert := issue()
	secret, err := secrets.Create(t.Context(), cert.Secret("", "renewed-tls"), metav1.CreateOptions{})
	require.NoError(t, err)
	a := s.startArchway(t, harness.ArchwayOptions{Class: ns})
	s.createTLSIngress(t, ns, "renewed.example", "renewed-tls")
	a.presents(t, "renewed.example", cert)
	reloads := a.settledReloads(t)
	workers := a.workers(t)

	client := a.httpsClient("renewed.example") // a handshake per request
	traffic := startTraffic(func() error {
		resp, err := client.Get("https://renewed.example/")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("answered %s", resp.Status)
		}
		return nil
	})
	for range 5 {
		cert = issue()
		secret.Data = cert.Secret("", "").Data
		updated := time.Now()
		secret, err = secrets.Update(t.Context(), secret, metav1.UpdateOptions{})
		require.NoError(t, err)
		a.presents(t, "renewed.example", cert)
		t.Logf("renewed certificate served %v after the update", time.Since(updated).Round(time.Millisecond))
	}
	traffic.stopWithoutFailure(t, "the renewals")
	a.requireNoReload(t, reloads, workers, "certificate renewals")
}

// createTLSIngress creates an Ingress of class ns that routes host to the
// Service "app" over TLS with the Secret secret.
func (s *suite) createTLSIngress(t *testing.T, ns, host, secret string) {
	ing := harness.WithClass(harness.NewIngress(ns, strings.Split(host, ".")[0],
		harness.Route{Host: host, Path: "/", PathType: networkingv1.PathTypePrefix, Service: "app"},
	), ns)
	ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{host}, SecretName: secret}}
	s.CreateIngress(t, ing)
}
