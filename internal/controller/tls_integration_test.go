package controller

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/internal/testutil"
)

func tlsIngress(name, host, secret string) *networkingv1.Ingress {
	ing := ingress(name, host)
	ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{host}, SecretName: secret}}
	return ing
}

// handshake connects to nginx's HTTPS port with SNI host, requests / and
// returns the certificate presented and the status; nil on any failure.
func (c *cluster) handshake(host string) (*x509.Certificate, int) {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp",
		net.JoinHostPort("127.0.0.1", strconv.Itoa(c.httpsPort)), &tls.Config{ServerName: host, InsecureSkipVerify: true})
	if err != nil {
		return nil, 0
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", host); err != nil {
		return nil, 0
	}
	response, err := io.ReadAll(conn)
	fields := strings.Fields(string(response))
	if err != nil || len(fields) < 2 {
		return nil, 0
	}
	status, _ := strconv.Atoi(fields[1])
	return conn.ConnectionState().PeerCertificates[0], status
}

// redirect returns the Location of a 308 answer to a plain HTTP request,
// without following it.
func (c *cluster) redirect(host, path string) string {
	c.t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(c.port)+path, nil)
	require.NoError(c.t, err)
	req.Host = host
	resp, err := client.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	require.Equal(c.t, http.StatusPermanentRedirect, resp.StatusCode)
	return resp.Header.Get("Location")
}

// presents waits until nginx presents want for host and answers status,
// then for oneGeneration.
func (c *cluster) presents(host string, want *x509.Certificate, status int) {
	c.t.Helper()
	require.Eventually(c.t, func() bool {
		got, code := c.handshake(host)
		return got != nil && got.Equal(want) && code == status
	}, nginxWait, 20*time.Millisecond, "%s: want the certificate for %v and %d", host, want.DNSNames, status)
	c.oneGeneration()
}

// expiryIs waits until the expiry gauge of host is want (0: no series),
// which the controller sets after the reload.
func (c *cluster) expiryIs(host string, want time.Time) {
	c.t.Helper()
	require.Eventually(c.t, func() bool {
		got, ok := c.expiry(host)
		if want.IsZero() {
			return !ok
		}
		return ok && got == float64(want.Unix())
	}, nginxWait, 20*time.Millisecond, "expiry of %s", host)
}

// expiry returns the expiry gauge of host, or false when it has none.
func (c *cluster) expiry(host string) (float64, bool) {
	for _, s := range samples(c.t, c.registry, "nginx_ingress_controller_ssl_expire_time_seconds") {
		if s.labels["host"] == host {
			return s.value, true
		}
	}
	return 0, false
}

// keyFiles returns the names and modes of the files in the runtime dir's
// certificate folder: only the default certificate's, since hosts'
// certificates live in nginx's shared memory.
func (c *cluster) keyFiles() map[string]os.FileMode {
	entries, err := os.ReadDir(filepath.Join(c.dir, "tls"))
	require.NoError(c.t, err)
	files := map[string]os.FileMode{}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			info, err := e.Info()
			require.NoError(c.t, err)
			files[e.Name()] = info.Mode().Perm()
		}
	}
	return files
}

// TestSecretRotation rotates a TLS Secret as cert-manager does, breaks it
// and fixes it: nginx serves each new certificate at the next handshake
// without a reload, a broken Secret costs only its own host its
// certificate, and no host's key is ever a file.
func TestSecretRotation(t *testing.T) {
	c := startCluster(t)
	ctx := context.Background()
	secrets := c.client.CoreV1().Secrets("default")
	site := func() testutil.Cert {
		return testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"site.example.com"}})
	}
	first, other := site(), testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"other.example.com"}})

	c.create(service("web"))
	c.create(endpointSlice("web", backend(t, "web")))
	c.create(first.Secret("default", "site-tls"))
	c.create(other.Secret("default", "other-tls"))
	c.create(tlsIngress("site", "site.example.com", "site-tls"))
	c.create(tlsIngress("other", "other.example.com", "other-tls"))
	c.presents("site.example.com", first.Leaf, 200)
	c.presents("other.example.com", other.Leaf, 200)
	c.presents("unknown.example.com", c.fallback.Leaf, 404)
	require.Equal(t, "https://site.example.com:"+strconv.Itoa(c.httpsPort)+"/x", c.redirect("site.example.com", "/x"))
	c.expiryIs("site.example.com", first.Leaf.NotAfter)
	files := c.keyFiles()
	require.Len(t, files, 1, "the default certificate's file alone")
	for name, mode := range files {
		require.Equal(t, os.FileMode(0o600), mode, name)
	}
	reloads := c.reloads()

	rotate := func(cert testutil.Cert) {
		t.Helper()
		_, err := secrets.Update(ctx, cert.Secret("default", "site-tls"), metav1.UpdateOptions{})
		require.NoError(t, err)
	}
	second := site()
	rotate(second)
	c.presents("site.example.com", second.Leaf, 200)
	c.expiryIs("site.example.com", second.Leaf.NotAfter)
	third := site()
	rotate(third)
	c.presents("site.example.com", third.Leaf, 200)
	require.Equal(t, files, c.keyFiles())

	// A key that does not match: the host falls back to the default
	// certificate and reports why; the other host keeps its own.
	broken := third.Secret("default", "site-tls")
	broken.Data["tls.key"] = other.KeyPEM
	_, err := secrets.Update(ctx, broken, metav1.UpdateOptions{})
	require.NoError(t, err)
	c.presents("site.example.com", c.fallback.Leaf, 200)
	c.presents("other.example.com", other.Leaf, 200)
	c.expiryIs("site.example.com", time.Time{}) // no certificate of its own
	c.expiryIs("other.example.com", other.Leaf.NotAfter)

	fixed := site()
	rotate(fixed)
	c.presents("site.example.com", fixed.Leaf, 200)
	require.Equal(t, reloads, c.reloads(), "certificate changes are pushed, never reloaded")
	require.Equal(t, files, c.keyFiles())
	require.Equal(t, 1.0, metricValue(t, c.registry, "nginx_ingress_controller_config_last_reload_successful"))
	require.Zero(t, metricValue(t, c.registry, "nginx_ingress_controller_errors"))
}

// TestCertificateSelection serves each SNI name the certificate nginx's
// choice of server by SNI gives it: the exact host's, then the wildcard
// host's (one label), then the default one; an exact host without a
// certificate of its own gets the default one, not the wildcard's.
func TestCertificateSelection(t *testing.T) {
	c := startCluster(t)
	exact := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"a.example.com"}})
	wildcard := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"*.example.com"}})
	c.create(service("web"))
	c.create(endpointSlice("web", backend(t, "web")))
	c.create(exact.Secret("default", "exact-tls"))
	c.create(wildcard.Secret("default", "wildcard-tls"))
	c.create(tlsIngress("exact", "a.example.com", "exact-tls"))
	c.create(tlsIngress("wildcard", "*.example.com", "wildcard-tls"))
	c.create(ingress("plain", "plain.example.com"))

	c.presents("a.example.com", exact.Leaf, 200)
	c.presents("b.example.com", wildcard.Leaf, 200)
	c.presents("A.Example.COM", exact.Leaf, 200)
	c.presents("plain.example.com", c.fallback.Leaf, 200)
	c.presents("x.b.example.com", c.fallback.Leaf, 404)
	c.presents("example.com", c.fallback.Leaf, 404)
	c.presents("other.test", c.fallback.Leaf, 404)
}

// TestExpiredCertificateIsServed serves an expired certificate (a missed
// renewal must not take the host down) and exports its expiry.
func TestExpiredCertificateIsServed(t *testing.T) {
	c := startCluster(t)
	expired := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"old.example.com"}, NotAfter: time.Now().Add(-time.Hour)})
	c.create(service("web"))
	c.create(endpointSlice("web", backend(t, "web")))
	c.create(expired.Secret("default", "old-tls"))
	c.create(tlsIngress("old", "old.example.com", "old-tls"))
	c.presents("old.example.com", expired.Leaf, 200)
	c.expiryIs("old.example.com", expired.Leaf.NotAfter)
}
