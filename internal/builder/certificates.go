package builder

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"

	"github.com/archway-ingress/archway/internal/model"
)

// certificates parses the TLS Secrets that Ingresses name, each once per
// Build however many Ingresses share it, through memo when there is one.
// parsed is every certificate Secret the Build read (see Renew).
type certificates struct {
	secrets *secretIndex
	memo    *CertificateCache
	parsed  map[model.Ref]certResult
}

type certResult struct {
	cert *parsedCertificate
	err  error
}

// parsedCertificate is a validated Secret's certificate with its parsed
// leaf, which hosts are checked against.
type parsedCertificate struct {
	secret model.Ref
	leaf   *x509.Certificate
	cert   *model.Certificate
}

// model returns the model certificate; nil for nil.
func (c *parsedCertificate) model() *model.Certificate {
	if c == nil {
		return nil
	}
	return c.cert
}

func (c *certificates) get(ref model.Ref) (*parsedCertificate, error) {
	if r, ok := c.parsed[ref]; ok {
		return r.cert, r.err
	}
	if c.parsed == nil {
		c.parsed = map[model.Ref]certResult{}
	}
	var r certResult
	sec, err := c.secrets.find(ref)
	if err == nil {
		if r.cert, err = c.memo.parse(sec); err != nil {
			err = fmt.Errorf("Secret %s: %w", ref, err)
		}
	}
	r.err = err
	c.parsed[ref] = r
	return r.cert, r.err
}

// CertificateCache remembers parsed TLS Secrets between Builds, by
// content, so that a sync does not parse thousands of unchanged keys
// again (an RSA key takes a third of a millisecond). Entries that one
// Build and the next do not use are dropped. It is safe for concurrent
// use, and Build's output is the same with or without it.
type CertificateCache struct {
	mu        sync.Mutex
	cur, prev map[[sha256.Size]byte]certResult
}

// NewCertificateCache returns an empty cache for Options.Certificates.
func NewCertificateCache() *CertificateCache { return &CertificateCache{} }

// parse validates sec, or returns what an earlier parse of the same
// content gave; a nil cache parses every time.
func (c *CertificateCache) parse(sec *corev1.Secret) (*parsedCertificate, error) {
	if c == nil {
		return parseTLSSecret(sec)
	}
	h := sha256.New()
	data := secretData(sec)
	for _, part := range [][]byte{[]byte(sec.Namespace), []byte(sec.Name), []byte(sec.Type),
		data[corev1.TLSCertKey], data[corev1.TLSPrivateKeyKey]} {
		_ = binary.Write(h, binary.BigEndian, uint64(len(part)))
		h.Write(part)
	}
	var key [sha256.Size]byte
	h.Sum(key[:0])
	c.mu.Lock()
	r, ok := c.cur[key]
	if !ok {
		r, ok = c.prev[key]
	}
	c.mu.Unlock()
	if !ok {
		r.cert, r.err = parseTLSSecret(sec)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == nil {
		c.cur = map[[sha256.Size]byte]certResult{}
	}
	c.cur[key] = r
	return r.cert, r.err
}

// rotate ends a Build: what it did not use is dropped after the next one.
func (c *CertificateCache) rotate() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.prev, c.cur = c.cur, nil
}

// parseTLSSecret validates a TLS Secret: tls.crt holds PEM certificates
// only, leaf first; tls.key holds the leaf's private key; every key is
// strong enough for the system OpenSSL, and no certificate is signed with
// MD5 or SHA-1 (OpenSSL would make nginx refuse the whole config). The
// model certificate is re-encoded from the parsed values, so nothing else
// in the Secret reaches a file.
func parseTLSSecret(sec *corev1.Secret) (*parsedCertificate, error) {
	switch sec.Type {
	case corev1.SecretTypeTLS, corev1.SecretTypeOpaque, "":
	default:
		return nil, fmt.Errorf("type %q is not %s", sec.Type, corev1.SecretTypeTLS)
	}
	data := secretData(sec)
	crt, key := data[corev1.TLSCertKey], data[corev1.TLSPrivateKeyKey]
	if len(crt) == 0 || len(key) == 0 {
		return nil, errors.New("needs tls.crt and tls.key")
	}
	chain, pair, err := keyPair(crt, key)
	if err != nil {
		return nil, err
	}
	var chainPEM []byte
	for _, c := range chain {
		chainPEM = append(chainPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	der, err := x509.MarshalPKCS8PrivateKey(pair.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("tls.key: %w", err)
	}
	leaf := chain[0]
	return &parsedCertificate{
		secret: model.Ref{Namespace: sec.Namespace, Name: sec.Name},
		leaf:   leaf,
		cert: &model.Certificate{
			Secret:   model.Ref{Namespace: sec.Namespace, Name: sec.Name},
			Chain:    chainPEM,
			Key:      pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
			NotAfter: leaf.NotAfter,
		},
	}, nil
}

// keyPair checks a certificate chain and its key as OpenSSL will load them
// for nginx (which refuses the whole config over one it does not take):
// crt holds PEM certificates only, leaf first, key is the leaf's private
// key, and every certificate passes checkStrength.
func keyPair(crt, key []byte) ([]*x509.Certificate, tls.Certificate, error) {
	chain, err := pemCertificates(crt)
	if err != nil {
		return nil, tls.Certificate{}, fmt.Errorf("tls.crt: %w", err)
	}
	pair, err := tls.X509KeyPair(crt, key)
	if err != nil {
		return nil, tls.Certificate{}, fmt.Errorf("tls.crt and tls.key: %w", err)
	}
	for i, c := range chain {
		if err := checkStrength(c); err != nil {
			return nil, tls.Certificate{}, fmt.Errorf("tls.crt certificate %d (%s): %w", i+1, c.Subject, err)
		}
	}
	return chain, pair, nil
}

// pemCertificates parses PEM holding only certificates, at least one.
func pemCertificates(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	err := eachPEM(data, "CERTIFICATE", "certificate", func(der []byte) error {
		c, err := x509.ParseCertificate(der)
		certs = append(certs, c)
		return err
	})
	if err != nil {
		return nil, err
	}
	return certs, nil
}

// eachPEM calls parse with each block of data, which must hold PEM blocks
// of type typ only (a noun in errors), at least one.
func eachPEM(data []byte, typ, noun string, parse func(der []byte) error) error {
	n := 0
	for rest := bytes.TrimSpace(data); len(rest) > 0; rest = bytes.TrimSpace(rest) {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil || block.Type != typ {
			return fmt.Errorf("not a list of PEM %ss", noun)
		}
		if err := parse(block.Bytes); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return errors.New("no " + noun)
	}
	return nil
}

// checkStrength refuses what the OpenSSL 3 of Debian 12, at its default
// security level 2 (112 bits), refuses when nginx loads a certificate:
// RSA keys under 2048 bits ("ee key too small", "ca key too small"), and
// MD5 or SHA-1 signatures ("ca md too weak"). It is stricter on curves,
// accepting only P-256, P-384, P-521 and Ed25519, and on DSA keys, which
// it refuses, as it does SHA-1 on self-signed certificates, which OpenSSL
// does not check. TestCertificateStrengthMatchesNginx (package
// render) compares it with nginx.
func checkStrength(c *x509.Certificate) error {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return fmt.Errorf("RSA key of %d bits; at least 2048 are needed", k.N.BitLen())
		}
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() && k.Curve != elliptic.P384() && k.Curve != elliptic.P521() {
			return errors.New("ECDSA curve is not P-256, P-384 or P-521")
		}
	case ed25519.PublicKey:
	default:
		return fmt.Errorf("unsupported %s key", c.PublicKeyAlgorithm)
	}
	weak := []x509.SignatureAlgorithm{x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1}
	if slices.Contains(weak, c.SignatureAlgorithm) {
		return fmt.Errorf("signed with %s, which OpenSSL refuses", c.SignatureAlgorithm)
	}
	return nil
}

// covers reports whether leaf is valid for host. A wildcard host needs the
// same wildcard name in the certificate.
func covers(leaf *x509.Certificate, host string) bool {
	if strings.HasPrefix(host, "*.") {
		return slices.ContainsFunc(leaf.DNSNames, func(n string) bool { return strings.EqualFold(n, host) })
	}
	return leaf.VerifyHostname(host) == nil
}
