package render

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/source"
)

// snippetCase is one snippet of the kind public ingress-nginx manifests
// carry, written for this test after the project named in source.
type snippetCase struct {
	name, source string
	server       bool // a server-snippet, else a configuration-snippet
	snippet      string
	// paths are the Ingress's Prefix paths ("/" when empty); others are
	// Prefix paths that a newer Ingress of another namespace routes on
	// the same host, or an older one with othersOwn.
	paths, others []string
	othersOwn     bool
	// refused is what the Problem of a snippet that is not applied says;
	// "" means the snippet applies and checks hold through nginx.
	refused string
	reason  reason.Reason
	checks  []snippetCheck
}

// snippetCheck is a GET of path and what its answer must be. A header
// wanted "" must be absent, "*" present, "*/path" a redirect to path on
// the host; body is a substring. The backend answers 404 to /missing.
type snippetCheck struct {
	path    string
	status  int
	headers map[string]string
	body    string
}

func snippetCorpus() []snippetCase {
	ok := func(path string, headers map[string]string) snippetCheck {
		return snippetCheck{path: path, status: http.StatusOK, headers: headers}
	}
	redirect := func(path string, status int, location string) snippetCheck {
		return snippetCheck{path: path, status: status, headers: map[string]string{"Location": location}}
	}
	status := func(path string, status int) snippetCheck { return snippetCheck{path: path, status: status} }
	return []snippetCase{
		{name: "nextcloud-dav", source: "Nextcloud chart (nextcloud/helm): .well-known CalDAV/CardDAV redirects, denied internals, webfinger rewrite, X-Powered-By hidden",
			server: true, snippet: `
server_tokens off;
proxy_hide_header X-Powered-By;
rewrite ^/.well-known/webfinger /index.php/.well-known/webfinger last;
location = /.well-known/carddav { return 301 $scheme://$host/remote.php/dav; }
location = /.well-known/caldav { return 301 $scheme://$host/remote.php/dav; }
location ~ ^/(?:build|tests|config|lib|3rdparty|templates|data)/ { deny all; }
location ~ ^/(?:autotest|occ|issue|indie|db_|console) { deny all; }`,
			checks: []snippetCheck{
				redirect("/.well-known/carddav", 301, "http://HOST/remote.php/dav"),
				redirect("/.well-known/caldav", 301, "http://HOST/remote.php/dav"),
				status("/config/config.php", 403), status("/occ", 403),
				{path: "/.well-known/webfinger", status: 200, body: "/index.php/.well-known/webfinger"},
				ok("/index.php", map[string]string{"X-Powered-By": ""}),
			}},
		{name: "nextcloud-robots", source: "Nextcloud's nginx advice carried into snippets: robots.txt without its log lines",
			server: true, snippet: "location = /robots.txt { allow all; log_not_found off; access_log off; }",
			refused: `"log_not_found" (line 1) is refused: it is not in archway's safe snippet subset`, reason: reason.SnippetRefused},
		{name: "security-headers", source: "Vaultwarden and Bitwarden deployment guides: security headers with more_set_headers",
			snippet: `more_set_headers "X-Frame-Options: SAMEORIGIN";
more_set_headers "X-Content-Type-Options: nosniff";
more_set_headers "X-XSS-Protection: 1; mode=block";`,
			checks: []snippetCheck{ok("/", map[string]string{"X-Frame-Options": "SAMEORIGIN", "X-Content-Type-Options": "nosniff", "X-Xss-Protection": "1; mode=block"})}},
		{name: "hsts-csp", source: "OWASP secure headers advice as ingress-nginx users apply it: add_header ... always",
			snippet: `add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;
add_header Content-Security-Policy "default-src 'self'; frame-ancestors 'none'" always;`,
			checks: []snippetCheck{
				ok("/", map[string]string{"Strict-Transport-Security": "max-age=31536000; includeSubDomains", "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'"}),
				{path: "/missing", status: 404, headers: map[string]string{"Strict-Transport-Security": "max-age=31536000; includeSubDomains"}},
			}},
		{name: "hide-server", source: "common hardening in charts' values (more_clear_headers Server)",
			snippet: "more_clear_headers Server X-Powered-By;",
			checks:  []snippetCheck{ok("/", map[string]string{"Server": "", "X-Powered-By": ""})}},
		{name: "request-id", source: "ingress-nginx docs, configuration-snippet example (more_set_headers with $req_id)",
			snippet: `more_set_headers "Request-Id: $req_id";`,
			refused: `"$req_id" (line 1) is refused: header value: variable "$req_id" is not allowed here`, reason: reason.SnippetRefused},
		{name: "request-id-nginx", source: "the same ingress-nginx docs example with nginx's own $request_id",
			snippet: `more_set_headers "Request-Id: $request_id";`,
			checks:  []snippetCheck{ok("/", map[string]string{"Request-Id": "*"})}},
		{name: "mobile-redirect", source: "ingress-nginx docs, server-snippet example (set and if on the user agent)",
			server: true, snippet: "set $agentflag 0;\nif ($http_user_agent ~* \"(Mobile)\") { set $agentflag 1; }",
			refused: `"set" (line 1) is refused`, reason: reason.SnippetRefused},
		{name: "oauth2-proxy-cookies", source: "oauth2-proxy docs for ingress-nginx: auth_request_set and access_by_lua_block for split cookies",
			snippet: "auth_request_set $name_upstream_1 $upstream_cookie_name_1;\naccess_by_lua_block { ngx.header[\"Set-Cookie\"] = ngx.var.name_upstream_1 }",
			refused: `"auth_request_set" (line 1) is refused`, reason: reason.SnippetRefused},
		{name: "linkerd-dst", source: "Linkerd docs, ingress-nginx with l5d-dst-override",
			snippet: "proxy_set_header l5d-dst-override $service_name.$namespace.svc.cluster.local:$service_port;",
			refused: `variable "$service_name" is not allowed here`, reason: reason.SnippetRefused},
		{name: "forwarded-proto", source: "Keycloak and Jenkins behind a TLS-terminating load balancer: proxy_set_header X-Forwarded-Proto https",
			snippet: "proxy_set_header X-Forwarded-Proto https;\nproxy_set_header X-Real-Host $host;",
			checks: []snippetCheck{ok("/?show=X-Forwarded-Proto&show=X-Real-Host&show=X-Request-Id",
				map[string]string{"X-Seen-X-Forwarded-Proto": "https", "X-Seen-X-Real-Host": "HOST"})}},
		{name: "cors-echo-origin", source: "StackOverflow-style CORS snippets (more_set_headers with $http_origin)",
			snippet: `more_set_headers "Access-Control-Allow-Origin: $http_origin";`,
			refused: `variable "$http_origin" is not allowed here`, reason: reason.SnippetRefused},
		{name: "metrics-404", source: "Prometheus-instrumented apps (Grafana, GitLab exporters) hiding /metrics and health paths",
			server: true, snippet: "location ~ ^/(metrics|ping) { deny all; return 404; }",
			checks: []snippetCheck{status("/metrics", 404), status("/ping/x", 404), ok("/app", nil)}},
		{name: "actuator", source: "Spring Boot deployments denying /actuator at the edge",
			server: true, snippet: "location /actuator { deny all; }",
			checks: []snippetCheck{status("/actuator/env", 403), status("/actuatorx", 403), ok("/api", nil)}},
		{name: "admin-allowlist", source: "WordPress and Keycloak hardening: admin paths only from the office network",
			server: true, snippet: "location /wp-admin { allow 10.0.0.0/8; deny all; }",
			checks: []snippetCheck{status("/wp-admin/", 403), ok("/blog", nil)}},
		{name: "www-redirect", source: "marketing sites' apex-to-www redirect in a server-snippet",
			server: true, snippet: "return 301 https://www.example.com$request_uri;",
			checks: []snippetCheck{redirect("/a?b=1", 301, "https://www.example.com/a?b=1")}},
		{name: "docs-moved", source: "documentation sites (Docusaurus, MkDocs charts) keeping old links: rewrite ... permanent",
			snippet: "rewrite ^/docs/(.*)$ /documentation/$1 permanent;",
			paths:   []string{"/docs"},
			checks:  []snippetCheck{redirect("/docs/install", 301, "*/documentation/install")}},
		{name: "grafana-subpath", source: "Grafana docs, serving from a sub path: rewrite ^/grafana/(.*) /$1 break",
			snippet: "rewrite ^/grafana/(.*)$ /$1 break;",
			paths:   []string{"/grafana"},
			checks:  []snippetCheck{{path: "/grafana/api/health", status: 200, body: " /api/health"}}},
		{name: "static-cache", source: "frontend charts caching assets: expires and Cache-Control",
			snippet: "expires 30d;\nadd_header Cache-Control \"public\";",
			checks:  []snippetCheck{ok("/app.js", map[string]string{"Expires": "*"})}},
		{name: "no-cache", source: "single-page apps' index.html: expires -1",
			snippet: "expires -1;",
			checks:  []snippetCheck{ok("/", map[string]string{"Cache-Control": "no-cache"})}},
		{name: "maintenance", source: "maintenance switch in a configuration-snippet: return 503",
			snippet: "return 503;",
			checks:  []snippetCheck{status("/", 503)}},
		{name: "body-size", source: "GitLab and Harbor charts' upload sizes as a snippet",
			snippet: "client_max_body_size 0;",
			refused: `"client_max_body_size" (line 1) is refused`, reason: reason.SnippetRefused},
		{name: "proxy-cache", source: "ingress-nginx users' proxy_cache snippets",
			snippet: "proxy_cache static-cache;\nproxy_cache_valid 404 10m;",
			refused: `"proxy_cache" (line 1) is refused`, reason: reason.SnippetRefused},
		{name: "headers-more-status", source: "headers-more README: more_set_headers -s for error statuses",
			snippet: `more_set_headers -s 404 "X-Missing: yes";`,
			refused: `the options -s, -t and -r of headers-more are not supported`, reason: reason.SnippetRefused},
		{name: "unanchored-php", source: "PHP apps (Nextcloud, WordPress) denying *.php outside the front controller",
			server: true, snippet: `location ~ \.php$ { deny all; }`,
			refused: "a regex location must be anchored", reason: reason.SnippetRefused},
		{name: "uploads-php", source: "WordPress hardening guides: no PHP under wp-content/uploads, as an anchored regex location",
			server: true, snippet: `location ~ ^/wp-content/uploads/[^?]*\.php$ { deny all; }`,
			checks: []snippetCheck{status("/wp-content/uploads/2024/shell.php", 403), ok("/wp-content/uploads/2024/a.png", nil), ok("/index.php", nil)}},
		{name: "shadow-other-namespace", source: "a shared host: the owner's snippet location inside another team's path",
			server: true, snippet: "location /api/internal { deny all; }", others: []string{"/api"}, paths: []string{"/app"},
			refused: `location "/api/internal" would take requests of path "/api", which another namespace routes on the host`, reason: reason.PathConflict},
		{name: "server-headers-shared-host", source: "a shared host: host-wide headers would reach another team's path",
			server: true, snippet: `add_header X-Team "a";`, others: []string{"/api"}, paths: []string{"/app"},
			refused: "its add_header applies to every path of the host, and another namespace routes paths on it", reason: reason.PathConflict},
		{name: "not-owner", source: "a shared host: a server-snippet from a namespace that does not own the host",
			server: true, snippet: "location /x { deny all; }", paths: []string{"/late"}, others: []string{"/"}, othersOwn: true,
			refused: "belongs to another namespace", reason: reason.HostNotOwned},
		{name: "owner-beside-others", source: "a shared host: the owner denies a path no other namespace routes",
			server: true, snippet: "location = /debug { return 404; }", others: []string{"/api"}, paths: []string{"/"},
			checks: []snippetCheck{status("/debug", 404), ok("/api/x", nil), ok("/debugx", nil)}},
	}
}

// TestSnippetCorpus builds every snippet of the corpus with the safe subset
// on, serves the config with the real nginx, and checks each accepted
// snippet's effect with requests and each refused one's Problem.
func TestSnippetCorpus(t *testing.T) {
	corpus := snippetCorpus()
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Powered-By", "PHP/8")
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		echo("app")(w, r)
	}))
	t.Cleanup(backend.Close)
	snap := snippetSnapshot(corpus, backend.Listener.Addr().(*net.TCPAddr).Port)
	cfg, report := builder.Build(snap, builder.Options{IngressClass: "archway", ControllerClass: "archway.dev/ingress-controller",
		Now: time.Now(), LoopbackEndpoints: true})
	env := newAnnotationEnv(t, cfg)
	covered := 0
	for i, tc := range corpus {
		t.Run(tc.name, func(t *testing.T) {
			ref, key := snippetRef(i, tc)
			var got []builder.Problem
			for _, p := range report.Problems {
				if p.Object.Namespace == ref.Namespace && p.Key == key {
					got = append(got, p)
				}
			}
			if tc.refused != "" {
				require.Len(t, got, 1, "source: %s", tc.source)
				require.Equal(t, tc.reason, got[0].Reason)
				require.Contains(t, got[0].Message, tc.refused)
				return
			}
			require.Empty(t, got, "source: %s", tc.source)
			covered++
			host := snippetHost(i)
			for _, c := range tc.checks {
				resp, body := env.do(t, http.MethodGet, host, c.path, nil, "")
				require.Equal(t, c.status, resp.StatusCode, "GET %s: %s", c.path, body)
				for name, want := range c.headers {
					got := resp.Header.Get(name)
					switch want = strings.ReplaceAll(want, "HOST", host); want {
					case "":
						require.NotContains(t, resp.Header, http.CanonicalHeaderKey(name), "GET %s", c.path)
					case "*":
						require.NotEmpty(t, got, "GET %s: header %s", c.path, name)
					case "*" + want[1:]: // nginx's absolute redirects name its port
						require.True(t, strings.HasPrefix(got, "http://"+host+":") && strings.HasSuffix(got, want[1:]), "GET %s: header %s: %s", c.path, name, got)
					default:
						require.Equal(t, want, got, "GET %s: header %s", c.path, name)
					}
				}
				require.Contains(t, body, c.body, "GET %s", c.path)
			}
		})
	}
	t.Logf("the safe subset covers %d of the corpus's %d snippets", covered, len(corpus))
}

// parsedSnippet parses a snippet that the subset must accept.
func parsedSnippet(t *testing.T, kind annotations.SnippetKind, text string) *model.Snippet {
	t.Helper()
	snip, err := annotations.ParseSnippet(text, kind)
	require.NoError(t, err)
	return snip
}

func snippetHost(i int) string { return fmt.Sprintf("c%02d.example.com", i) }

// snippetRef is the Ingress of case i and the key of its snippet.
func snippetRef(i int, tc snippetCase) (metav1.ObjectMeta, string) {
	key := annotations.ConfigurationSnippetKey
	if tc.server {
		key = annotations.ServerSnippetKey
	}
	return metav1.ObjectMeta{Namespace: fmt.Sprintf("team%02d", i), Name: "app"}, annotations.DefaultPrefix + "/" + key
}

// snippetSnapshot has one Ingress with the snippet per case, on its own
// host, and the other namespaces' older Ingresses on that host; every
// namespace's Service "app" has the one backend as its endpoint.
func snippetSnapshot(corpus []snippetCase, port int) source.Snapshot {
	class := "archway"
	snap := source.Snapshot{
		IngressClasses: []*networkingv1.IngressClass{{ObjectMeta: metav1.ObjectMeta{Name: class},
			Spec: networkingv1.IngressClassSpec{Controller: "archway.dev/ingress-controller"}}},
		ConfigMap: &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "archway", Name: "archway"},
			Data: map[string]string{builder.SafeSnippetsKey: "true"}},
	}
	older := metav1.NewTime(time.Unix(1e9, 0))
	ingress := func(meta metav1.ObjectMeta, host string, paths []string) *networkingv1.Ingress {
		prefix := networkingv1.PathTypePrefix
		rule := &networkingv1.HTTPIngressRuleValue{}
		for _, p := range paths {
			rule.Paths = append(rule.Paths, networkingv1.HTTPIngressPath{Path: p, PathType: &prefix,
				Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
					Name: "app", Port: networkingv1.ServiceBackendPort{Name: "http"}}}})
		}
		return &networkingv1.Ingress{ObjectMeta: meta, Spec: networkingv1.IngressSpec{IngressClassName: &class,
			Rules: []networkingv1.IngressRule{{Host: host, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: rule}}}}}
	}
	addService := func(namespace string) {
		ready, target, portName := true, int32(port), "http"
		snap.Services = append(snap.Services, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "app"},
			Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(target)}}}})
		snap.EndpointSlices = append(snap.EndpointSlices, &discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Namespace: namespace, Name: "app-1", Labels: map[string]string{discoveryv1.LabelServiceName: "app"}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Name: &portName, Port: &target}},
			Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"127.0.0.1"}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}}},
		})
	}
	for i, tc := range corpus {
		meta, key := snippetRef(i, tc)
		meta.Annotations = map[string]string{key: tc.snippet}
		otherCreated := metav1.NewTime(older.Add(time.Hour))
		meta.CreationTimestamp = older
		if tc.othersOwn {
			meta.CreationTimestamp, otherCreated = otherCreated, older
		}
		paths := tc.paths
		if len(paths) == 0 {
			paths = []string{"/"}
		}
		snap.Ingresses = append(snap.Ingresses, ingress(meta, snippetHost(i), paths))
		addService(meta.Namespace)
		if len(tc.others) > 0 {
			other := metav1.ObjectMeta{Namespace: meta.Namespace + "-other", Name: "app", CreationTimestamp: otherCreated}
			snap.Ingresses = append(snap.Ingresses, ingress(other, snippetHost(i), tc.others))
			addService(other.Namespace)
		}
	}
	return snap
}
