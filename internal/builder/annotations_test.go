package builder

import (
	"net/http"
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

func annotation(name string) string {
	return AnnotationField(annotationKey(name))
}

func annotationKey(name string) string {
	return annotations.DefaultPrefix + "/" + name
}

// TestProblemKey checks that problems of an annotation or a ConfigMap key
// name it in Key, as well as in Field, so that no one reparses Field.
func TestProblemKey(t *testing.T) {
	unsupported, invalid := annotations.DefaultPrefix+"/mirror-target", annotations.DefaultPrefix+"/proxy-body-size"
	snap := source.Snapshot{
		IngressClasses: load(t, "classes.yaml").IngressClasses,
		Ingresses: []*networkingv1.Ingress{tlsIngress("bad", 0, []string{"bad.example.com"}, nil,
			map[string]string{"mirror-target": "http://m", "proxy-body-size": "big"})},
		ConfigMap: &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ingress", Name: "archway"},
			Data: map[string]string{"worker-shutdown-timeout": "never"}},
	}
	_, report := Build(snap, defaultOpts())
	keys := map[string]string{}
	for _, p := range report.Problems {
		if p.Reason != reason.ServiceNotFound {
			keys[p.Field+" "+string(p.Reason)] = p.Key
		}
	}
	require.Equal(t, map[string]string{
		AnnotationField(unsupported) + " " + string(reason.UnsupportedAnnotation): unsupported,
		AnnotationField(invalid) + " " + string(reason.InvalidAnnotation):         invalid,
		"data.worker-shutdown-timeout " + string(reason.InvalidSetting):           "worker-shutdown-timeout",
	}, keys)
}

func TestBuildAnnotationPolicies(t *testing.T) {
	tuned, broken, auth := ref("web", "tuned"), ref("web", "broken"), ref("web", "auth")
	elsewhere, authMap, missing, canary := ref("web", "auth-elsewhere"), ref("web", "auth-map"), ref("web", "auth-missing"), ref("web", "canary")
	with := func(l model.Location, p model.Policy) model.Location { l.Policy = &p; return l }
	bodySize := model.Size(8 << 20)
	sha := "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="
	runFixtures(t, map[string]fixture{
		"policies, blocked Ingresses and a canary": {
			files: []string{"classes.yaml", "service-web-app.yaml", "annotations-policy.yaml"},
			config: model.Config{
				Servers: []model.Server{{Host: "a.example.com", Locations: []model.Location{
					withCanaries(with(prefix("/api", "web_app_80", tuned), model.Policy{
						Proxy:     model.Proxy{BodySize: &bodySize, ReadTimeout: 2 * time.Minute},
						RateLimit: &model.RateLimit{RPS: 10, BurstMultiplier: 5},
					}), model.Canary{Backend: "web_app_81", Owner: ingressOwner(canary), Weight: 10, WeightTotal: 100}),
					prefix("/broken", "", broken),
					prefix("/elsewhere", "", elsewhere),
					with(exact("/map", "web_app_80", authMap), model.Policy{BasicAuth: &model.BasicAuth{
						Realm: "Authentication Required", Credentials: []model.Credential{{User: "carol", Hash: sha}},
					}}),
					prefix("/missing", "", missing),
					with(prefix("/private", "web_app_80", auth), model.Policy{BasicAuth: &model.BasicAuth{
						Realm: "Staff only",
						Credentials: []model.Credential{
							{User: "alice", Hash: "$apr1$ZjTqBB3f$IF9gdYAGlMrs2fuINjHsz."},
							{User: "bob", Hash: sha},
						},
					}}),
				}}},
				Backends: []model.Backend{webApp80(), webApp81()},
			},
			report: Report{
				Served: []model.Ref{auth, elsewhere, authMap, missing, broken, canary, tuned},
				Problems: []Problem{
					{Kind: KindIngress, Object: elsewhere, Field: annotation("auth-secret"), Key: annotationKey("auth-secret"), Reason: reason.InvalidAnnotation,
						Message: "Secret other/htpasswd is in another namespace than the Ingress; only its own namespace is allowed"},
					{Kind: KindIngress, Object: missing, Field: annotation("auth-secret"), Key: annotationKey("auth-secret"), Reason: reason.InvalidAnnotation,
						Message: "Secret web/nope not found"},
					{Kind: KindIngress, Object: broken, Field: annotation("proxy-body-size"), Key: annotationKey("proxy-body-size"), Reason: reason.InvalidAnnotation,
						Message: `value "huge": want a size such as 512, 8k, 16m or 1g, at most 1024g: not a plain decimal number`},
					{Kind: KindIngress, Object: tuned, Field: annotation("configuration-snippet"), Key: annotationKey("configuration-snippet"), Reason: reason.SnippetRefused,
						Message: "snippet annotations are refused: archway never copies configuration text from an Ingress into nginx.conf; with the ConfigMap key safe-snippet-annotations: \"true\", archway applies the snippets that its safe subset covers (docs/snippets.md)"},
					{Kind: KindIngress, Object: tuned, Field: annotation("mirror-target"), Key: annotationKey("mirror-target"), Reason: reason.UnsupportedAnnotation,
						Message: "archway does not support this annotation; the Ingress is served without it"},
				},
			},
		},
	})
}

func TestBuildAnnotationRegex(t *testing.T) {
	regex, plain := ref("web", "regex"), ref("web", "plain")
	target := model.Template{{Text: "/"}, {Var: "2"}}
	invalidPath := func(i, message string) Problem {
		return Problem{Kind: KindIngress, Object: regex, Field: "spec.rules[0].http.paths[" + i + "].path",
			Reason: reason.InvalidPath, Message: message}
	}
	runFixtures(t, map[string]fixture{
		"only the Ingress's own ImplementationSpecific paths are regexes": {
			files: []string{"classes.yaml", "service-web-app.yaml", "annotations-regex.yaml"},
			config: model.Config{
				Servers: []model.Server{{Host: "b.example.com", Locations: []model.Location{
					prefix("/api", "web_app_80", plain),
					{Path: "/api(/|$)(.*)", Match: model.MatchRegex, Backend: "web_app_80", Owner: ingressOwner(regex),
						Policy: &model.Policy{RewriteTarget: target}},
					{Path: "/health", Match: model.MatchExact, Backend: "web_app_80", Owner: ingressOwner(regex),
						Policy: &model.Policy{RewriteTarget: target}}, // $2 is empty, as in ingress-nginx
					prefix("/static", "web_app_80", plain),
				}}},
				Backends: []model.Backend{webApp80()},
			},
			report: Report{
				Served: []model.Ref{plain, regex},
				Problems: []Problem{
					invalidPath("2", `path "/v[0-9]+/(.*)": character '[' is not allowed (only A-Z a-z 0-9 . _ ~ / -)`),
					invalidPath("3", `regex path "/bad\\n(.*)(.*)": a backslash may only precede one of .()[]|?*+^${}/-dDwWsS`),
					invalidPath("4", "regex path \"/unbalanced((.*)\" does not compile: error parsing regexp: missing closing ): `/unbalanced((.*)`"),
					invalidPath("5", `regex path "/quote\"(.*)(.*)": character '"' is not allowed`),
				},
			},
		},
	})
}

func TestBuildAnnotationHosts(t *testing.T) {
	site, shop, errs, errsMissing := ref("web", "site"), ref("web", "shop"), ref("web", "errors"), ref("web", "errors-missing")
	redirect := func(from, to string, ing model.Ref) model.Server {
		return model.Server{Host: from, Locations: []model.Location{{Path: "/", Match: model.MatchPrefix, Owner: ingressOwner(ing),
			Policy: &model.Policy{Redirect: &model.Redirect{Code: http.StatusPermanentRedirect,
				URL: model.Template{{Var: "scheme"}, {Text: "://" + to}, {Var: "request_uri"}}}}}}}
	}
	errorPages := model.Backend{Name: "web_error-pages_8081", Service: ref("web", "error-pages"), Port: "8081"}
	api := model.Backend{Name: "web_api_http", Service: ref("web", "api"), Port: "http"}
	apiClusterIP := model.Backend{Name: "web_api_http.cluster-ip", Service: ref("web", "api"), Port: "http",
		Endpoints: []model.Endpoint{{Address: "10.96.0.10", Port: 8080}}}
	runFixtures(t, map[string]fixture{
		"aliases, www redirects, error pages and service-upstream": {
			files: []string{"classes.yaml", "service-web-app.yaml", "annotations-hosts.yaml"},
			config: model.Config{
				Servers: []model.Server{
					{Host: "err.example.com", Locations: []model.Location{
						{Path: "/", Match: model.MatchPrefix, Backend: apiClusterIP.Name, Owner: ingressOwner(errs),
							Policy: &model.Policy{Errors: &model.ErrorPages{Codes: []int{404, 503}, Backend: errorPages.Name}}},
						{Path: "/x", Match: model.MatchPrefix, Backend: "web_app_80", Owner: ingressOwner(errsMissing),
							Policy: &model.Policy{Errors: &model.ErrorPages{}}},
					}},
					{Host: "example.com", Aliases: []string{"alias.example.com"}, Locations: []model.Location{prefix("/", "web_app_80", site)}},
					{Host: "shop.example.com", Aliases: []string{"store.example.com"}, Locations: []model.Location{prefix("/", "web_app_80", shop)}},
					redirect("www.example.com", "example.com", site),
					{Host: "www.shop.example.com", Locations: []model.Location{prefix("/", "web_app_80", shop)}},
				},
				Backends: []model.Backend{api, apiClusterIP, webApp80(), errorPages},
			},
			report: Report{
				Served: []model.Ref{errs, errsMissing, shop, site},
				Problems: []Problem{
					{Kind: KindIngress, Object: errsMissing, Field: annotation("default-backend"), Key: annotationKey("default-backend"), Reason: reason.ServiceNotFound,
						Message: "Service web/nope not found"},
					{Kind: KindIngress, Object: shop, Field: annotation("server-alias"), Key: annotationKey("server-alias"), Reason: reason.AliasConflict,
						Message: `server-alias "alias.example.com" of host "shop.example.com" is not added: host "example.com" already serves it`},
					{Kind: KindIngress, Object: site, Field: annotation("server-alias"), Key: annotationKey("server-alias"), Reason: reason.AliasConflict,
						Message: `server-alias "shop.example.com" of host "example.com" is not added: host "shop.example.com" already serves it`},
				},
			},
		},
	})
}

func TestBuildAnnotationBalancing(t *testing.T) {
	cfg, report := Build(load(t, "classes.yaml", "service-web-app.yaml", "annotations-balancing.yaml"), defaultOpts())
	require.Empty(t, report.Problems)
	require.Len(t, cfg.Backends, 2)
	plain, sticky := cfg.Backends[0], cfg.Backends[1]
	require.Equal(t, webApp80(), plain)
	require.True(t, strings.HasPrefix(sticky.Name, "web_app_80."), sticky.Name)
	require.Equal(t, model.Balancing{Algorithm: model.EWMA, Cookie: &model.CookieAffinity{Name: "route", MaxAge: 3600}}, sticky.Balancing)
	require.Equal(t, plain.Endpoints, sticky.Endpoints)
	require.Equal(t, "plain.example.com", cfg.Servers[0].Host)
	require.Equal(t, plain.Name, cfg.Servers[0].Locations[0].Backend)
	require.Equal(t, sticky.Name, cfg.Servers[1].Locations[0].Backend)
}

// TestBuildBlockedIngressKeepsItsRoutes checks the invalid-value policy:
// an Ingress with an invalid annotation keeps its routes and its claim on
// the default backend, which answer 503, so that a younger Ingress cannot
// take them and nothing falls through to a shorter path.
func TestBuildBlockedIngressKeepsItsRoutes(t *testing.T) {
	snap := load(t, "classes.yaml", "service-web-app.yaml")
	snap.AddManifests("inline.yaml", []byte(`
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: old
  namespace: web
  creationTimestamp: "2024-01-01T00:00:00Z"
  annotations: {nginx.ingress.kubernetes.io/auth-url: "http://$request_uri/auth"}
spec:
  ingressClassName: archway
  defaultBackend: {service: {name: app, port: {number: 80}}}
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /admin, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: young
  namespace: web
  creationTimestamp: "2024-02-01T00:00:00Z"
spec:
  ingressClassName: archway
  defaultBackend: {service: {name: app, port: {number: 80}}}
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /admin, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}
      - {path: /, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}
`))
	cfg, report := Build(snap, defaultOpts())
	old, young := ref("web", "old"), ref("web", "young")
	require.Equal(t, "", cfg.DefaultBackend, "the blocked Ingress's default backend answers 503")
	require.Equal(t, []model.Location{prefix("/", "web_app_80", young), prefix("/admin", "", old)}, cfg.Servers[0].Locations)
	require.Equal(t, []model.Ref{old, young}, report.Served)
	var reasons []string
	for _, p := range report.Problems {
		reasons = append(reasons, p.Object.Name+" "+p.Field+" "+string(p.Reason))
	}
	require.Equal(t, []string{
		"old " + annotation("auth-url") + " InvalidAnnotation",
		"young spec.defaultBackend DefaultBackendConflict",
		"young spec.rules[0].http.paths[0] PathConflict",
	}, reasons)
}

// TestBuildAnnotationProblemsNameTheirKey checks that a refused value is
// reported under the annotation that holds it, and blocks only its Ingress.
func TestBuildAnnotationProblemsNameTheirKey(t *testing.T) {
	tests := map[string]string{
		"upstream-hash-by": "$" + strings.Repeat("a", 257),
		"auth-url":         "http://unix:80/run/docker.sock",
	}
	for key, value := range tests {
		t.Run(key, func(t *testing.T) {
			snap := source.Snapshot{
				IngressClasses: load(t, "classes.yaml").IngressClasses,
				Ingresses: []*networkingv1.Ingress{
					tlsIngress("bad", 0, []string{"bad.example.com"}, nil, map[string]string{key: value}),
					tlsIngress("good", 1, []string{"good.example.com"}, nil, nil),
				},
			}
			_, report := Build(snap, defaultOpts())
			var got []string
			for _, p := range report.Problems {
				if p.Kind == KindIngress && p.Reason != reason.ServiceNotFound {
					got = append(got, p.Object.Name+" "+p.Field+" "+string(p.Reason))
				}
			}
			require.Equal(t, []string{"bad " + annotation(key) + " " + string(reason.InvalidAnnotation)}, got)
		})
	}
}

// TestBuildRefusesWeakBackendClientCertificate checks that a
// proxy-ssl-secret whose key OpenSSL would refuse (nginx then refuses the
// whole config) is reported on its Ingress, which answers 503, while the
// other Ingresses serve.
func TestBuildRefusesWeakBackendClientCertificate(t *testing.T) {
	weak := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"client.test"}, RSABits: 1024})
	good := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"client.test"}})
	secret := func(name string, c testutil.Cert) *corev1.Secret {
		return caSecret(name, map[string][]byte{"tls.crt": c.CertPEM, "tls.key": c.KeyPEM})
	}
	snap := source.Snapshot{
		IngressClasses: load(t, "classes.yaml").IngressClasses,
		Services:       load(t, "service-web-app.yaml").Services,
		Secrets:        []*corev1.Secret{secret("weak", weak), secret("good", good)},
		Ingresses: []*networkingv1.Ingress{
			tlsIngress("weak", 0, []string{"weak.example.com"}, nil, map[string]string{"proxy-ssl-secret": "weak"}),
			tlsIngress("good", 1, []string{"good.example.com"}, nil, map[string]string{"proxy-ssl-secret": "good"}),
			tlsIngress("plain", 2, []string{"plain.example.com"}, nil, nil),
		},
	}
	cfg, report := Build(snap, defaultOpts())
	require.Equal(t, []Problem{{Kind: KindIngress, Object: ref("web", "weak"), Field: annotation("proxy-ssl-secret"), Key: annotationKey("proxy-ssl-secret"),
		Reason: reason.InvalidAnnotation, Message: "Secret web/weak: tls.crt certificate 1 (CN=client.test): RSA key of 1024 bits; at least 2048 are needed"}},
		report.Problems)
	backends := map[string]string{}
	for _, s := range cfg.Servers {
		backends[s.Host] = s.Locations[0].Backend
		if s.Host == "good.example.com" {
			require.Equal(t, good.CertPEM, policyOf(s.Locations[0]).BackendTLS.ClientCertificate)
		}
	}
	require.Equal(t, map[string]string{"weak.example.com": "", "good.example.com": "web_app_http", "plain.example.com": "web_app_http"}, backends)
}

// TestBuildAuthURLOnRequestHost checks that an auth-url on the request's
// host serves under a host rule and answers 503, reported, on a rule
// without a host and the default backend, where the client would choose
// the auth request's target.
func TestBuildAuthURLOnRequestHost(t *testing.T) {
	annots := map[string]string{"auth-url": "https://$best_http_host/oauth2/auth"}
	snap := load(t, "classes.yaml", "service-web-app.yaml")
	snap.Ingresses = []*networkingv1.Ingress{pathIngress("hosted", 0, "a.example.com", "/", annots),
		withDefaultBackend(pathIngress("hostless", 1, "", "/x", annots))}
	cfg, report := Build(snap, defaultOpts())
	require.Empty(t, cfg.DefaultBackend)
	served := map[string]bool{}
	for _, s := range cfg.Servers {
		for _, l := range s.Locations {
			served[s.Host+l.Path] = l.Backend != "" && policyOf(l).ExternalAuth != nil
		}
	}
	require.Equal(t, map[string]bool{"a.example.com/": true, "/x": false}, served)
	var problems []string
	for _, p := range report.Problems {
		problems = append(problems, p.Object.Name+" "+p.Field+" "+string(p.Reason)+": "+p.Message)
	}
	require.Equal(t, []string{
		"hostless spec.defaultBackend InvalidAnnotation: auth-url names the request's host, which on this default backend (it has no host) the client would choose: it answers 503",
		"hostless spec.rules[0].host InvalidAnnotation: auth-url names the request's host, which on this rule (it has no host) the client would choose: it answers 503",
	}, problems)
}

// TestBuildGlobalAuth checks which Ingress paths get the ConfigMap's
// global-auth-url: those without an auth-url of their own (which wins),
// an enable-global-auth: "false", or a path under no-auth-locations; with
// $host in it, a rule without a host answers 503, as with auth-url.
func TestBuildGlobalAuth(t *testing.T) {
	snap := load(t, "classes.yaml", "service-web-app.yaml")
	snap.ConfigMap = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ingress", Name: "archway"}, Data: map[string]string{
		"global-auth-url": "https://$host/oauth2/auth", "global-auth-response-headers": "X-User", "no-auth-locations": "/public"}}
	snap.Ingresses = []*networkingv1.Ingress{
		pathIngress("global", 0, "a.example.com", "/", nil),
		pathIngress("public", 1, "a.example.com", "/public/x", nil),
		pathIngress("publicity", 2, "a.example.com", "/publicity", nil),
		pathIngress("own", 3, "a.example.com", "/own", map[string]string{"auth-url": "http://127.0.0.1:9000/auth"}),
		pathIngress("out", 4, "a.example.com", "/out", map[string]string{"enable-global-auth": "false"}),
		pathIngress("hostless", 5, "", "/x", nil),
	}
	cfg, report := Build(snap, defaultOpts())
	auth := map[string]string{}
	for _, s := range cfg.Servers {
		for _, l := range s.Locations {
			switch {
			case l.Backend == "":
				auth[s.Host+l.Path] = "503"
			case policyOf(l).ExternalAuth == nil:
				auth[s.Host+l.Path] = "none"
			default:
				a := policyOf(l).ExternalAuth
				auth[s.Host+l.Path] = probeURL(a.URL) + " " + strings.Join(a.ResponseHeaders, ",")
			}
		}
	}
	require.Equal(t, map[string]string{
		"a.example.com/": "https://$host/oauth2/auth X-User", "a.example.com/publicity": "https://$host/oauth2/auth X-User",
		"a.example.com/public/x": "none", "a.example.com/own": "http://127.0.0.1:9000/auth ", "a.example.com/out": "none", "/x": "503",
	}, auth)
	var problems []string
	for _, p := range report.Problems {
		problems = append(problems, p.Object.Name+" "+p.Field+" "+string(p.Reason)+": "+p.Message)
	}
	require.Equal(t, []string{
		"hostless spec.rules[0].host InvalidAnnotation: the ConfigMap's global-auth-url names the request's host, which on this rule (it has no host) the client would choose: it answers 503",
	}, problems)
}

// probeURL writes a template back as its text.
func probeURL(t model.Template) string {
	var b strings.Builder
	for _, part := range t {
		if part.Var != "" {
			b.WriteString("$" + part.Var)
		}
		b.WriteString(part.Text)
	}
	return b.String()
}
