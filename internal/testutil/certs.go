package testutil

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CertOptions describe a test certificate.
type CertOptions struct {
	// Hosts are the DNS names of the certificate ("*.example.com" too);
	// an IP address becomes an IP address name.
	Hosts []string
	// NotAfter defaults to a day from now.
	NotAfter time.Time
	// RSABits, when set, makes an RSA key of that size instead of ECDSA
	// P-256.
	RSABits int
	// Issuer signs the certificate; nil makes it self-signed.
	Issuer *Cert
	// CA makes a certificate authority, which may also sign revocation
	// lists.
	CA bool
	// ClientAuth allows the certificate to authenticate TLS clients (and,
	// on a CA, to issue such certificates), besides TLS servers.
	ClientAuth bool
}

// Cert is a generated certificate and its key.
type Cert struct {
	CertPEM, KeyPEM []byte
	Leaf            *x509.Certificate
	Key             crypto.Signer
}

// NewCert generates a certificate for the tests.
func NewCert(t testing.TB, opts CertOptions) Cert {
	t.Helper()
	var key crypto.Signer
	var err error
	if opts.RSABits > 0 {
		key, err = rsa.GenerateKey(rand.Reader, opts.RSABits)
	} else {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	if opts.NotAfter.IsZero() {
		opts.NotAfter = time.Now().Add(24 * time.Hour)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	name := "archway test"
	if len(opts.Hosts) > 0 {
		name = opts.Hosts[0]
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             opts.NotAfter.Add(-365 * 24 * time.Hour),
		NotAfter:              opts.NotAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  opts.CA,
	}
	for _, host := range opts.Hosts {
		if ip := net.ParseIP(host); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, host)
		}
	}
	if opts.CA {
		tmpl.KeyUsage |= x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	}
	if opts.ClientAuth {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	}
	parent, signer := tmpl, key
	if opts.Issuer != nil {
		parent, signer = opts.Issuer.Leaf, opts.Issuer.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		t.Fatalf("create certificate: %v", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return Cert{
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		Leaf:    leaf,
		Key:     key,
	}
}

// Secret is a kubernetes.io/tls Secret that holds c (namespace "" for one
// created through a namespaced client).
func (c Cert) Secret(namespace, name string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{corev1.TLSCertKey: c.CertPEM, corev1.TLSPrivateKeyKey: c.KeyPEM},
	}
}
