package builder

import (
	"encoding/pem"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/source"
	"github.com/archway-ingress/archway/internal/testutil"
)

// tlsIngress routes "/" of each host to web/app:http; age orders
// Ingresses (older wins).
func tlsIngress(name string, age int, hosts []string, tls []networkingv1.IngressTLS, annots map[string]string) *networkingv1.Ingress {
	class := "archway"
	ing := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: name, Annotations: map[string]string{},
			CreationTimestamp: metav1.NewTime(time.Date(2025, 1, 1, 0, age, 0, 0, time.UTC))},
		Spec: networkingv1.IngressSpec{IngressClassName: &class, TLS: tls},
	}
	for k, v := range annots {
		ing.Annotations[annotations.DefaultPrefix+"/"+k] = v
	}
	prefixType := networkingv1.PathTypePrefix
	for _, h := range hosts {
		ing.Spec.Rules = append(ing.Spec.Rules, networkingv1.IngressRule{Host: h, IngressRuleValue: networkingv1.IngressRuleValue{
			HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
				Path: "/", PathType: &prefixType, Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
					Name: "app", Port: networkingv1.ServiceBackendPort{Name: "http"}}},
			}}},
		}})
	}
	return ing
}

func TestParseTLSSecret(t *testing.T) {
	ca := testutil.NewCert(t, testutil.CertOptions{CA: true})
	leaf := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"a.example.com"}, Issuer: &ca, RSABits: 2048})
	other := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"a.example.com"}})
	another := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"a.example.com"}})
	weak := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"a.example.com"}, RSABits: 1024})
	chain := append(append([]byte("leaf follows\n"), leaf.CertPEM...), ca.CertPEM...)
	tests := map[string]struct {
		typ      corev1.SecretType
		crt, key []byte
		err      string
		certs    int
	}{
		"RSA leaf and CA":       {typ: corev1.SecretTypeTLS, crt: chain, key: leaf.KeyPEM, certs: 2},
		"ECDSA, Opaque":         {typ: corev1.SecretTypeOpaque, crt: other.CertPEM, key: other.KeyPEM, certs: 1},
		"key of another cert":   {typ: corev1.SecretTypeTLS, crt: other.CertPEM, key: another.KeyPEM, err: "private key does not match public key"},
		"key of another type":   {typ: corev1.SecretTypeTLS, crt: other.CertPEM, key: leaf.KeyPEM, err: "private key type does not match public key type"},
		"no key":                {typ: corev1.SecretTypeTLS, crt: other.CertPEM, err: "needs tls.crt and tls.key"},
		"other type":            {typ: corev1.SecretTypeBasicAuth, crt: other.CertPEM, key: other.KeyPEM, err: `type "kubernetes.io/basic-auth" is not kubernetes.io/tls`},
		"not PEM":               {typ: corev1.SecretTypeTLS, crt: []byte("hello"), key: other.KeyPEM, err: "tls.crt: not a list of PEM certificates"},
		"key inside tls.crt":    {typ: corev1.SecretTypeTLS, crt: append(other.CertPEM, other.KeyPEM...), key: other.KeyPEM, err: "tls.crt: not a list of PEM certificates"},
		"RSA key under 2048":    {typ: corev1.SecretTypeTLS, crt: weak.CertPEM, key: weak.KeyPEM, err: "RSA key of 1024 bits; at least 2048 are needed"},
		"truncated certificate": {typ: corev1.SecretTypeTLS, crt: []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), key: other.KeyPEM, err: "tls.crt: x509:"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: "s"}, Type: tc.typ,
				Data: map[string][]byte{"tls.crt": tc.crt}}
			if tc.key != nil {
				sec.Data["tls.key"] = tc.key
			}
			got, err := parseTLSSecret(sec)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, model.Ref{Namespace: "web", Name: "s"}, got.cert.Secret)
			require.Equal(t, got.leaf.NotAfter, got.cert.NotAfter)
			// Re-encoded: only the certificates and the key, nothing else.
			rest, n := got.cert.Chain, 0
			for len(rest) > 0 {
				var block *pem.Block
				block, rest = pem.Decode(rest)
				require.NotNil(t, block)
				require.Equal(t, "CERTIFICATE", block.Type)
				n++
			}
			require.Equal(t, tc.certs, n)
			require.NotContains(t, string(got.cert.Chain), "leaf follows")
			block, rest := pem.Decode(got.cert.Key)
			require.Equal(t, "PRIVATE KEY", block.Type)
			require.Empty(t, rest)
		})
	}
}

func TestBuildTLS(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	site := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"site.example.com"}, NotAfter: now.AddDate(1, 0, 0)})
	wild := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"*.example.com"}, NotAfter: now.AddDate(1, 0, 0)})
	expired := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"old.example.com"}, NotAfter: now.AddDate(0, -1, 0)})
	secrets := []*corev1.Secret{site.Secret("web", "site"), wild.Secret("web", "wild"), expired.Secret("web", "expired"),
		{ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: "broken"}, Type: corev1.SecretTypeTLS,
			Data: map[string][]byte{"tls.crt": site.CertPEM, "tls.key": wild.KeyPEM}}}
	section := func(secret string, hosts ...string) []networkingv1.IngressTLS {
		return []networkingv1.IngressTLS{{SecretName: secret, Hosts: hosts}}
	}
	type server struct {
		cert     string // the Secret's name; "" for none
		redirect bool
	}
	tests := map[string]struct {
		ingresses []*networkingv1.Ingress
		servers   map[string]server
		problems  []string // "ingress field reason"
	}{
		"a host with TLS redirects": {
			ingresses: []*networkingv1.Ingress{tlsIngress("a", 0, []string{"site.example.com"}, section("site", "site.example.com"), nil)},
			servers:   map[string]server{"site.example.com": {cert: "site", redirect: true}},
		},
		"ssl-redirect false": {
			ingresses: []*networkingv1.Ingress{tlsIngress("a", 0, []string{"site.example.com"}, section("site", "site.example.com"),
				map[string]string{"ssl-redirect": "false"})},
			servers: map[string]server{"site.example.com": {cert: "site"}},
		},
		"force-ssl-redirect without TLS": {
			ingresses: []*networkingv1.Ingress{tlsIngress("a", 0, []string{"lb.example.com"}, nil, map[string]string{"force-ssl-redirect": "true"})},
			servers:   map[string]server{"lb.example.com": {redirect: true}},
		},
		"no TLS, no redirect": {
			ingresses: []*networkingv1.Ingress{tlsIngress("a", 0, []string{"plain.example.com"}, nil, nil)},
			servers:   map[string]server{"plain.example.com": {}},
		},
		"wildcard certificate for exact and wildcard hosts": {
			ingresses: []*networkingv1.Ingress{tlsIngress("a", 0, []string{"a.example.com", "*.example.com"},
				section("wild", "a.example.com", "*.example.com"), nil)},
			servers: map[string]server{"a.example.com": {cert: "wild", redirect: true}, "*.example.com": {cert: "wild", redirect: true}},
		},
		"wildcard host needs a wildcard certificate": {
			ingresses: []*networkingv1.Ingress{tlsIngress("a", 0, []string{"*.example.com"}, section("site", "*.example.com"), nil)},
			servers:   map[string]server{"*.example.com": {redirect: true}},
			problems:  []string{"a spec.tls[0].hosts[0] CertificateHostMismatch"},
		},
		"a bad Secret costs only its hosts their certificate": {
			ingresses: []*networkingv1.Ingress{
				tlsIngress("a", 0, []string{"site.example.com"}, section("broken", "site.example.com"), nil),
				tlsIngress("b", 1, []string{"b.example.com"}, section("wild", "b.example.com"), nil),
				tlsIngress("c", 2, []string{"c.example.com"}, section("missing", "c.example.com"), nil),
			},
			servers: map[string]server{"site.example.com": {redirect: true}, "b.example.com": {cert: "wild", redirect: true},
				"c.example.com": {redirect: true}},
			problems: []string{"a spec.tls[0].secretName InvalidTLSSecret", "c spec.tls[0].secretName InvalidTLSSecret"},
		},
		"expired certificates are served and reported": {
			ingresses: []*networkingv1.Ingress{tlsIngress("a", 0, []string{"old.example.com"}, section("expired", "old.example.com"), nil)},
			servers:   map[string]server{"old.example.com": {cert: "expired", redirect: true}},
			problems:  []string{"a spec.tls[0].secretName CertificateExpired"},
		},
		"the oldest Ingress's TLS section wins": {
			ingresses: []*networkingv1.Ingress{
				tlsIngress("new", 5, []string{"x.example.com"}, section("wild", "site.example.com"), nil),
				tlsIngress("old", 1, []string{"site.example.com"}, section("site", "site.example.com"), nil),
				tlsIngress("same", 6, nil, section("site", "site.example.com"), nil),
			},
			servers:  map[string]server{"site.example.com": {cert: "site", redirect: true}, "x.example.com": {}},
			problems: []string{"new spec.tls[0].hosts[0] TLSConflict"},
		},
		"a section without hosts covers the rule hosts its certificate names": {
			ingresses: []*networkingv1.Ingress{tlsIngress("a", 0, []string{"site.example.com", "other.test"}, section("site"), nil)},
			servers:   map[string]server{"site.example.com": {cert: "site", redirect: true}, "other.test": {}},
		},
		"a section without a Secret uses the default certificate": {
			ingresses: []*networkingv1.Ingress{tlsIngress("a", 0, []string{"site.example.com"}, section("", "site.example.com"), nil)},
			servers:   map[string]server{"site.example.com": {redirect: true}},
		},
		"invalid TLS host": {
			ingresses: []*networkingv1.Ingress{tlsIngress("a", 0, []string{"site.example.com"}, section("site", "Site;.example.com"), nil)},
			servers:   map[string]server{"site.example.com": {}},
			problems:  []string{"a spec.tls[0].hosts[0] InvalidHost"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			snap := load(t, "classes.yaml", "service-web-app.yaml")
			snap.Ingresses, snap.Secrets = tc.ingresses, secrets
			opts := defaultOpts()
			opts.Now = now
			for _, cache := range []*CertificateCache{nil, NewCertificateCache()} {
				opts.Certificates = cache
				cfg, report := Build(snap, opts)
				got := map[string]server{}
				for _, s := range cfg.Servers {
					var sv server
					if s.Certificate != nil {
						sv.cert = s.Certificate.Secret.Name
						require.Equal(t, "web", s.Certificate.Secret.Namespace)
					}
					for _, l := range s.Locations {
						sv.redirect = sv.redirect || policyOf(l).HTTPSRedirect
					}
					got[s.Host] = sv
				}
				require.Equal(t, tc.servers, got)
				var problems []string
				for _, p := range report.Problems {
					problems = append(problems, fmt.Sprintf("%s %s %s", p.Object.Name, p.Field, p.Reason))
				}
				require.Equal(t, tc.problems, problems)
			}
		})
	}
}

func TestBuildTLSMessages(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	expired := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"old.example.com"}, NotAfter: now.Add(-time.Hour)})
	snap := load(t, "classes.yaml", "service-web-app.yaml")
	snap.Secrets = []*corev1.Secret{expired.Secret("web", "expired")}
	snap.Ingresses = []*networkingv1.Ingress{tlsIngress("a", 0, []string{"old.example.com"},
		[]networkingv1.IngressTLS{{SecretName: "expired", Hosts: []string{"old.example.com", "new.example.com"}}}, nil)}
	opts := defaultOpts()
	opts.Now = now
	_, report := Build(snap, opts)
	require.Equal(t, []Problem{
		{Kind: KindIngress, Object: ref("web", "a"), Field: "spec.tls[0].hosts[1]", Reason: reason.CertificateHostMismatch,
			Message: `the certificate of Secret web/expired does not cover host "new.example.com"; the default certificate is served`},
		{Kind: KindIngress, Object: ref("web", "a"), Field: "spec.tls[0].secretName", Reason: reason.CertificateExpired,
			Message: "the certificate of Secret web/expired expired at " + now.Add(-time.Hour).Format(time.RFC3339) + "; it is still served"},
	}, report.Problems)
	// Without a time, expiry is not checked: Build never reads the clock.
	opts.Now = time.Time{}
	_, report = Build(snap, opts)
	require.Len(t, report.Problems, 1)
}

func TestBuildDefaultCertificate(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	good := testutil.NewCert(t, testutil.CertOptions{NotAfter: now.AddDate(1, 0, 0)})
	old := testutil.NewCert(t, testutil.CertOptions{NotAfter: now.AddDate(-1, 0, 0)})
	fallback := &model.Certificate{Chain: []byte("generated")}
	secrets := []*corev1.Secret{good.Secret("web", "good"), old.Secret("web", "old")}
	tests := map[string]struct {
		flag     string
		want     string // the Secret name; "" for the fallback
		problems []string
	}{
		"no flag":       {},
		"the Secret":    {flag: "web/good", want: "good"},
		"missing":       {flag: "web/none", problems: []string{"Secret web/none InvalidTLSSecret"}},
		"invalid name":  {flag: "web/No", problems: []string{"Secret web/No InvalidTLSSecret"}},
		"expired: used": {flag: "web/old", want: "old", problems: []string{"Secret web/old CertificateExpired"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			opts := defaultOpts()
			opts.Now, opts.DefaultCertificate, opts.FallbackCertificate = now, tc.flag, fallback
			cfg, report := Build(source.Snapshot{Secrets: secrets}, opts)
			if tc.want == "" {
				require.Same(t, fallback, cfg.DefaultCertificate)
			} else {
				require.Equal(t, tc.want, cfg.DefaultCertificate.Secret.Name)
			}
			var problems []string
			for _, p := range report.Problems {
				problems = append(problems, fmt.Sprintf("%s %s %s", p.Kind, p.Object, p.Reason))
			}
			require.Equal(t, tc.problems, problems)
		})
	}
}

func TestCertificateCacheDropsUnused(t *testing.T) {
	c := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"site.example.com"}})
	snap := load(t, "classes.yaml", "service-web-app.yaml")
	snap.Secrets = []*corev1.Secret{c.Secret("web", "site")}
	snap.Ingresses = []*networkingv1.Ingress{tlsIngress("a", 0, []string{"site.example.com"},
		[]networkingv1.IngressTLS{{SecretName: "site"}}, nil)}
	opts := defaultOpts()
	opts.Certificates = NewCertificateCache()
	first, _ := Build(snap, opts)
	second, _ := Build(snap, opts)
	require.Equal(t, first, second)
	require.Same(t, first.Servers[0].Certificate, second.Servers[0].Certificate, "the second Build reuses the parse")
	require.Len(t, opts.Certificates.prev, 1)

	snap.Ingresses = nil
	Build(snap, opts)
	Build(snap, opts)
	require.Empty(t, opts.Certificates.prev, "unused for two Builds: dropped")
	require.Empty(t, opts.Certificates.cur)
}

func FuzzParseTLSSecret(f *testing.F) {
	c := testutil.NewCert(f, testutil.CertOptions{Hosts: []string{"a.example.com"}})
	f.Add(c.CertPEM, c.KeyPEM)
	f.Add([]byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"), c.KeyPEM)
	f.Add(append([]byte("x\"; ssl_engine y;\n"), c.CertPEM...), c.KeyPEM)
	f.Fuzz(func(t *testing.T, crt, key []byte) {
		got, err := parseTLSSecret(&corev1.Secret{Type: corev1.SecretTypeTLS, Data: map[string][]byte{"tls.crt": crt, "tls.key": key}})
		if err != nil {
			return
		}
		// Whatever was accepted is written as clean PEM only.
		for _, data := range [][]byte{got.cert.Chain, got.cert.Key} {
			for rest := data; len(rest) > 0; {
				var block *pem.Block
				block, rest = pem.Decode(rest)
				require.NotNil(t, block)
				require.Contains(t, []string{"CERTIFICATE", "PRIVATE KEY"}, block.Type)
				require.Empty(t, block.Headers)
			}
			require.False(t, strings.ContainsAny(string(data), "\";{}$\\"))
		}
	})
}
