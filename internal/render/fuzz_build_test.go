package render

import (
	"bytes"
	"hash/fnv"
	"strconv"
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
	"github.com/archway-ingress/archway/internal/source"
	"github.com/archway-ingress/archway/internal/testutil"
)

// ingressInput is what an Ingress author controls in one Ingress: the
// strings the build+render fuzz varies.
type ingressInput struct {
	namespace, name, host, path string
	pathType                    uint8 // Exact, Prefix, ImplementationSpecific or none
	regex                       bool  // use-regex: "true" besides the annotation
	annotation                  string
	value                       string
	secret, tlsHost             string
}

func (in ingressInput) String() string {
	return strings.Join([]string{in.namespace, in.name, in.host, in.path, strconv.FormatBool(in.regex), in.annotation, in.value, in.secret, in.tlsHost}, " | ")
}

// snapshot is a cluster with one Service, its endpoints, a valid TLS
// Secret named in.secret and the Ingress in.
func (in ingressInput) snapshot(cert testutil.Cert) source.Snapshot {
	class := "archway"
	meta := func(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Namespace: in.namespace, Name: name} }
	ing := &networkingv1.Ingress{
		ObjectMeta: meta(in.name),
		Spec: networkingv1.IngressSpec{
			IngressClassName: &class,
			TLS:              []networkingv1.IngressTLS{{Hosts: []string{in.tlsHost}, SecretName: in.secret}},
			Rules: []networkingv1.IngressRule{{Host: in.host, IngressRuleValue: networkingv1.IngressRuleValue{
				HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
					Path: in.path,
					Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
						Name: "app", Port: networkingv1.ServiceBackendPort{Name: "http"}}},
				}}},
			}}},
		},
	}
	if types := []networkingv1.PathType{networkingv1.PathTypeExact, networkingv1.PathTypePrefix,
		networkingv1.PathTypeImplementationSpecific}; int(in.pathType%4) < len(types) {
		ing.Spec.Rules[0].HTTP.Paths[0].PathType = &types[in.pathType%4]
	}
	ingresses := []*networkingv1.Ingress{ing}
	ing.Annotations = map[string]string{}
	if in.regex {
		ing.Annotations[annotations.DefaultPrefix+"/use-regex"] = "true"
	}
	// A canary's main route: the same Ingress, without the annotation.
	main := ing.DeepCopy()
	main.Name = in.name + "-main"
	if in.annotation != "" {
		key := annotations.DefaultPrefix + "/" + in.annotation
		if strings.HasPrefix(in.annotation, annotations.OwnPrefix+"/") {
			key = in.annotation // archway's own keys are whole
		}
		ing.Annotations[key] = in.value
		// The other ModSecurity values apply only where it runs, with the
		// CRS.
		if strings.Contains(in.annotation, "modsecurity") || in.annotation == "enable-owasp-core-rules" {
			ing.Annotations[annotations.DefaultPrefix+"/enable-modsecurity"] = "true"
			ing.Annotations[annotations.DefaultPrefix+"/enable-owasp-core-rules"] = "true"
			ing.Annotations[key] = in.value
		}
		// The other auth-tls-* values apply only with a Secret: in.secret,
		// whose ca.crt is the certificate.
		if strings.HasPrefix(in.annotation, "auth-tls-") {
			ing.Annotations[annotations.DefaultPrefix+"/auth-tls-secret"] = in.secret
		}
		// The other canary-* values apply only to a canary of a main
		// route.
		if strings.HasPrefix(in.annotation, "canary-") {
			ingresses = append(ingresses, main)
			ing.Annotations[annotations.DefaultPrefix+"/canary"] = "true"
			if strings.HasPrefix(in.annotation, "canary-by-header-") {
				ing.Annotations[annotations.DefaultPrefix+"/canary-by-header"] = "X-Canary"
			}
		}
	}
	ready, port, portName := true, int32(8080), "http"
	return source.Snapshot{
		IngressClasses: []*networkingv1.IngressClass{{ObjectMeta: metav1.ObjectMeta{Name: class},
			Spec: networkingv1.IngressClassSpec{Controller: "archway.dev/ingress-controller"}}},
		Ingresses: ingresses,
		Services: []*corev1.Service{{ObjectMeta: meta("app"), Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{
			{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}}}}},
		EndpointSlices: []*discoveryv1.EndpointSlice{{
			ObjectMeta:  metav1.ObjectMeta{Namespace: in.namespace, Name: "app-1", Labels: map[string]string{discoveryv1.LabelServiceName: "app"}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Name: &portName, Port: &port}},
			Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.0.0.1"}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}}},
		}},
		Secrets: []*corev1.Secret{{ObjectMeta: meta(in.secret), Type: corev1.SecretTypeTLS,
			Data: map[string][]byte{"tls.crt": cert.CertPEM, "tls.key": cert.KeyPEM, "ca.crt": cert.CertPEM}}},
	}
}

// buildRender runs one Ingress through the whole pipeline, as the
// controller does.
type buildRender struct {
	renderer *Renderer
	checker  confChecker
	cert     testutil.Cert
	opts     builder.Options
}

func newBuildRender(t testing.TB) *buildRender {
	r, err := New("")
	require.NoError(t, err)
	return &buildRender{
		renderer: r,
		checker:  newConfChecker(t),
		cert:     testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"*.example.com", "a.example.com"}}),
		opts: builder.Options{IngressClass: "archway", ControllerClass: "archway.dev/ingress-controller",
			Now: time.Now(), FallbackCertificate: testCertificate(t, "default")},
	}
}

// run builds and renders in, checks that nginx.conf holds only what the
// templates write, and, when nginxTest is set, that nginx -t accepts it.
func (b *buildRender) run(t *testing.T, in ingressInput, nginxTest bool) builder.Report {
	cfg, report := builder.Build(in.snapshot(b.cert), b.opts)
	out, err := b.renderer.Render(cfg, rootOptions(goldenRuntimeDir))
	require.NoError(t, err, "input %s: a built model must always render", in)
	b.checker.check(t, out.Files[0].Data, in.String())
	if nginxTest {
		dir := t.TempDir()
		out.Files[0].Data = bytes.ReplaceAll(out.Files[0].Data, []byte(goldenRuntimeDir), []byte(dir))
		nginxCheck(t, dir, out.Files)
	}
	return report
}

// attacks are the shapes of the published ingress-nginx injection
// payloads (CVE-2021-25742, CVE-2022-4886, CVE-2023-5043, CVE-2023-5044,
// CVE-2025-1097, CVE-2025-1098, CVE-2025-24514, CVE-2025-1974) and of
// every byte that ends or starts something in nginx.conf, aimed at each
// string an Ingress author controls. field is the Problem field that must
// report the attack: nothing of it may be served.
func attacks() map[string]attack {
	return map[string]attack{
		"path closes the location": {in: func(i *ingressInput) {
			i.path = "/x/ { } location ~* ^/(.*) { content_by_lua_block { os.execute('id') } } location /y"
		}, field: "spec.rules[0].http.paths[0].path"},
		"path with a semicolon": {in: func(i *ingressInput) { i.path = "/a;ssl_engine x" }, field: "spec.rules[0].http.paths[0].path"},
		"path with a quote":     {in: func(i *ingressInput) { i.path = `/a";load_module /tmp/x.so;"` }, field: "spec.rules[0].http.paths[0].path"},
		"path with a newline":   {in: func(i *ingressInput) { i.path = "/a\nload_module /tmp/x.so;" }, field: "spec.rules[0].http.paths[0].path"},
		"path with a variable":  {in: func(i *ingressInput) { i.path = "/$request_body" }, field: "spec.rules[0].http.paths[0].path"},
		"path with a comment":   {in: func(i *ingressInput) { i.path = "/a#}" }, field: "spec.rules[0].http.paths[0].path"},
		"path with a backslash": {in: func(i *ingressInput) { i.path = `/a\"b` }, field: "spec.rules[0].http.paths[0].path"},
		"path with NUL":         {in: func(i *ingressInput) { i.path = "/a\x00b" }, field: "spec.rules[0].http.paths[0].path"},
		"regex path breakout": {in: func(i *ingressInput) {
			i.pathType, i.annotation, i.value, i.path = 2, "use-regex", "true", `/(.*)" { return 200 "x"; } location ~ "/y`
		}, field: "spec.rules[0].http.paths[0].path"},
		"host with a directive": {in: func(i *ingressInput) { i.host = "a.example.com;ssl_engine x" }, field: "spec.rules[0].host"},
		"host with a newline":   {in: func(i *ingressInput) { i.host = "a.example.com\nuser root;" }, field: "spec.rules[0].host"},
		"TLS host":              {in: func(i *ingressInput) { i.tlsHost = `a.example.com"; ssl_engine x; "` }, field: "spec.tls[0].hosts[0]"},
		"Secret name":           {in: func(i *ingressInput) { i.secret = `s"; load_module /tmp/x.so; "` }, field: "spec.tls[0].secretName"},
		"snippet":               {in: func(i *ingressInput) { i.annotation, i.value = "configuration-snippet", "more_set_headers \"x: y\";" }, field: "metadata.annotations[nginx.ingress.kubernetes.io/configuration-snippet]"},
		"server snippet with lua": {in: func(i *ingressInput) {
			i.annotation, i.value = "server-snippet", "location /x { content_by_lua_block { os.execute('id') } }"
		}, field: "metadata.annotations[nginx.ingress.kubernetes.io/server-snippet]"},
		"auth-url closes the directive": {in: func(i *ingressInput) {
			i.annotation, i.value = "auth-url", "http://a.example.com/#;\n}}}\nssl_engine foobar;\n#"
		}, field: "metadata.annotations[nginx.ingress.kubernetes.io/auth-url]"},
		"auth-url with a variable": {in: func(i *ingressInput) { i.annotation, i.value = "auth-url", "http://$http_host/x" },
			field: "metadata.annotations[nginx.ingress.kubernetes.io/auth-url]"},
		"auth-tls-match-cn": {in: func(i *ingressInput) {
			i.annotation, i.value = "auth-tls-match-cn", "CN=abc #(\n){}\n }}\nssl_engine foobar;\n#"
		}, field: "metadata.annotations[nginx.ingress.kubernetes.io/auth-tls-match-cn]"},
		"auth-tls-match-cn closes the condition": {in: func(i *ingressInput) {
			i.annotation, i.value = "auth-tls-match-cn", `CN=a") { return 200; } if ($x ~ "`
		}, field: "metadata.annotations[nginx.ingress.kubernetes.io/auth-tls-match-cn]"},
		"mirror-target": {in: func(i *ingressInput) { i.annotation, i.value = "mirror-target", "http://a/;\nload_module /tmp/x.so;" },
			field: "metadata.annotations[nginx.ingress.kubernetes.io/mirror-target]"},
		"permanent-redirect": {in: func(i *ingressInput) {
			i.annotation, i.value = "permanent-redirect", "https://a.example.com/\";return 200 \"x"
		},
			field: "metadata.annotations[nginx.ingress.kubernetes.io/permanent-redirect]"},
		"rewrite-target with a variable": {in: func(i *ingressInput) { i.annotation, i.value = "rewrite-target", "/$request_body" },
			field: "metadata.annotations[nginx.ingress.kubernetes.io/rewrite-target]"},
		"upstream-hash-by with Lua": {in: func(i *ingressInput) { i.annotation, i.value = "upstream-hash-by", "${ngx.var.x}\");os.execute(\"id" },
			field: "metadata.annotations[nginx.ingress.kubernetes.io/upstream-hash-by]"},
		"server-alias": {in: func(i *ingressInput) { i.annotation, i.value = "server-alias", "b.example.com; load_module /tmp/x.so" },
			field: "metadata.annotations[nginx.ingress.kubernetes.io/server-alias]"},
		"cors-allow-origin": {in: func(i *ingressInput) {
			i.annotation, i.value = "cors-allow-origin", "https://a.example.com\" always; add_header X \"y"
		},
			field: "metadata.annotations[nginx.ingress.kubernetes.io/cors-allow-origin]"},
		"allowlist with a directive": {in: func(i *ingressInput) { i.annotation, i.value = "whitelist-source-range", "10.0.0.0/8; allow all" },
			field: "metadata.annotations[nginx.ingress.kubernetes.io/whitelist-source-range]"},
		"denylist with a newline": {in: func(i *ingressInput) { i.annotation, i.value = "denylist-source-range", "10.0.0.0/8\nallow all;" },
			field: "metadata.annotations[nginx.ingress.kubernetes.io/denylist-source-range]"},
		"auth-realm with a quote": {in: func(i *ingressInput) { i.annotation, i.value = "auth-realm", `x"; ssl_engine y; "` },
			field: "metadata.annotations[nginx.ingress.kubernetes.io/auth-realm]"},
		"single quote": {in: func(i *ingressInput) { i.annotation, i.value = "x-forwarded-prefix", "/a'b" },
			field: "metadata.annotations[nginx.ingress.kubernetes.io/x-forwarded-prefix]"},
		"Ingress name": {in: func(i *ingressInput) { i.name = `x"; load_module /tmp/x.so; "` }, field: "metadata"},
		"host with a 64-byte label": {in: func(i *ingressInput) { i.host = strings.Repeat("a", 64) + ".example.com" },
			field: "spec.rules[0].host"},
		"server-alias with a 64-byte label": {in: func(i *ingressInput) { i.annotation, i.value = "server-alias", strings.Repeat("b", 64)+".example.com" },
			field: "metadata.annotations[nginx.ingress.kubernetes.io/server-alias]"},
		"cors-allow-origin with a 64-byte label": {in: func(i *ingressInput) {
			i.annotation, i.value = "cors-allow-origin", "https://"+strings.Repeat("c", 64)+".example.com"
		}, field: "metadata.annotations[nginx.ingress.kubernetes.io/cors-allow-origin]"},
		"path of an internal location": {in: func(i *ingressInput) {
			url := "http://auth.example.com/check"
			i.annotation, i.value, i.pathType, i.path = "auth-url", url, 0, model.InternalPath+"/auth/"+shortHash(url, "", "")
		}, field: "spec.rules[0].http.paths[0].path"},
		"regex path with a named group": {in: func(i *ingressInput) {
			i.pathType, i.annotation, i.value, i.path = 2, "use-regex", "true", "/(?<host>x)"
		}, field: "spec.rules[0].http.paths[0].path"},
		"regex path that backtracks catastrophically": {in: func(i *ingressInput) {
			i.pathType, i.annotation, i.value, i.path = 2, "use-regex", "true", "/x/((a+)+)+$"
		}, field: "spec.rules[0].http.paths[0].path"},
		"canary header pattern that backtracks catastrophically": {in: func(i *ingressInput) {
			i.annotation, i.value = "canary-by-header-pattern", "((a+)+)+$"
		}, field: "metadata.annotations[nginx.ingress.kubernetes.io/canary-by-header-pattern]"},
		"canary header pattern PCRE refuses": {in: func(i *ingressInput) {
			i.annotation, i.value = "canary-by-header-pattern", `[\d-z]`
		}, field: "metadata.annotations[nginx.ingress.kubernetes.io/canary-by-header-pattern]"},
	}
}

// TestBuildRenderMatchCN checks that auth-tls-match-cn, refused while it
// was unsupported, now takes a valid regex through build, render and
// nginx -t, and still refuses the attacks on it, closing the host.
func TestBuildRenderMatchCN(t *testing.T) {
	b := newBuildRender(t)
	tests := map[string]struct {
		value   string
		matchCN string // of the host; "" when it is closed
	}{
		"valid":                   {value: "CN=(client1|client2),O=Example$", matchCN: "CN=(client1|client2),O=Example$"},
		"valid, case-insensitive": {value: "(?i)^cn=client 1(,|$)", matchCN: "(?i)^cn=client 1(,|$)"},
		"hostile":                 {value: attacks()["auth-tls-match-cn"].value()},
		"closes the condition":    {value: attacks()["auth-tls-match-cn closes the condition"].value()},
		"variable":                {value: "CN=$ssl_client_escaped_cert"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			in := baseInput()
			in.annotation, in.value = "auth-tls-match-cn", tc.value
			cfg, _ := builder.Build(in.snapshot(b.cert), b.opts)
			var host *model.Server
			for i := range cfg.Servers {
				if cfg.Servers[i].Host == in.host {
					host = &cfg.Servers[i]
				}
			}
			require.NotNil(t, host)
			report := b.run(t, in, true)
			if tc.matchCN == "" {
				require.Nil(t, host.ClientAuth)
				require.Empty(t, host.Locations[0].Backend, "the host answers 503")
				require.NotEmpty(t, report.Problems)
				require.Equal(t, "metadata.annotations[nginx.ingress.kubernetes.io/auth-tls-match-cn]", report.Problems[0].Field)
				return
			}
			require.Empty(t, report.Problems)
			require.Equal(t, tc.matchCN, host.ClientAuth.MatchCN)
			require.NotEmpty(t, host.Locations[0].Backend)
		})
	}
}

// attack changes a valid Ingress into an attack that must be reported on
// field.
type attack struct {
	in    func(*ingressInput)
	field string
}

// value returns the annotation value of the attack.
func (a attack) value() string {
	in := baseInput()
	a.in(&in)
	return in.value
}

// baseInput is a valid Ingress the attacks start from.
func baseInput() ingressInput {
	return ingressInput{namespace: "web", name: "site", host: "a.example.com", path: "/app", pathType: 1,
		secret: "site-tls", tlsHost: "a.example.com"}
}

// TestAttackCorpus runs every attack through build and render: each is
// reported on its field, nginx.conf holds only what the templates write,
// and nginx -t accepts it.
func TestAttackCorpus(t *testing.T) {
	b := newBuildRender(t)
	t.Run("baseline", func(t *testing.T) {
		report := b.run(t, baseInput(), true)
		require.Empty(t, report.Problems)
		require.Len(t, report.Served, 1)
	})
	for name, attack := range attacks() {
		t.Run(name, func(t *testing.T) {
			in := baseInput()
			attack.in(&in)
			report := b.run(t, in, true)
			var fields []string
			for _, p := range report.Problems {
				fields = append(fields, p.Field)
			}
			require.Contains(t, fields, attack.field, "the attack must be reported: %v", report.Problems)
		})
	}
}

// FuzzBuildRender fuzzes every string an Ingress author controls through
// build and render: nothing may make Render fail, put a directive or Lua
// code of its own into nginx.conf, or, on a sample of inputs, make
// nginx -t refuse the config.
func FuzzBuildRender(f *testing.F) {
	specs := annotations.Specs()
	base := baseInput()
	f.Add(base.namespace, base.name, base.host, base.path, base.pathType, uint8(0), "", base.secret, base.tlsHost)
	for _, attack := range attacks() {
		in := baseInput()
		attack.in(&in)
		key := uint8(0)
		for i, s := range specs {
			if s.Key == in.annotation {
				key = uint8(i + 1)
			}
		}
		f.Add(in.namespace, in.name, in.host, in.path, in.pathType, key, in.value, in.secret, in.tlsHost)
	}
	b := newBuildRender(f)
	f.Fuzz(func(t *testing.T, namespace, name, host, path string, pathType, key uint8, value, secret, tlsHost string) {
		in := ingressInput{namespace: namespace, name: name, host: host, path: path, pathType: pathType,
			value: value, secret: secret, tlsHost: tlsHost}
		if k := int(key) % (len(specs) + 1); k > 0 {
			in.annotation = specs[k-1].Key
		}
		h := fnv.New32a()
		h.Write([]byte(in.String()))
		b.run(t, in, h.Sum32()%256 == 0)
	})
}
