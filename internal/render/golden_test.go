package render

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenRuntimeDir keeps golden files independent of the test's temp dir;
// each golden file is checked with nginx -t after swapping in a real dir.
const goldenRuntimeDir = "/run/archway-golden"

// backend returns a backend with one endpoint per address, all on port.
func backend(name string, port int32, addrs ...string) model.Backend {
	b := model.Backend{Name: name, Service: model.Ref{Namespace: "default", Name: name}, Port: "http"}
	for _, a := range addrs {
		b.Endpoints = append(b.Endpoints, model.Endpoint{Address: a, Port: port})
	}
	return b
}

func exact(path, backend string) model.Location {
	return model.Location{Path: path, Match: model.MatchExact, Backend: backend}
}

func prefix(path, backend string) model.Location {
	return model.Location{Path: path, Match: model.MatchPrefix, Backend: backend}
}

// own gives l a copy of its policy, which it may share, to change.
func own(l *model.Location) *model.Policy {
	var p model.Policy
	if l.Policy != nil {
		p = *l.Policy
	}
	l.Policy = &p
	return l.Policy
}

// traced is a Prefix location whose requests carry trace context.
func traced(path, backend string, trust bool) model.Location {
	l := prefix(path, backend)
	own(&l).Trace = &model.Trace{TrustIncoming: trust}
	return l
}

func rootOptions(runtimeDir string) Options {
	return Options{HTTPPort: 80, HTTPSPort: 443, RuntimeDir: runtimeDir, User: "nobody", Group: "nogroup"}
}

var goldenCases = map[string]struct {
	cfg  model.Config
	opts Options
}{
	"empty": {opts: rootOptions(goldenRuntimeDir)},
	"routing_mix": {
		cfg: model.Config{
			DefaultBackend: "default-backend",
			Backends: []model.Backend{
				backend("default-backend", 8080, "10.0.0.1"),
				backend("shop-api", 8080, "10.0.1.1", "10.0.1.2"),
				backend("shop-api-v2", 8080, "10.0.1.3"),
				backend("shop-web", 80, "10.0.2.1"),
				backend("wild", 80, "10.0.3.1"),
			},
			Servers: []model.Server{
				{Locations: []model.Location{exact("/healthz", "default-backend"), prefix("/static", "shop-web")}},
				{Host: "*.example.com", Locations: []model.Location{prefix("/", "wild")}},
				// blog and www differ only in their backends: one server.
				{Host: "blog.example.com", Locations: []model.Location{prefix("/", "wild")}},
				{Host: "shop.example.com", Locations: []model.Location{
					prefix("/", "shop-web"),
					exact("/api", "shop-api"),
					prefix("/api", "shop-api"),
					prefix("/api/v2", "shop-api-v2"),
					exact("/login/", "shop-web"),
				}},
				{Host: "www.example.com", Locations: []model.Location{prefix("/", "shop-web")}},
			},
		},
		opts: rootOptions(goldenRuntimeDir),
	},
	"default_backend": {
		cfg: model.Config{
			DefaultBackend: "fallback",
			Backends:       []model.Backend{backend("fallback", 80, "10.0.0.9"), backend("docs", 80, "10.0.0.8")},
			Servers:        []model.Server{{Host: "docs.example.com", Locations: []model.Location{prefix("/docs", "docs")}}},
		},
		opts: rootOptions(goldenRuntimeDir),
	},
	"unavailable_backends": {
		cfg: model.Config{
			DefaultBackend: "no-endpoints",
			Backends:       []model.Backend{backend("no-endpoints", 80)},
			Servers: []model.Server{{Host: "down.example.com", Locations: []model.Location{
				prefix("/", "no-endpoints"),
				prefix("/missing-service", ""),
			}}},
		},
		opts: rootOptions(goldenRuntimeDir),
	},
	"ipv6_endpoint": {
		cfg: model.Config{
			Backends: []model.Backend{backend("dual", 8080, "10.0.0.1", "fd00::1", "fd00::2")},
			Servers:  []model.Server{{Host: "v6.example.com", Locations: []model.Location{prefix("/", "dual")}}},
		},
		opts: rootOptions(goldenRuntimeDir),
	},
	"settings": {
		cfg: model.Config{
			Backends: []model.Backend{{Name: "app", Balancing: model.Balancing{Algorithm: model.EWMA}}},
			Servers:  []model.Server{{Host: "app.example.com", Locations: []model.Location{prefix("/", "app")}}},
			Settings: model.Settings{WorkerShutdownTimeout: 240 * time.Second, HTTP: model.HTTPSettings{
				WorkerProcesses: 4, WorkerConnections: 65536, WorkerOpenFiles: 131072, ErrorLogLevel: "warn",
				KeepAlive: new(time.Duration), KeepAliveRequests: 100, ClientHeaderBufferSize: 4 << 10,
				LargeClientHeaderBuffers: model.Buffers{Number: 8, Size: 32 << 10}, ClientHeaderTimeout: 30 * time.Second,
				ClientBodyTimeout: 1500 * time.Millisecond, UnderscoresInHeaders: true, KeepInvalidHeaders: true, ServerTokens: true,
				LimitReqStatus: 429, LimitConnStatus: 429, UpstreamKeepalive: new(int), Gzip: true, GzipLevel: 6,
				GzipMinLength: new(int), GzipTypes: []string{"application/json", "text/css"},
			}},
		},
		opts: rootOptions(goldenRuntimeDir),
	},
	"headers": {
		cfg: model.Config{
			Backends: []model.Backend{backend("app", 3000, "10.0.0.1")},
			Servers: []model.Server{{Host: "app.example.com", Locations: []model.Location{prefix("/", "app"),
				{Path: "/custom", Match: model.MatchPrefix, Backend: "app", Policy: &model.Policy{ResponseHeaders: []model.Header{
					{Name: "Cache-Control", Value: model.Template{{Text: "no-store"}}}}}}}}},
			Settings: model.Settings{Headers: model.HeaderSettings{OriginalURI: true,
				Request: []model.Header{{Name: "X-Request-Start", Value: model.Template{{Text: "t="}, {Var: "msec"}}},
					{Name: "x-forwarded-host", Value: model.Template{{Var: "host"}}}},
				Response: []model.Header{{Name: "Strict-Transport-Security", Value: model.Template{{Text: "max-age=31536000; includeSubDomains"}}},
					{Name: "X-Frame-Options", Value: model.Template{{Text: "DENY"}}}},
				Hide: []string{"X-Powered-By", "Server"}}},
		},
		opts: rootOptions(goldenRuntimeDir),
	},
	"tracing": {
		cfg: model.Config{
			Backends: []model.Backend{backend("app", 3000, "10.0.0.1")},
			Servers: []model.Server{{Host: "app.example.com", Locations: []model.Location{
				traced("/", "app", false),
				traced("/trusting", "app", true),
				prefix("/untraced", "app"),
			}}},
			Settings: model.Settings{Tracing: model.Tracing{Enable: true, Sampler: model.SamplerTraceRatio, Ratio: 0.25, ParentBased: true}},
		},
		opts: rootOptions(goldenRuntimeDir),
	},
	"ipv4_only": {
		cfg: model.Config{
			Backends: []model.Backend{backend("app", 3000, "10.0.0.1")},
			Servers:  []model.Server{{Host: "app.example.com", Locations: []model.Location{prefix("/", "app")}}},
			Settings: model.Settings{DisableIPv6: true},
		},
		opts: rootOptions(goldenRuntimeDir),
	},
	"non_root": {
		cfg: model.Config{
			Backends: []model.Backend{backend("app", 3000, "127.0.0.1")},
			Servers:  []model.Server{{Host: "localhost", Locations: []model.Location{prefix("/", "app")}}},
		},
		opts: Options{HTTPPort: 8080, HTTPSPort: 8443, RuntimeDir: goldenRuntimeDir},
	},
}

func TestGolden(t *testing.T) {
	r, err := New("")
	require.NoError(t, err)
	for name, tc := range goldenCases {
		t.Run(name, func(t *testing.T) {
			out, err := r.Render(tc.cfg, tc.opts)
			require.NoError(t, err)
			checkGolden(t, name, out)
		})
	}
}

// checkGolden compares out's nginx.conf with testdata/NAME.golden.conf
// (rewritten with -update) and checks it with nginx -t.
func checkGolden(t *testing.T, name string, out Output) {
	t.Helper()
	require.Equal(t, ConfigFile, out.Files[0].Name)
	conf := out.Files[0].Data
	path := filepath.Join("testdata", name+".golden.conf")
	if *update {
		require.NoError(t, os.WriteFile(path, conf, 0o644))
	}
	golden, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./internal/render -update to create it")
	require.Equal(t, string(golden), string(conf), "run go test ./internal/render -update to accept changes")

	dir := t.TempDir()
	files := slices.Clone(out.Files)
	files[0].Data = bytes.ReplaceAll(golden, []byte(goldenRuntimeDir), []byte(dir))
	nginxCheck(t, dir, files)
}
