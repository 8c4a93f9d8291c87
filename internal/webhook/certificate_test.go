package webhook

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/testutil"
)

// A renewed certificate (new files, as cert-manager writes them into a
// mounted Secret) is served from the next handshake; files that do not
// load keep the previous one serving.
func TestCertificateFollowsRenewal(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	write := func(cert, key []byte, at time.Time) {
		for name, data := range map[string][]byte{certFile: cert, keyFile: key} {
			require.NoError(t, os.WriteFile(name, data, 0o600))
			require.NoError(t, os.Chtimes(name, at, at))
		}
	}
	first := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"archway-webhook.ingress.svc"}})
	write(first.CertPEM, first.KeyPEM, time.Unix(1e9, 0))
	c, err := NewCertificate(certFile, keyFile)
	require.NoError(t, err)
	served := func() []byte {
		pair, err := c.GetCertificate(nil)
		require.NoError(t, err)
		return pair.Certificate[0]
	}
	require.Equal(t, first.Leaf.Raw, served())

	renewed := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"archway-webhook.ingress.svc"}})
	write(renewed.CertPEM, renewed.KeyPEM, time.Unix(1e9+60, 0))
	require.Equal(t, renewed.Leaf.Raw, served())

	write([]byte("half written"), renewed.KeyPEM, time.Unix(1e9+120, 0))
	require.Equal(t, renewed.Leaf.Raw, served(), "the previous pair keeps serving")

	_, err = NewCertificate(certFile, keyFile)
	require.ErrorContains(t, err, "webhook certificate", "a bad pair fails at start")
}
