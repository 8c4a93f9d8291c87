package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/testutil"
)

func TestSelfSignedCertificate(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cert, err := selfSignedCertificate(now)
	require.NoError(t, err)
	pair, err := tls.X509KeyPair(cert.Chain, cert.Key)
	require.NoError(t, err, "the key matches the certificate")
	leaf := pair.Leaf
	require.Equal(t, defaultCertificateName, leaf.Subject.CommonName)
	require.Equal(t, elliptic.P256(), leaf.PublicKey.(*ecdsa.PublicKey).Curve)
	require.True(t, leaf.NotBefore.Before(now))
	require.Equal(t, now.AddDate(10, 0, 0), cert.NotAfter)
	require.Equal(t, cert.NotAfter, leaf.NotAfter)
	block, _ := pem.Decode(cert.Key)
	require.Equal(t, "PRIVATE KEY", block.Type)

	other, err := selfSignedCertificate(now)
	require.NoError(t, err)
	require.NotEqual(t, cert.Key, other.Key, "every start makes a new key")
}

func TestDefaultSSLCertificateFlag(t *testing.T) {
	for _, value := range []string{"name-only", "/name", "ns/"} {
		err := run(context.Background(), []string{"render", "--default-ssl-certificate", value}, io.Discard, io.Discard)
		require.ErrorContains(t, err, "--default-ssl-certificate must be namespace/name")
	}
}

// handshake connects to the instance's HTTPS port with SNI host, sends a
// request for host, and returns the certificate presented and the status.
func (f *folderInstance) handshake(host string) (*x509.Certificate, int) {
	f.t.Helper()
	conn, err := tls.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(f.httpsPort)),
		&tls.Config{ServerName: host, InsecureSkipVerify: true})
	require.NoError(f.t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", host)
	require.NoError(f.t, err)
	status, err := io.ReadAll(conn)
	require.NoError(f.t, err)
	code, err := strconv.Atoi(strings.Fields(string(status))[1])
	require.NoError(f.t, err)
	return conn.ConnectionState().PeerCertificates[0], code
}

// tlsSecretManifest is a TLS Secret of cert in the folder's namespace.
func tlsSecretManifest(name string, cert testutil.Cert) string {
	indent := func(pem []byte) string { return strings.ReplaceAll(strings.TrimSpace(string(pem)), "\n", "\n    ") }
	return fmt.Sprintf(`
apiVersion: v1
kind: Secret
metadata: {name: %s}
type: kubernetes.io/tls
stringData:
  tls.crt: |
    %s
  tls.key: |
    %s
`, name, indent(cert.CertPEM), indent(cert.KeyPEM))
}

// TestFolderTLS serves a TLS Secret from the folder of manifests and the
// generated default certificate for every other host.
func TestFolderTLS(t *testing.T) {
	f := startFolderInstance(t)
	cert := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"secure.example.com"}})
	f.write("site.yaml", backendManifests("site", namedBackend(t, "site"))+"---"+
		strings.Replace(ingressManifest("site", "secure.example.com", "/", "site"), "  rules:",
			"  tls: [{hosts: [secure.example.com], secretName: site-tls}]\n  rules:", 1)+"---"+tlsSecretManifest("site-tls", cert))
	require.Eventually(t, func() bool {
		leaf, status := f.handshake("secure.example.com")
		return cert.Leaf.Equal(leaf) && status == 200
	}, 5*time.Second, 20*time.Millisecond, "the Secret's certificate is served")
	f.oneGeneration()

	// Plain HTTP to the TLS host is redirected, not followed here.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(f.httpPort)+"/a?b", nil)
	require.NoError(t, err)
	req.Host = "secure.example.com"
	resp, err := client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusPermanentRedirect, resp.StatusCode)
	require.Equal(t, "https://secure.example.com:"+strconv.Itoa(f.httpsPort)+"/a?b", resp.Header.Get("Location"))

	leaf, status := f.handshake("unknown.example.com")
	require.Equal(t, defaultCertificateName, leaf.Subject.CommonName)
	require.Equal(t, 404, status)
}
