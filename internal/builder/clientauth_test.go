package builder

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/testutil"
)

func caSecret(name string, data map[string][]byte) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: name}, Type: corev1.SecretTypeOpaque, Data: data}
}

// pathIngress routes path of host ("" for a rule without a host) to
// web/app:http, with the annotations annots.
func pathIngress(name string, age int, host, path string, annots map[string]string) *networkingv1.Ingress {
	ing := tlsIngress(name, age, []string{host}, nil, annots)
	ing.Spec.Rules[0].HTTP.Paths[0].Path = path
	return ing
}

func withDefaultBackend(ing *networkingv1.Ingress) *networkingv1.Ingress {
	ing.Spec.DefaultBackend = &ing.Spec.Rules[0].HTTP.Paths[0].Backend
	return ing
}

func TestBuildClientAuth(t *testing.T) {
	ca := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"client-ca.test"}, CA: true, ClientAuth: true})
	crl, err := os.ReadFile(filepath.Join("..", "render", "testdata", "client-auth", "ca.crl"))
	require.NoError(t, err)
	leaf := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"a.test"}})
	secrets := []*corev1.Secret{
		caSecret("ca", map[string][]byte{"ca.crt": append([]byte("CA follows\n"), ca.CertPEM...)}),
		caSecret("ca-crl", map[string][]byte{"ca.crt": ca.CertPEM, "ca.crl": crl}),
		caSecret("tls-only", map[string][]byte{"tls.crt": leaf.CertPEM, "tls.key": leaf.KeyPEM}),
		caSecret("key-in-ca", map[string][]byte{"ca.crt": append(ca.CertPEM, ca.KeyPEM...)}),
		caSecret("bad-crl", map[string][]byte{"ca.crt": ca.CertPEM, "ca.crl": ca.CertPEM}),
	}
	const host = "mtls.example.com"
	auth := func(secret string, more ...string) map[string]string {
		m := map[string]string{"auth-tls-secret": secret}
		for i := 0; i < len(more); i += 2 {
			m[more[i]] = more[i+1]
		}
		return m
	}
	on := &model.ClientAuth{CA: ca.CertPEM, Verify: model.VerifyOn, Depth: 1}
	type clientAuthCase struct {
		ingresses []*networkingv1.Ingress
		auth      *model.ClientAuth // of host
		served    map[string]bool   // by path of host: false answers 503
		problems  []string          // "ingress field reason"
	}
	tests := map[string]clientAuthCase{
		"the defaults": {
			ingresses: []*networkingv1.Ingress{pathIngress("a", 0, host, "/", auth("ca"))},
			auth:      on, served: map[string]bool{"/": true},
		},
		"every value, and a revocation list": {
			ingresses: []*networkingv1.Ingress{pathIngress("a", 0, host, "/", auth("web/ca-crl", "auth-tls-verify-client", "optional_no_ca",
				"auth-tls-verify-depth", "3", "auth-tls-error-page", "https://help.example.com/certs", "auth-tls-pass-certificate-to-upstream", "true"))},
			auth: &model.ClientAuth{CA: ca.CertPEM, CRL: crl, Verify: model.VerifyOptionalNoCA, Depth: 3,
				ErrorPage: "https://help.example.com/certs", PassCertificate: true},
			served: map[string]bool{"/": true},
		},
		"the oldest claim covers every path of the host": {
			ingresses: []*networkingv1.Ingress{pathIngress("old", 0, host, "/a", nil), pathIngress("mid", 1, host, "/b", auth("ca")),
				pathIngress("young", 2, host, "/c", auth("web/ca"))},
			auth: on, served: map[string]bool{"/a": true, "/b": true, "/c": true},
		},
		"a younger Ingress asking otherwise answers 503": {
			ingresses: []*networkingv1.Ingress{pathIngress("old", 0, host, "/a", auth("ca")),
				pathIngress("young", 1, host, "/b", auth("ca", "auth-tls-verify-client", "optional"))},
			auth: on, served: map[string]bool{"/a": true, "/b": false},
			problems: []string{"young " + annotation("auth-tls-secret") + " ClientAuthConflict"},
		},
		"a missing Secret closes the host": {
			ingresses: []*networkingv1.Ingress{pathIngress("old", 0, host, "/a", nil), pathIngress("young", 1, host, "/b", auth("nope")),
				pathIngress("later", 2, host, "/c", auth("ca"))},
			served: map[string]bool{"/a": false, "/b": false, "/c": false},
			problems: []string{"young " + annotation("auth-tls-secret") + " InvalidAnnotation",
				"young " + annotation("auth-tls-secret") + " InvalidAnnotation"},
		},
		"an invalid value closes the host": {
			ingresses: []*networkingv1.Ingress{pathIngress("a", 0, host, "/", auth("ca", "auth-tls-verify-client", "maybe"))},
			served:    map[string]bool{"/": false},
			problems: []string{"a " + annotation("auth-tls-secret") + " InvalidAnnotation",
				"a " + annotation("auth-tls-verify-client") + " InvalidAnnotation"},
		},
		"auth-tls-match-cn applies to every path of the host": {
			ingresses: []*networkingv1.Ingress{pathIngress("old", 0, host, "/a", auth("ca", "auth-tls-match-cn", "CN=(client1|client2)$",
				"auth-tls-verify-client", "optional")), pathIngress("young", 1, host, "/b", nil)},
			auth:   &model.ClientAuth{CA: ca.CertPEM, Verify: model.VerifyOptional, Depth: 1, MatchCN: "CN=(client1|client2)$"},
			served: map[string]bool{"/a": true, "/b": true},
		},
		"the same auth-tls-match-cn agrees": {
			ingresses: []*networkingv1.Ingress{pathIngress("old", 0, host, "/a", auth("ca", "auth-tls-match-cn", "O=Example")),
				pathIngress("young", 1, host, "/b", auth("ca", "auth-tls-match-cn", "O=Example"))},
			auth:   &model.ClientAuth{CA: ca.CertPEM, Verify: model.VerifyOn, Depth: 1, MatchCN: "O=Example"},
			served: map[string]bool{"/a": true, "/b": true},
		},
		"a younger Ingress with another auth-tls-match-cn answers 503": {
			ingresses: []*networkingv1.Ingress{pathIngress("old", 0, host, "/a", auth("ca", "auth-tls-match-cn", "CN=client1")),
				pathIngress("young", 1, host, "/b", auth("ca", "auth-tls-match-cn", "CN=client2"))},
			auth:     &model.ClientAuth{CA: ca.CertPEM, Verify: model.VerifyOn, Depth: 1, MatchCN: "CN=client1"},
			served:   map[string]bool{"/a": true, "/b": false},
			problems: []string{"young " + annotation("auth-tls-secret") + " ClientAuthConflict"},
		},
		"a younger Ingress without auth-tls-match-cn answers 503": {
			ingresses: []*networkingv1.Ingress{pathIngress("old", 0, host, "/a", auth("ca", "auth-tls-match-cn", "CN=client1")),
				pathIngress("young", 1, host, "/b", auth("ca"))},
			auth:     &model.ClientAuth{CA: ca.CertPEM, Verify: model.VerifyOn, Depth: 1, MatchCN: "CN=client1"},
			served:   map[string]bool{"/a": true, "/b": false},
			problems: []string{"young " + annotation("auth-tls-secret") + " ClientAuthConflict"},
		},
		"an invalid auth-tls-match-cn closes the host": {
			ingresses: []*networkingv1.Ingress{pathIngress("old", 0, host, "/a", auth("ca", "auth-tls-match-cn", `CN=a"; ssl_engine x; "`)),
				pathIngress("young", 1, host, "/b", nil)},
			served: map[string]bool{"/a": false, "/b": false},
			problems: []string{"old " + annotation("auth-tls-match-cn") + " InvalidAnnotation",
				"old " + annotation("auth-tls-secret") + " InvalidAnnotation"},
		},
		"auth-tls-match-cn without auth-tls-secret closes the host": {
			ingresses: []*networkingv1.Ingress{pathIngress("a", 0, host, "/", map[string]string{"auth-tls-match-cn": "CN=client1"})},
			served:    map[string]bool{"/": false},
			problems: []string{"a " + annotation("auth-tls-match-cn") + " InvalidAnnotation",
				"a " + annotation("auth-tls-secret") + " InvalidAnnotation"},
		},
		"a rule without a host and the default backend answer 503": {
			ingresses: []*networkingv1.Ingress{withDefaultBackend(pathIngress("a", 0, "", "/x", auth("ca")))},
			problems:  []string{"a spec.defaultBackend InvalidAnnotation", "a spec.rules[0].host InvalidAnnotation"},
		},
	}
	for _, bad := range []string{"tls-only", "key-in-ca", "bad-crl", "other/ca"} {
		tests["Secret "+bad] = clientAuthCase{
			ingresses: []*networkingv1.Ingress{pathIngress("a", 0, host, "/", auth(bad))},
			served:    map[string]bool{"/": false},
			problems:  []string{"a " + annotation("auth-tls-secret") + " InvalidAnnotation", "a " + annotation("auth-tls-secret") + " InvalidAnnotation"},
		}
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			snap := load(t, "classes.yaml", "service-web-app.yaml")
			snap.Ingresses, snap.Secrets = tc.ingresses, secrets
			cfg, report := Build(snap, defaultOpts())
			require.Empty(t, cfg.DefaultBackend)
			served := map[string]bool{}
			for _, s := range cfg.Servers {
				if s.Host != host {
					require.Nil(t, s.ClientAuth, s.Host)
					for _, l := range s.Locations {
						require.Empty(t, l.Backend, "%s%s is served without a host", s.Host, l.Path)
					}
					continue
				}
				require.Equal(t, tc.auth, s.ClientAuth)
				for _, l := range s.Locations {
					served[l.Path] = l.Backend != ""
					if !served[l.Path] {
						require.Zero(t, l.Policy, l.Path)
					}
				}
			}
			require.Equal(t, tc.served, nilIfEmpty(served))
			var problems []string
			for _, p := range report.Problems {
				problems = append(problems, fmt.Sprintf("%s %s %s", p.Object.Name, p.Field, p.Reason))
			}
			require.Equal(t, tc.problems, problems)
		})
	}
}

func nilIfEmpty(m map[string]bool) map[string]bool {
	if len(m) == 0 {
		return nil
	}
	return m
}

// TestBuildClientAuthMessages checks what the owners of an Ingress read
// when its client certificates cannot be applied.
func TestBuildClientAuthMessages(t *testing.T) {
	snap := load(t, "classes.yaml", "service-web-app.yaml")
	snap.Ingresses = []*networkingv1.Ingress{pathIngress("a", 0, "mtls.example.com", "/", map[string]string{"auth-tls-secret": "nope"})}
	_, report := Build(snap, defaultOpts())
	field, key := annotation("auth-tls-secret"), annotationKey("auth-tls-secret")
	require.Equal(t, []Problem{
		{Kind: KindIngress, Object: ref("web", "a"), Field: field, Key: key, Reason: reason.InvalidAnnotation, Message: "Secret web/nope not found"},
		{Kind: KindIngress, Object: ref("web", "a"), Field: field, Key: key, Reason: reason.InvalidAnnotation,
			Message: `the client certificates of host "mtls.example.com" cannot be checked as asked: every path of the host answers 503`},
	}, report.Problems)
}

// TestBuildClientAuthRotation checks that a renewed CA reaches the model:
// render names its file by content, so nginx reloads.
func TestBuildClientAuthRotation(t *testing.T) {
	snap := load(t, "classes.yaml", "service-web-app.yaml")
	snap.Ingresses = []*networkingv1.Ingress{pathIngress("a", 0, "mtls.example.com", "/", map[string]string{"auth-tls-secret": "ca"})}
	for range 2 {
		ca := testutil.NewCert(t, testutil.CertOptions{CA: true, ClientAuth: true})
		snap.Secrets = []*corev1.Secret{caSecret("ca", map[string][]byte{"ca.crt": ca.CertPEM})}
		cfg, report := Build(snap, defaultOpts())
		require.Empty(t, report.Problems)
		require.Equal(t, ca.CertPEM, cfg.Servers[0].ClientAuth.CA)
	}
}
