package render

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

// liveBackends starts one HTTP server on 127.0.0.1 per name, answering
// its own name and echoing the request's Host and Connection headers, and
// returns them as model backends sorted by name.
func liveBackends(t *testing.T, names ...string) []model.Backend {
	t.Helper()
	backends := make([]model.Backend, 0, len(names))
	for _, name := range names {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Seen-Host", r.Host)
			w.Header().Set("X-Seen-Connection", r.Header.Get("Connection"))
			_, _ = io.WriteString(w, name)
		}))
		t.Cleanup(srv.Close)
		addr := srv.Listener.Addr().(*net.TCPAddr)
		backends = append(backends, backend(name, int32(addr.Port), addr.IP.String()))
	}
	slices.SortFunc(backends, func(a, b model.Backend) int { return strings.Compare(a.Name, b.Name) })
	return backends
}

// request is one routing table row: a request and the backend that must
// answer it, or the status nginx itself must answer.
type request struct {
	host, path string
	backend    string
	status     int
}

func TestRouting(t *testing.T) {
	live := liveBackends(t, "catch", "default", "exact-foo", "exact-slash", "foo-bar", "prefix-foo", "prefix-only", "regex", "root", "upper", "wild")
	withEmpty := append(slices.Clone(live), backend("empty", 80))
	slices.SortFunc(withEmpty, func(a, b model.Backend) int { return strings.Compare(a.Name, b.Name) })
	servers := []model.Server{
		{Locations: []model.Location{prefix("/catch", "catch")}},
		{Host: "*.example.com", Locations: []model.Location{prefix("/", "wild")}},
		{Host: "app.example.com", Locations: []model.Location{
			prefix("/", "root"),
			prefix("/Upper", "upper"),
			prefix("/down", ""),
			prefix("/empty", "empty"),
			exact("/foo", "exact-foo"),
			prefix("/foo", "prefix-foo"),
			prefix("/foo/bar", "foo-bar"),
			exact("/slash/", "exact-slash"),
			exact("/foo/bar/slash/", "exact-slash"),
		}},
		{Host: "prefix.example.com", Locations: []model.Location{prefix("/foo", "prefix-only"), exact("/slash/", "exact-slash")}},
		{Host: "regex.example.com", Locations: []model.Location{
			prefix("/", "root"),
			{Path: "/r[a-z]+", Match: model.MatchRegex, Backend: "regex"},
			exact("/rx/", "exact-slash"),
		}},
	}
	tests := map[string]struct {
		cfg      model.Config
		requests map[string]request
	}{
		"default backend": {
			cfg: model.Config{Servers: servers, DefaultBackend: "default", Backends: withEmpty},
			requests: map[string]request{
				"exact beats prefix of equal length": {host: "app.example.com", path: "/foo", backend: "exact-foo"},
				"query string is not part of path":   {host: "app.example.com", path: "/foo?x=1", backend: "exact-foo"},
				"prefix matches trailing slash":      {host: "app.example.com", path: "/foo/", backend: "prefix-foo"},
				"prefix matches sub path":            {host: "app.example.com", path: "/foo/x", backend: "prefix-foo"},
				"longest prefix wins":                {host: "app.example.com", path: "/foo/bar", backend: "foo-bar"},
				"longest prefix with slash":          {host: "app.example.com", path: "/foo/bar/", backend: "foo-bar"},
				"longest prefix sub path":            {host: "app.example.com", path: "/foo/bar/baz", backend: "foo-bar"},
				"prefix is element-wise":             {host: "app.example.com", path: "/foo/barbaz", backend: "prefix-foo"},
				"no partial element match":           {host: "app.example.com", path: "/foobar", backend: "root"},
				"paths are case-sensitive":           {host: "app.example.com", path: "/FOO", backend: "root"},
				"upper case prefix":                  {host: "app.example.com", path: "/Upper/x", backend: "upper"},
				"upper case prefix, lower request":   {host: "app.example.com", path: "/upper", backend: "root"},
				"no backend answers 503":             {host: "app.example.com", path: "/down/x", status: http.StatusServiceUnavailable},
				"no endpoints answers 503":           {host: "app.example.com", path: "/empty", status: http.StatusServiceUnavailable},
				"host rules ignore catch-all rules":  {host: "app.example.com", path: "/catch", backend: "root"},
				"port in Host header":                {host: "app.example.com:8080", path: "/foo", backend: "exact-foo"},
				"host is case-insensitive":           {host: "APP.Example.COM", path: "/foo/bar", backend: "foo-bar"},
				"exact host beats wildcard":          {host: "app.example.com", path: "/", backend: "root"},
				"prefix without slash, no redirect":  {host: "prefix.example.com", path: "/foo", backend: "prefix-only"},
				"prefix with slash":                  {host: "prefix.example.com", path: "/foo/", backend: "prefix-only"},
				"unmatched path gets default":        {host: "prefix.example.com", path: "/foobar", backend: "default"},
				// The Ingress spec: Exact "/p/" does not match "/p", which
				// goes where it would without that rule (no 301 to "/p/").
				"exact with slash":                    {host: "app.example.com", path: "/slash/", backend: "exact-slash"},
				"exact with slash, not without":       {host: "app.example.com", path: "/slash", backend: "root"},
				"exact with slash, shorter prefix":    {host: "app.example.com", path: "/foo/bar/slash", backend: "foo-bar"},
				"exact with slash, regex before root": {host: "regex.example.com", path: "/rx", backend: "regex"},
				"exact with slash, regex":             {host: "regex.example.com", path: "/rx/", backend: "exact-slash"},
				"exact with slash, default otherwise": {host: "prefix.example.com", path: "/slash", backend: "default"},
				"unmatched root gets default":         {host: "prefix.example.com", path: "/", backend: "default"},
				"wildcard matches one label":          {host: "a.example.com", path: "/x", backend: "wild"},
				"wildcard with port":                  {host: "b.example.com:80", path: "/", backend: "wild"},
				"wildcard skips two labels":           {host: "a.b.example.com", path: "/", backend: "default"},
				"two labels reach catch-all":          {host: "a.b.example.com", path: "/catch", backend: "catch"},
				"wildcard skips bare domain":          {host: "example.com", path: "/", backend: "default"},
				"unknown host gets catch-all":         {host: "unknown.test", path: "/catch/x", backend: "catch"},
				"catch-all is element-wise":           {host: "unknown.test", path: "/catchy", backend: "default"},
				"unknown host gets default":           {host: "unknown.test", path: "/", backend: "default"},
			},
		},
		"no default backend": {
			cfg: model.Config{Servers: servers[1:], Backends: withEmpty},
			requests: map[string]request{
				"unknown host gets 404":         {host: "unknown.test", path: "/catch", status: http.StatusNotFound},
				"unmatched path gets 404":       {host: "prefix.example.com", path: "/bar", status: http.StatusNotFound},
				"exact with slash, 404 without": {host: "prefix.example.com", path: "/slash", status: http.StatusNotFound},
				"matched path still served":     {host: "prefix.example.com", path: "/foo/bar", backend: "prefix-only"},
				"status server is not on HTTP":  {host: "unknown.test", path: VersionPath, status: http.StatusNotFound},
			},
		},
		"default backend asked for but unavailable": {
			cfg: model.Config{Servers: servers[1:], Backends: withEmpty, DefaultBackendUnavailable: true},
			requests: map[string]request{
				"unknown host gets 503":     {host: "unknown.test", path: "/catch", status: http.StatusServiceUnavailable},
				"unmatched path gets 503":   {host: "prefix.example.com", path: "/bar", status: http.StatusServiceUnavailable},
				"matched path still served": {host: "prefix.example.com", path: "/foo/bar", backend: "prefix-only"},
			},
		},
		"default backend without endpoints": {
			cfg: model.Config{Servers: servers[3:], DefaultBackend: "empty", Backends: withEmpty},
			requests: map[string]request{
				"unknown host gets 503":   {host: "unknown.test", path: "/", status: http.StatusServiceUnavailable},
				"unmatched path gets 503": {host: "prefix.example.com", path: "/", status: http.StatusServiceUnavailable},
			},
		},
	}
	r, err := New("")
	require.NoError(t, err)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			client := serve(t, r, tc.cfg)
			for name, rq := range tc.requests {
				t.Run(name, func(t *testing.T) {
					code, body, seenHost, err := getHeader(client, rq.host, rq.path, "X-Seen-Host")
					require.NoError(t, err)
					if rq.status != 0 {
						require.Equal(t, rq.status, code, body)
						return
					}
					require.Equal(t, http.StatusOK, code, body)
					require.Equal(t, rq.backend, body)
					require.Equal(t, rq.host, seenHost, "Host sent to the backend, as the client sent it")
				})
			}
		})
	}
}

// serve renders cfg, runs nginx on it on a free port and returns a client
// that sends every request to that port.
func serve(t *testing.T, r *Renderer, cfg model.Config) *http.Client {
	t.Helper()
	dir := t.TempDir()
	opts := Options{HTTPPort: freePort(t), RuntimeDir: dir}
	opts.User, opts.Group = workerUser(t)
	out, err := r.Render(cfg, opts)
	require.NoError(t, err)
	startNginx(t, dir, out)
	return tcpClient(t, opts.HTTPPort)
}

func TestStatusServer(t *testing.T) {
	r, err := New("")
	require.NoError(t, err)
	dir := t.TempDir()
	out, err := r.Render(model.Config{}, Options{HTTPPort: freePort(t), RuntimeDir: dir})
	require.NoError(t, err)
	startNginx(t, dir, out)
	client := statusClient(t, dir)

	tests := map[string]struct {
		path string
		code int
		body string
	}{
		"config version":   {path: VersionPath, code: http.StatusOK, body: out.Version},
		"stub status":      {path: "/nginx_status", code: http.StatusOK, body: "Active connections: "},
		"version sub path": {path: VersionPath + "/x", code: http.StatusNotFound},
		"anything else":    {path: "/", code: http.StatusNotFound},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			code, body, err := get(client, "localhost", tc.path)
			require.NoError(t, err)
			require.Equal(t, tc.code, code)
			require.True(t, strings.HasPrefix(body, tc.body), "body %q", body)
		})
	}
}

// TestUpgrade checks that a websocket-style upgrade passes through nginx
// and that plain requests reach the backend without "Connection: close",
// so that upstream keepalive works.
func TestUpgrade(t *testing.T) {
	backendSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "echo" {
			w.Header().Set("X-Seen-Connection", r.Header.Get("Connection"))
			return
		}
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
		_ = rw.Flush()
		line, _ := rw.ReadString('\n')
		_, _ = rw.WriteString(line)
		_ = rw.Flush()
	}))
	t.Cleanup(backendSrv.Close)
	addr := backendSrv.Listener.Addr().(*net.TCPAddr)
	r, err := New("")
	require.NoError(t, err)
	client := serve(t, r, model.Config{
		DefaultBackend: "echo",
		Backends:       []model.Backend{backend("echo", int32(addr.Port), addr.IP.String())},
	})

	code, _, seen, err := getHeader(client, "any.test", "/", "X-Seen-Connection")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code)
	require.Empty(t, seen, "Connection header sent to the backend")

	conn, err := client.Transport.(*http.Transport).DialContext(t.Context(), "tcp", "")
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprint(conn, "GET /ws HTTP/1.1\r\nHost: any.test\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	_, err = io.WriteString(conn, "ping\n")
	require.NoError(t, err)
	echo, err := br.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "ping\n", echo)
}
