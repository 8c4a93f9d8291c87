package harness

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/csv"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

type credentialFiles struct{ cert, key, saPublic, saPrivate, tokens string }

// writeCredentials writes the API server's serving certificate (its own CA,
// for 127.0.0.1), the service-account key pair and the token file.
func (c *Cluster) writeCredentials(users []user) (credentialFiles, error) {
	files := credentialFiles{
		cert: filepath.Join(c.Dir, "serving.crt"), key: filepath.Join(c.Dir, "serving.key"),
		saPublic: filepath.Join(c.Dir, "sa.pub"), saPrivate: filepath.Join(c.Dir, "sa.key"),
		tokens: filepath.Join(c.Dir, "tokens.csv"),
	}
	certPEM, keyPEM, err := selfSignedServing()
	if err != nil {
		return files, err
	}
	c.CAPEM = certPEM
	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return files, fmt.Errorf("service-account key: %w", err)
	}
	saPublic, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return files, fmt.Errorf("service-account key: %w", err)
	}
	var tokens strings.Builder
	w := csv.NewWriter(&tokens)
	for _, u := range users {
		if err := w.Write([]string{u.token, u.name, u.name, strings.Join(u.groups, ",")}); err != nil {
			return files, fmt.Errorf("token file: %w", err)
		}
	}
	w.Flush()
	for path, data := range map[string][]byte{
		files.cert:      certPEM,
		files.key:       keyPEM,
		files.saPublic:  pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: saPublic}),
		files.saPrivate: pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(saKey)}),
		files.tokens:    []byte(tokens.String()),
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return files, fmt.Errorf("write credentials: %w", err)
		}
	}
	return files, nil
}

// selfSignedServing returns a self-signed certificate for 127.0.0.1 and
// localhost, which clients trust as its own CA, and its key.
func selfSignedServing() (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("serving key: %w", err)
	}
	now := time.Now()
	template := &x509.Certificate{
		SerialNumber:          big.NewInt(now.UnixNano()),
		Subject:               pkix.Name{CommonName: "archway-e2e-apiserver"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("serving certificate: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("serving key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), nil
}
