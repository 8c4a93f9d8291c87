package render

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/source"
)

// annotated returns the policy that package annotations makes of the
// annotations, given without their prefix; the test fails on any problem.
func annotated(t testing.TB, values map[string]string) model.Policy {
	t.Helper()
	full := make(map[string]string, len(values))
	for k, v := range values {
		full[annotations.DefaultPrefix+"/"+k] = v
	}
	p, problems := annotations.Parse(full, annotations.DefaultPrefix)
	require.Empty(t, problems)
	return p.Location.Policy()
}

// with returns l with policy p and Ingress ns/name.
func with(l model.Location, ingress string, p model.Policy) model.Location {
	l.Policy, l.Owner = &p, model.Owner{Kind: model.KindIngress, Ref: model.Ref{Namespace: "web", Name: ingress}}
	return l
}

func regex(path, backend string) model.Location {
	return model.Location{Path: path, Match: model.MatchRegex, Backend: backend}
}

func testdataFile(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return data
}

// policyGoldenCases combine annotations; each golden file is checked with
// nginx -t like the others.
func policyGoldenCases(t *testing.T) map[string]model.Config {
	backends := []model.Backend{backend("api", 8080, "10.0.1.1"), backend("errors", 8080, "10.0.9.1"),
		backend("grpc", 50051, "10.0.2.1"), backend("web", 80, "10.0.3.1")}
	tlsPolicy := annotated(t, map[string]string{"backend-protocol": "HTTPS", "proxy-ssl-verify": "on",
		"proxy-ssl-verify-depth": "2", "proxy-ssl-name": "api.internal", "proxy-ssl-server-name": "on", "proxy-ssl-secret": "tls"})
	tlsPolicy.BackendTLS.ClientCertificate = testdataFile(t, "backend-tls/client.crt")
	tlsPolicy.BackendTLS.ClientKey = testdataFile(t, "backend-tls/client.key")
	tlsPolicy.BackendTLS.TrustedCA = testdataFile(t, "backend-tls/ca.crt")
	basic := annotated(t, map[string]string{"auth-type": "basic", "auth-secret": "users", "auth-realm": "Staff only",
		"limit-rps": "5", "limit-connections": "2", "limit-whitelist": "10.0.0.0/8, fd00::/8"})
	basic.BasicAuth = &model.BasicAuth{Realm: "Staff only",
		Credentials: []model.Credential{{User: "alice", Hash: "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="}}}
	errorPages := annotated(t, map[string]string{"custom-http-errors": "404,502"})
	errorPages.Errors = &model.ErrorPages{Codes: []int{404, 502}, Backend: "errors"}
	fallback := annotated(t, map[string]string{"default-backend": "errors"})
	fallback.Errors = &model.ErrorPages{Backend: "errors"}
	return map[string]model.Config{
		"annotations_waf": wafGoldenCase(backends),
		"gateway_filters": filterRoutesConfig(t, 8080),
		"annotations_proxy": {
			Backends: backends,
			Servers: []model.Server{{Host: "proxy.example.com", Locations: []model.Location{
				with(prefix("/", "web"), "tuned", annotated(t, map[string]string{
					"proxy-body-size": "0", "client-body-buffer-size": "64k", "proxy-buffering": "on",
					"proxy-request-buffering": "off", "proxy-buffer-size": "16k", "proxy-buffers-number": "8",
					"proxy-max-temp-file-size": "0", "proxy-connect-timeout": "2", "proxy-read-timeout": "1h",
					"proxy-send-timeout": "1500ms", "proxy-next-upstream": "error timeout http_502",
					"proxy-next-upstream-timeout": "10", "proxy-next-upstream-tries": "0", "proxy-http-version": "1.0",
					"upstream-vhost": "web.internal:8080", "connection-proxy-header": "keep-alive",
					"x-forwarded-prefix": "/shop", "proxy-redirect-from": "http://web.internal/", "proxy-redirect-to": "/",
					"proxy-cookie-domain": "web.internal proxy.example.com", "proxy-cookie-path": "/ /shop/",
				})),
				with(prefix("/api", "api"), "tls", tlsPolicy),
				with(prefix("/auto", "web"), "auto", annotated(t, map[string]string{"backend-protocol": "AUTO_HTTP"})),
				with(prefix("/grpc.Echo", "grpc"), "grpc", annotated(t, map[string]string{
					"backend-protocol": "GRPC", "proxy-read-timeout": "3600", "proxy-buffer-size": "8k",
				})),
			}}},
		},
		"annotations_routing": {
			Backends: backends,
			Servers: []model.Server{
				{Host: "moved.example.com", Locations: []model.Location{
					with(prefix("/", ""), "moved", annotated(t, map[string]string{
						"permanent-redirect": "https://new.example.com$request_uri", "permanent-redirect-code": "308",
					})),
				}},
				{Host: "shop.example.com", Aliases: []string{"shop.example.net", "store.example.com"}, Locations: []model.Location{
					with(prefix("/", "web"), "shop", annotated(t, map[string]string{"app-root": "/app1"})),
					with(regex("/api(/|$)(.*)", "api"), "api", annotated(t, map[string]string{"rewrite-target": "/$2"})),
					with(regex("/api/v[0-9]+/(.*)", "api"), "api", annotated(t, map[string]string{"rewrite-target": "/v1/$1"})),
					with(exact("/api/health", "api"), "api", annotated(t, map[string]string{"rewrite-target": "/healthz"})),
					with(prefix("/static", "web"), "static", model.Policy{}),
					with(regex(`/files/.+\.pdf`, "web"), "files", annotated(t, map[string]string{"use-regex": "true"})),
				}},
			},
		},
		"annotations_access": {
			Backends:       backends,
			DefaultBackend: "web",
			Servers: []model.Server{{Host: "access.example.com", Locations: []model.Location{
				with(prefix("/", "web"), "public", annotated(t, map[string]string{
					"enable-cors": "true", "cors-allow-origin": "https://app.example.com, https://*.example.org:8443",
					"cors-expose-headers": "X-Request-ID", "cors-max-age": "600",
				})),
				with(prefix("/open", "web"), "open", annotated(t, map[string]string{"enable-cors": "true", "cors-allow-credentials": "false"})),
				with(prefix("/private", "web"), "private", basic),
				with(prefix("/sso", "web"), "sso", annotated(t, map[string]string{
					"auth-url": "https://auth.example.com/oauth2/auth", "auth-signin": "https://auth.example.com/oauth2/start",
					"auth-response-headers": "X-Auth-Request-User, X-Auth-Request-Email", "auth-method": "GET",
					"auth-cache-key": "$http_authorization", "auth-cache-duration": "200 202 10m, 401 30s",
				})),
				with(prefix("/internal", "api"), "internal", annotated(t, map[string]string{
					"auth-url": "http://10.0.0.5:9000/check?scope=api", "auth-request-redirect": "https://access.example.com/internal",
					"limit-rpm": "120", "limit-burst-multiplier": "2",
				})),
				with(prefix("/pages", "web"), "pages", errorPages),
				with(prefix("/fallback", "api"), "fallback", fallback),
			}}},
		},
		// The ConfigMap's global auth: one auth location serves the
		// server's paths that take it.
		"global_auth": builtConfig(t, configMapYAML(`{global-auth-url: "https://auth.example.com/oauth2/auth", `+
			`global-auth-signin: "https://auth.example.com/oauth2/start", global-auth-response-headers: X-Auth-Request-User, no-auth-locations: /slow}`)+
			hostIngress("plain", "plain.example.com", nil)+
			hostIngress("own", "own.example.com", map[string]string{"auth-url": "http://10.0.0.5:9000/check"})+
			hostIngress("out", "out.example.com", map[string]string{"enable-global-auth": "false"})+
			serviceYAML("app", 80, 8080)+serviceYAML("slow", 80, 8081)),
		"annotations_snippets": {
			Backends: backends,
			Servers: []model.Server{{Host: "cloud.example.com", Locations: []model.Location{
				with(prefix("/", "web"), "cloud", model.Policy{Snippet: parsedSnippet(t, annotations.ConfigurationSnippet,
					`more_set_headers "X-Frame-Options: SAMEORIGIN"; proxy_set_header X-Forwarded-Proto https;
					add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always; expires 1h;
					rewrite ^/docs/(.*)$ /documentation/$1 permanent; rewrite ^/old/(.*)$ /new/$1 break;`)}),
				with(prefix("/api", "api"), "cloud", model.Policy{}),
			}, Snippet: parsedSnippet(t, annotations.ServerSnippet, `more_clear_headers Server; proxy_hide_header X-Powered-By;
				location = /.well-known/carddav { return 301 $scheme://$host/remote.php/dav; }
				location /metrics { allow 10.0.0.0/8; deny all; }
				location ~* ^/(?:build|tests)/ { deny all; return 404; }`)}},
		},
	}
}

func TestPolicyGolden(t *testing.T) {
	r, err := New("")
	require.NoError(t, err)
	for name, cfg := range policyGoldenCases(t) {
		t.Run(name, func(t *testing.T) {
			opts := rootOptions(goldenRuntimeDir)
			opts.Resolvers = []netip.Addr{netip.MustParseAddr("10.96.0.10"), netip.MustParseAddr("fd00::53")}
			out, err := r.Render(cfg, opts)
			require.NoError(t, err)
			checkGolden(t, name, out)
		})
	}
}

// TestIngressNginxManifestsRender builds the ingress-nginx style
// manifests of package builder's testdata and checks the result with
// nginx -t.
func TestIngressNginxManifestsRender(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "builder", "testdata", "ingress-nginx", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var snap source.Snapshot
	snap.AddManifests("class.yaml", []byte("apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: archway}\nspec: {controller: archway.dev/ingress-controller}\n"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		snap.AddManifests(f, data)
	}
	cfg, report := builder.Build(snap, builder.Options{IngressClass: "archway", ControllerClass: "archway.dev/ingress-controller"})
	require.Empty(t, report.Problems)
	r, err := New("")
	require.NoError(t, err)
	dir := t.TempDir()
	opts := rootOptions(dir)
	opts.User, opts.Group = workerUser(t)
	out, err := r.Render(cfg, opts)
	require.NoError(t, err)
	nginxCheck(t, dir, out.Files)
}
