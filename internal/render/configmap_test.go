package render

import (
	"cmp"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/source"
	"github.com/archway-ingress/archway/internal/testutil"
)

// The controller ConfigMap's keys, through the builder and the real
// nginx.

// configMapYAML is the controller's ConfigMap with data, a YAML mapping.
func configMapYAML(data string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: archway, namespace: ingress}\ndata: " + data + "\n---\n"
}

// slowBackend answers "slow" after delay.
func slowBackend(t *testing.T, delay time.Duration) int32 {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(delay):
			_, _ = w.Write([]byte("slow"))
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(server.Close)
	return int32(server.Listener.Addr().(*net.TCPAddr).Port)
}

// hostIngress is Ingress web/NAME for host with annotations (keys
// without the prefix), and paths / to Service app and /slow to slow.
func hostIngress(name, host string, annots map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: %s\n  namespace: web\n  annotations: {", name)
	for _, k := range slices.Sorted(maps.Keys(annots)) {
		fmt.Fprintf(&b, "%s/%s: %q, ", annotations.DefaultPrefix, k, annots[k])
	}
	fmt.Fprintf(&b, `}
spec:
  rules:
  - host: %s
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}
      - {path: /slow, pathType: Prefix, backend: {service: {name: slow, port: {number: 80}}}}
`, host)
	return b.String()
}

// TestConfigMapLocationDefaults: proxy-body-size and proxy-read-timeout in
// the ConfigMap apply to every Ingress (413 past the body size, 504 past the
// read timeout), and an Ingress's annotations still win.
func TestConfigMapLocationDefaults(t *testing.T) {
	env := manifestEnv(t, configMapYAML(`{proxy-body-size: 2k, proxy-read-timeout: "1"}`)+
		hostIngress("plain", "plain.example.com", nil)+
		hostIngress("own", "own.example.com", map[string]string{"proxy-body-size": "0", "proxy-read-timeout": "10"})+
		serviceYAML("app", 80, listen(t, "app"))+serviceYAML("slow", 80, slowBackend(t, 2*time.Second)))
	env.check(t, map[string]exchange{
		"body at the ConfigMap's size":   {method: http.MethodPost, host: "plain.example.com", path: "/", body: strings.Repeat("a", 2048), status: 200},
		"body past the ConfigMap's size": {method: http.MethodPost, host: "plain.example.com", path: "/", body: strings.Repeat("a", 2049), status: 413},
		"the annotation wins":            {method: http.MethodPost, host: "own.example.com", path: "/", body: strings.Repeat("a", 3<<20), status: 200},
		"the ConfigMap's read timeout":   {host: "plain.example.com", path: "/slow", status: 504},
		"the annotation's read timeout":  {host: "own.example.com", path: "/slow", status: 200, wantBody: "slow"},
	})
}

// textBackend answers a text/plain body of size bytes.
func textBackend(t *testing.T, size int) int32 {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte(strings.Repeat("archway ", size/8)))
	}))
	t.Cleanup(server.Close)
	return int32(server.Listener.Addr().(*net.TCPAddr).Port)
}

// TestConfigMapConnectionSettings: gzip, server tokens, header buffers,
// keepalive and the rate limit status of the ConfigMap, seen by a client
// of the real nginx.
func TestConfigMapConnectionSettings(t *testing.T) {
	env := manifestEnv(t, configMapYAML(`{use-gzip: "true", gzip-min-length: "1000", gzip-types: "text/plain", server-tokens: "true",
  large-client-header-buffers: "2 1k", keep-alive: "0", limit-req-status-code: "429", http-redirect-code: "301"}`)+
		hostIngress("plain", "plain.example.com", nil)+
		hostIngress("limited", "limited.example.com", map[string]string{"limit-rps": "1", "limit-burst-multiplier": "1"})+
		hostIngress("forced", "forced.example.com", map[string]string{"force-ssl-redirect": "true"})+
		serviceYAML("app", 80, textBackend(t, 2048))+serviceYAML("slow", 80, textBackend(t, 512)))
	gzip := http.Header{"Accept-Encoding": {"gzip"}}
	resp, _ := env.do(t, http.MethodGet, "plain.example.com", "/", gzip, "")
	require.Equal(t, "gzip", resp.Header.Get("Content-Encoding"), "a 2k text/plain response is compressed")
	require.Regexp(t, `^nginx/\d`, resp.Header.Get("Server"), "server-tokens shows the version")
	resp, _ = env.do(t, http.MethodGet, "plain.example.com", "/", http.Header{"Accept-Encoding": {"br"}}, "")
	require.Empty(t, resp.Header.Get("Content-Encoding"), "enable-brotli is off by default")
	require.True(t, resp.Close, "keep-alive 0 closes the connection")
	resp, _ = env.do(t, http.MethodGet, "plain.example.com", "/slow", gzip, "")
	require.Empty(t, resp.Header.Get("Content-Encoding"), "below gzip-min-length")
	resp, _ = env.do(t, http.MethodGet, "plain.example.com", "/", http.Header{"X-Big": {strings.Repeat("b", 1100)}}, "")
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "a header larger than the large header buffers")
	statuses := map[int]int{}
	for range 5 {
		resp, _ := env.do(t, http.MethodGet, "limited.example.com", "/", nil, "")
		statuses[resp.StatusCode]++
	}
	require.Positive(t, statuses[http.StatusTooManyRequests], "limit-req-status-code: %v", statuses)
	resp, _ = env.do(t, http.MethodGet, "forced.example.com", "/a", nil, "")
	require.Equal(t, http.StatusMovedPermanently, resp.StatusCode, "http-redirect-code")
	require.True(t, strings.HasPrefix(resp.Header.Get("Location"), "https://forced.example.com"), resp.Header.Get("Location"))
}

// TestConfigMapBrotli: enable-brotli compresses responses of brotli-types
// from brotli-min-length bytes for a client that accepts br, and gzip
// still serves one that does not.
func TestConfigMapBrotli(t *testing.T) {
	env := manifestEnv(t, configMapYAML(`{enable-brotli: "true", brotli-level: "11", brotli-min-length: "1000", brotli-types: "text/plain", use-gzip: "true"}`)+
		hostIngress("plain", "plain.example.com", nil)+serviceYAML("app", 80, textBackend(t, 2048))+serviceYAML("slow", 80, textBackend(t, 512)))
	resp, body := env.do(t, http.MethodGet, "plain.example.com", "/", http.Header{"Accept-Encoding": {"gzip, br"}}, "")
	require.Equal(t, "br", resp.Header.Get("Content-Encoding"), "a 2k text/plain response")
	require.Less(t, len(body), 100, "2k of one repeated word, compressed")
	resp, _ = env.do(t, http.MethodGet, "plain.example.com", "/slow", http.Header{"Accept-Encoding": {"br"}}, "")
	require.Empty(t, resp.Header.Get("Content-Encoding"), "below brotli-min-length")
	resp, _ = env.do(t, http.MethodGet, "plain.example.com", "/", http.Header{"Accept-Encoding": {"gzip"}}, "")
	require.Equal(t, "gzip", resp.Header.Get("Content-Encoding"), "a client without br")
}

// TestConfigMapNoTLSRedirectLocations: paths under no-tls-redirect-locations
// answer plain HTTP on a host with force-ssl-redirect, whole segments at a
// time, and the others redirect; setting the key replaces the ACME default.
func TestConfigMapNoTLSRedirectLocations(t *testing.T) {
	env := manifestEnv(t, configMapYAML(`{no-tls-redirect-locations: "/public, /files/"}`)+
		hostIngress("forced", "forced.example.com", map[string]string{"force-ssl-redirect": "true"})+
		serviceYAML("app", 80, listen(t, "app"))+serviceYAML("slow", 80, listen(t, "slow")))
	for path, want := range map[string]int{"/public": 200, "/public/a": 200, "/files/a": 200, "/publicity": 308, "/files": 308, "/a": 308,
		"/.well-known/acme-challenge/token": 308} {
		resp, _ := env.do(t, http.MethodGet, "forced.example.com", path, nil, "")
		require.Equal(t, want, resp.StatusCode, path)
	}
}

// TestDefaultSettingsRenderAsZero: the ConfigMap's defaults of the HTTP
// settings render as the zero settings do (render's fallbacks for a
// Config built without package builder), so the two cannot drift apart.
func TestDefaultSettingsRenderAsZero(t *testing.T) {
	cfg, _ := builder.Build(source.Snapshot{}, builder.Options{IngressClass: "archway", ControllerClass: "archway.dev/ingress-controller"})
	defaults, err := newHTTPView(cfg.Settings.HTTP)
	require.NoError(t, err)
	zero, err := newHTTPView(model.HTTPSettings{})
	require.NoError(t, err)
	require.Equal(t, zero, defaults)
	cfg.Settings.HTTP.Gzip = true
	defaults, err = newHTTPView(cfg.Settings.HTTP)
	require.NoError(t, err)
	zero, err = newHTTPView(model.HTTPSettings{Gzip: true})
	require.NoError(t, err)
	require.Equal(t, zero, defaults, "gzip's defaults")
	cfg.Settings.HTTP.Brotli = true
	defaults, err = newHTTPView(cfg.Settings.HTTP)
	require.NoError(t, err)
	zero, err = newHTTPView(model.HTTPSettings{Gzip: true, Brotli: true})
	require.NoError(t, err)
	require.Equal(t, zero, defaults, "brotli's defaults")

	tlsZero, tlsDefaults := model.TLSSettings{Protocols: cfg.Settings.TLS.Protocols, Ciphers: cfg.Settings.TLS.Ciphers}, cfg.Settings.TLS
	tlsZero.HSTS, tlsZero.HSTSMaxAge, tlsZero.HSTSIncludeSubdomains = tlsDefaults.HSTS, tlsDefaults.HSTSMaxAge, tlsDefaults.HSTSIncludeSubdomains
	render := func(s model.TLSSettings) string {
		_, v, err := newEdge(model.Config{Settings: model.Settings{TLS: s}, DefaultCertificate: testCertificate(t, "default")},
			rootOptions(t.TempDir()), newPolicies(Options{}, nil, ""))
		require.NoError(t, err)
		return fmt.Sprintf("%+v", *v)
	}
	require.Equal(t, render(tlsZero), render(tlsDefaults))
}

// TestErrorLogLevelLogsNotices: nginx.conf logs at notice at least, for
// package nginx to learn each reload's outcome from the master's notices;
// Output.ErrorLogLevel keeps the user's level, which package nginx applies
// to the lines it passes on.
func TestErrorLogLevelLogsNotices(t *testing.T) {
	r, err := New("")
	require.NoError(t, err)
	for level, logged := range map[string]string{"": "notice", "debug": "debug", "info": "info", "notice": "notice",
		"warn": "notice", "error": "notice", "crit": "notice", "alert": "notice", "emerg": "notice"} {
		cfg := model.Config{Settings: model.Settings{HTTP: model.HTTPSettings{ErrorLogLevel: level}}}
		out, err := r.Render(cfg, rootOptions(t.TempDir()))
		require.NoError(t, err)
		require.Contains(t, string(out.Files[0].Data), "\nerror_log stderr "+logged+";\n", "level %q", level)
		require.Equal(t, cmp.Or(level, "notice"), out.ErrorLogLevel)
	}
	_, err = r.Render(model.Config{Settings: model.Settings{HTTP: model.HTTPSettings{ErrorLogLevel: "loud"}}}, rootOptions(t.TempDir()))
	require.ErrorContains(t, err, `error log level "loud"`)
}

// TestIngressNginxConfigMapRenders: builder's ingress-nginx installation
// ConfigMap, with an Ingress and HTTPS, renders a config nginx accepts.
func TestIngressNginxConfigMapRenders(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "builder", "testdata", "ingress-nginx-configmap.yaml"))
	require.NoError(t, err)
	var snap source.Snapshot
	snap.AddManifests("configmap.yaml", []byte(string(data)+"\n---\n"+hostIngress("plain", "plain.example.com", nil)+serviceYAML("app", 80, 8080)))
	require.Empty(t, snap.LoadErrors)
	cfg, _ := builder.Build(snap, builder.Options{IngressClass: "archway", ControllerClass: "archway.dev/ingress-controller",
		WatchWithoutClass: true, FallbackCertificate: testCertificate(t, "default")})
	require.True(t, cfg.Settings.HTTP.Gzip)
	renderChecked(t, cfg)
}

// FuzzConfigMapRender checks that whatever one ConfigMap key holds, the
// build keeps or refuses it and the renderer accepts the result: the
// builder refuses what the renderer would.
func FuzzConfigMapRender(f *testing.F) {
	testutil.FuzzSpecs(f, settingDefaults(), configMapValues, configMapRenderCheck(f))
}

// TestConfigMapRenderEverySpecValue is FuzzConfigMapRender's check of
// every ConfigMap key with every one of its seed values.
func TestConfigMapRenderEverySpecValue(t *testing.T) {
	testutil.CheckEverySpec(t, settingDefaults(), configMapValues, configMapRenderCheck(t))
}

// configMapValues are values that some ConfigMap keys accept, and ones
// that try to end an nginx token.
var configMapValues = []string{"0", "1", "true", "off", "100m", "4 8k", "3600", "text/css", `x"; user root; #`, "a}b", "$host"}

func settingDefaults() []string {
	return testutil.Defaults(builder.SettingSpecs(), func(s builder.SettingSpec) string { return s.Default })
}

// configMapRenderCheck builds and renders one Ingress with a ConfigMap
// of one key, and fails unless the renderer accepts the result.
func configMapRenderCheck(tb testing.TB) testutil.SpecCheck {
	specs := builder.SettingSpecs()
	r, err := New("")
	require.NoError(tb, err)
	opts := builder.Options{IngressClass: "archway", ControllerClass: "archway.dev/ingress-controller", WatchWithoutClass: true,
		FallbackCertificate: testCertificate(tb, "default")}
	var base source.Snapshot
	base.AddManifests("app.yaml", []byte(hostIngress("plain", "plain.example.com", map[string]string{"proxy-busy-buffers-size": "8k"})+serviceYAML("app", 80, 8080)))
	return func(t *testing.T, spec uint16, value string) {
		snap := base
		snap.ConfigMap = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ingress", Name: "archway"},
			Data: map[string]string{specs[int(spec)%len(specs)].Key: value}}
		cfg, _ := builder.Build(snap, opts)
		_, err := r.Render(cfg, rootOptions("/run/archway-fuzz"))
		require.NoError(t, err)
	}
}
