package lint

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/source"
)

// ingress is an Ingress manifest of class nginx (ingress-nginx's) with
// annotations (YAML flow map, without the prefix) and paths, each
// "pathType path service".
func ingress(ns, name, host, annotations string, paths ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: %s\n  namespace: %s\n  annotations: {%s}\n", name, ns, annotations)
	fmt.Fprintf(&b, "spec:\n  ingressClassName: nginx\n  rules:\n  - host: %q\n    http:\n      paths:\n", host)
	for _, p := range paths {
		f := strings.Fields(p)
		fmt.Fprintf(&b, "      - {pathType: %s, path: %q, backend: {service: {name: %s, port: {number: 80}}}}\n", f[0], f[1], f[2])
	}
	return b.String() + "---\n"
}

// service is a Service manifest with port 80.
func service(ns, name string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: %s}\nspec: {ports: [{port: 80}]}\n---\n", name, ns)
}

const pfx = "nginx.ingress.kubernetes.io/"

// TestLint: each finding's severity, reason, object and field, from builder's
// Problems and from the differences from ingress-nginx.
func TestLint(t *testing.T) {
	tests := map[string]struct {
		manifests string
		cluster   bool // a cluster's Snapshot: nothing is missing only from the files
		want      []string
		fix       string // the fix of the first finding contains this
		unchecked []string
	}{
		"clean Ingress of another class": {
			manifests: service("web", "web") + ingress("web", "web", "a.example.com", "", "Prefix / web"),
		},
		"trailing slash taken by another backend in ingress-nginx": {
			manifests: service("h", "core") + service("h", "portal") +
				ingress("h", "harbor", "h.example.com", "", "Prefix /api/ core", "Prefix / portal"),
			want: []string{"warning PrefixTrailingSlash Ingress h/harbor spec.rules[0].http.paths[0].path"},
			fix:  `add the path "/api" with pathType: Exact and the backend Service portal port 80`,
		},
		"trailing slash, ingress-nginx's exact location of another Ingress": {
			manifests: service("h", "core") + service("h", "other") +
				ingress("h", "a", "h.example.com", "", "Prefix /api/ core") + ingress("h", "b", "h.example.com", "", "Prefix /api other"),
			want: []string{
				"warning PrefixTrailingSlash Ingress h/a spec.rules[0].http.paths[0].path",
				"error PathConflict Ingress h/b spec.rules[0].http.paths[0]",
			},
		},
		"trailing slash, same backend either way": {
			manifests: service("h", "core") + ingress("h", "harbor", "h.example.com", "", "Prefix /api/ core", "Prefix / core"),
		},
		"trailing slash, ImplementationSpecific, nothing else on the host": {
			manifests: service("h", "core") + ingress("h", "harbor", "h.example.com", "", "ImplementationSpecific /api/ core"),
			want:      []string{"info PrefixTrailingSlash Ingress h/harbor spec.rules[0].http.paths[0].path"},
		},
		"ImplementationSpecific path was a string prefix in ingress-nginx": {
			manifests: service("h", "web") + ingress("h", "a", "h.example.com", "", "ImplementationSpecific /app web", "ImplementationSpecific / web", "Prefix /api web"),
			want:      []string{"warning StringPrefix Ingress h/a spec.rules[0].http.paths[0].path"},
			fix:       `also "/appx" and "/app.json"`,
		},
		"Exact path with a trailing slash is the same in both": {
			manifests: service("h", "core") + service("h", "portal") +
				ingress("h", "harbor", "h.example.com", "", "Exact /api/ core", "Prefix / portal"),
		},
		"use-regex on one Ingress made the host's other paths regexes": {
			manifests: service("s", "api") + service("s", "web") +
				ingress("s", "api", "s.example.com", `"`+pfx+`use-regex": "true"`, "ImplementationSpecific /api/v[0-9]+ api", "Prefix /docs api") +
				ingress("s", "web", "s.example.com", "", "Prefix /Static web", "Exact /healthz web", "Prefix / web") +
				ingress("s", "other-host", "t.example.com", "", "Prefix /Static web"),
			want: []string{
				"warning RegexHost Ingress s/api spec.rules[0].http.paths[1].path",
				"warning RegexHost Ingress s/web spec.rules[0].http.paths[0].path",
				"warning RegexHost Ingress s/web spec.rules[0].http.paths[1].path",
			},
			fix: `~* "^/docs" (which also matches "/DOCS" and "/docsx")`,
		},
		"a shorter Prefix path takes a regex's requests in archway": {
			manifests: service("s", "api") + service("s", "web") +
				ingress("s", "a", "s.example.com", `"`+pfx+`use-regex": "true"`, "ImplementationSpecific /api/v[0-9]+/.* api", "ImplementationSpecific /apix/[a-z]+ api") +
				ingress("s", "b", "s.example.com", "", "Prefix /api web", "Prefix /apis web", "Prefix /api/v1/users/all/of/them web", "Prefix / web"),
			want: []string{
				"warning RegexPrecedence Ingress s/a spec.rules[0].http.paths[0].path",
				"warning RegexHost Ingress s/b spec.rules[0].http.paths[0].path",
				"warning RegexHost Ingress s/b spec.rules[0].http.paths[1].path",
				"warning RegexHost Ingress s/b spec.rules[0].http.paths[2].path",
			},
			fix: `make "/api" a regex path too`,
		},
		"rewrite-target also made the host regex": {
			manifests: service("s", "web") +
				ingress("s", "a", "s.example.com", `"`+pfx+`rewrite-target": "/"`, "Exact /login web") +
				ingress("s", "b", "s.example.com", "", "Prefix /shop web"),
			want: []string{
				"warning RegexHost Ingress s/a spec.rules[0].http.paths[0].path",
				"warning RegexHost Ingress s/b spec.rules[0].http.paths[0].path",
			},
			fix: "Ingress s/a sets rewrite-target",
		},
		"regex in a Prefix path": {
			manifests: service("s", "web") +
				ingress("s", "a", "s.example.com", `"`+pfx+`rewrite-target": "/$2"`, `Prefix /cart(/|$)(.*) web`),
			want: []string{"error InvalidPath Ingress s/a spec.rules[0].http.paths[0].path"},
			fix:  "set pathType: ImplementationSpecific and use-regex",
		},
		"characters no regex allows in a Prefix path": {
			manifests: service("s", "web") + ingress("s", "a", "s.example.com", "", "Prefix /a%20b web"),
			want:      []string{"error InvalidPath Ingress s/a spec.rules[0].http.paths[0].path"},
			fix:       "use only A-Z a-z 0-9",
		},
		"capture group the path lacks": {
			manifests: service("s", "web") + ingress("s", "a", "s.example.com", `"`+pfx+`rewrite-target": "/v1/$1"`, "ImplementationSpecific /old web"),
			want:      []string{"info MissingCaptureGroup Ingress s/a spec.rules[0].http.paths[0].path"},
			fix:       "give the path the capture groups",
		},
		"snippets are errors, unknown keys warnings or info": {
			manifests: service("b", "web") + ingress("b", "blog", "b.example.com",
				`"`+pfx+`configuration-snippet": "deny all;", "`+pfx+`mirror-target": "http://m", "`+pfx+`proxy-bodysize": "1m", "example.com/other": "x"`,
				"Prefix / web"),
			want: []string{
				"error SnippetRefused Ingress b/blog metadata.annotations[nginx.ingress.kubernetes.io/configuration-snippet]",
				"warning UnsupportedAnnotation Ingress b/blog metadata.annotations[nginx.ingress.kubernetes.io/mirror-target]",
				"info UnsupportedAnnotation Ingress b/blog metadata.annotations[nginx.ingress.kubernetes.io/proxy-bodysize]",
			},
			fix: `set safe-snippet-annotations: "true" in archway's ConfigMap`,
		},
		"a snippet with a variable outside the list": {
			manifests: service("b", "web") + ingress("b", "blog", "b.example.com",
				`"`+pfx+`configuration-snippet": "more_set_headers 'Request-Id: $req_id';"`, "Prefix / web"),
			want: []string{"error SnippetRefused Ingress b/blog metadata.annotations[nginx.ingress.kubernetes.io/configuration-snippet]"},
			fix:  `$request_id for ingress-nginx's $req_id`,
		},
		"a snippet the safe subset does not cover": {
			manifests: service("b", "web") + ingress("b", "blog", "b.example.com",
				`"`+pfx+`server-snippet": "client_max_body_size 10m;"`, "Prefix / web"),
			want: []string{"error SnippetRefused Ingress b/blog metadata.annotations[nginx.ingress.kubernetes.io/server-snippet]"},
			fix:  `use the annotation proxy-body-size instead`,
		},
		"modsecurity-snippet points at the typed WAF keys": {
			manifests: service("b", "web") + ingress("b", "blog", "b.example.com",
				`"`+pfx+`enable-modsecurity": "true", "`+pfx+`modsecurity-snippet": "SecRuleEngine On\\nSecRuleRemoveById 942100"`, "Prefix / web"),
			want: []string{"error SnippetRefused Ingress b/blog metadata.annotations[nginx.ingress.kubernetes.io/modsecurity-snippet]"},
			fix:  "archway.dev/modsecurity-mode (for SecRuleEngine)",
		},
		"invalid value answers 503": {
			manifests: service("b", "web") + ingress("b", "blog", "b.example.com", `"`+pfx+`proxy-read-timeout": "soon"`, "Prefix / web"),
			want:      []string{"error InvalidAnnotation Ingress b/blog metadata.annotations[nginx.ingress.kubernetes.io/proxy-read-timeout]"},
		},
		"Services and Secrets the files lack are not checked": {
			manifests: ingress("t", "up", "u.example.com", "", "Prefix / up") +
				ingress("t", "guarded", "g.example.com", `"`+pfx+`auth-type": "basic", "`+pfx+`auth-secret": "t/users"`, "Prefix / up"),
			unchecked: []string{"Secret t/users", "Service t/up"},
		},
		"a port the Service lacks is checked": {
			manifests: service("t", "up") + strings.Replace(ingress("t", "up", "u.example.com", "", "Prefix / up"), "number: 80", "number: 81", 1),
			want:      []string{"error ServicePortNotFound Ingress t/up spec.rules[0].http.paths[0].backend.service.port"},
		},
		"another namespace's Secret is refused, in the files or not": {
			manifests: service("t", "up") + ingress("t", "up", "u.example.com", `"`+pfx+`auth-type": "basic", "`+pfx+`auth-secret": "kube-system/users"`, "Prefix / up"),
			want:      []string{"error InvalidAnnotation Ingress t/up metadata.annotations[nginx.ingress.kubernetes.io/auth-secret]"},
		},
		"a cluster's missing Service is an error": {
			manifests: ingress("t", "up", "u.example.com", "", "Prefix / up"),
			cluster:   true,
			want:      []string{"error ServiceNotFound Ingress t/up spec.rules[0].http.paths[0].backend.service.name"},
			fix:       "create the Service",
		},
		"ConfigMap keys archway does not read": {
			manifests: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ingress-nginx-controller, namespace: ingress-nginx}\n" +
				"data: {use-forwarded-headers: 'true', proxy-body-size: 8m, http-snippet: 'x', hsts-max-age: forever, limit-rate: '1024', use-geoip2: 'true'}\n",
			want: []string{
				"error InvalidSetting ConfigMap ingress-nginx/ingress-nginx-controller data.hsts-max-age",
				"error SnippetRefused ConfigMap ingress-nginx/ingress-nginx-controller data.http-snippet",
				"warning UnsupportedSetting ConfigMap ingress-nginx/ingress-nginx-controller data.limit-rate",
				"warning UnsupportedSetting ConfigMap ingress-nginx/ingress-nginx-controller data.use-geoip2",
			},
			fix: "docs/configmap.md",
		},
		"a document that does not parse": {
			manifests: "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: 3}\n",
			want:      []string{"error InvalidManifest File f.yaml document 0"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var snap source.Snapshot
			snap.AddManifests("f.yaml", []byte(tc.manifests))
			res := Lint(snap, Options{Partial: !tc.cluster})
			var got []string
			for _, f := range res.Findings {
				got = append(got, strings.TrimSpace(fmt.Sprintf("%s %s %s %s %s", f.Severity, f.Reason, f.Kind, objectName(f), f.Field)))
				require.NotEmpty(t, f.Message)
			}
			require.Equal(t, tc.want, got)
			if tc.fix != "" {
				require.Contains(t, res.Findings[0].Fix+res.Findings[0].Message, tc.fix)
			}
			require.Equal(t, tc.unchecked, res.Unchecked)
			require.Equal(t, len(res.Findings), res.Errors+res.Warnings+res.Infos)
		})
	}
}

// TestLintKeepsObjects: Lint takes every Ingress whatever its class,
// without modifying the Snapshot's objects (a cluster's are shared with
// caches).
func TestLintKeepsObjects(t *testing.T) {
	var snap source.Snapshot
	snap.AddManifests("f.yaml", []byte(service("a", "web")+
		strings.Replace(ingress("a", "legacy", "a.example.com", `"kubernetes.io/ingress.class": "nginx", "`+pfx+`server-snippet": "x"`, "Prefix / web"),
			"  ingressClassName: nginx\n", "", 1)+
		ingress("a", "named", "b.example.com", `"`+pfx+`server-snippet": "x"`, "Prefix / web")))
	res := Lint(snap, Options{Build: builder.Options{IngressClass: "archway", ControllerClass: "archway.dev/x"}})
	require.Equal(t, 2, res.Ingresses)
	require.Equal(t, 2, res.Errors, res.Findings)
	require.Equal(t, "nginx", *snap.Ingresses[1].Spec.IngressClassName)
	require.Equal(t, "nginx", snap.Ingresses[0].Annotations["kubernetes.io/ingress.class"])
}
