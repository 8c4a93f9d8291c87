package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strconv"
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
	ns := s.NewNamespace(t)
	s.CreateIngressClass(t, ns, harness.ControllerClass)
	s.CreateService(t, ns, "app", true, s.StartBackend(t, "app"))
	secrets := s.Cluster.Admin.CoreV1().Secrets(ns)
	_, err := secrets.Create(t.Context(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "sh.helm.release.v1.app.v1"},
		Type:       "helm.sh/release.v1",
		Data:       map[string][]byte{"release": bytes.Repeat([]byte("x"), 1<<20)},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	first := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"secure.example"}})
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "secure-tls"},
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{corev1.TLSCertKey: first.CertPEM, corev1.TLSPrivateKeyKey: first.KeyPEM},
	}
	secret, err = secrets.Create(t.Context(), secret, metav1.CreateOptions{})
	require.NoError(t, err)

	a := s.startArchway(t, harness.ArchwayOptions{Class: ns})
	ing := harness.WithClass(harness.NewIngress(ns, "secure",
		harness.Route{Host: "secure.example", Path: "/", PathType: networkingv1.PathTypePrefix, Service: "app"},
	), ns)
	ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{"secure.example"}, SecretName: "secure-tls"}}
	s.CreateIngress(t, ing)
	a.presents(t, "secure.example", first)

	rotated := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"secure.example"}})
	secret.Data = map[string][]byte{corev1.TLSCertKey: rotated.CertPEM, corev1.TLSPrivateKeyKey: rotated.KeyPEM}
	_, err = secrets.Update(t.Context(), secret, metav1.UpdateOptions{})
	require.NoError(t, err)
	a.presents(t, "secure.example", rotated)
}

// presents waits until an HTTPS request for host gets want's certificate
// and a 200 from the backend.
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
