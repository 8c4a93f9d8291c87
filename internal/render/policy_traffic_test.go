package render

import (
	"cmp"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/testutil"
)

// handlerBackend serves h on 127.0.0.1 as the model backend name.
func handlerBackend(t *testing.T, name string, h http.HandlerFunc) model.Backend {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().(*net.TCPAddr)
	return backend(name, int32(addr.Port), addr.IP.String())
}

// echo answers "NAME URI" and returns the request headers named in the
// query parameter "show" as "X-Seen-<header>" response headers.
func echo(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for _, h := range r.URL.Query()["show"] {
			w.Header().Set("X-Seen-"+h, r.Header.Get(h))
		}
		w.Header().Set("X-Seen-Host", r.Host)
		_, _ = io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, "%s %s", name, r.URL.RequestURI())
	}
}

// annotationEnv is one nginx serving cfg from live backends; policy
// files (htpasswd) must be readable by workers running as nobody, so its
// runtime dir is world-traversable.
type annotationEnv struct {
	client *http.Client
	dir    string // the runtime dir; nginx's output is in nginx.stderr
}

func newAnnotationEnv(t *testing.T, cfg model.Config) *annotationEnv {
	t.Helper()
	r, err := New("")
	require.NoError(t, err)
	// Workers running as nobody read htpasswd files and write request
	// bodies there: a runtime dir in /tmp lets them through.
	dir := testutil.RuntimeDir(t)
	opts := Options{HTTPPort: freePort(t), RuntimeDir: dir}
	opts.User, opts.Group = workerUser(t)
	slices.SortFunc(cfg.Backends, func(a, b model.Backend) int { return cmp.Compare(a.Name, b.Name) })
	out, err := r.Render(cfg, opts)
	require.NoError(t, err)
	startNginx(t, dir, out)
	return &annotationEnv{client: tcpClient(t, opts.HTTPPort), dir: dir}
}

// do sends a request and returns the response with its body read.
func (e *annotationEnv) do(t *testing.T, method, host, path string, header http.Header, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+host+path, strings.NewReader(body))
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := e.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(data)
}

// exchange is one request and what must come back: Status, and Body and
// Headers when set.
type exchange struct {
	method, host, path string
	header             http.Header
	body               string
	status             int
	wantBody           string
	wantHeaders        map[string]string // "" means absent
}

func (e *annotationEnv) check(t *testing.T, tests map[string]exchange) {
	t.Helper()
	for name, x := range tests {
		t.Run(name, func(t *testing.T) {
			resp, body := e.do(t, cmp.Or(x.method, http.MethodGet), x.host, x.path, x.header, x.body)
			require.Equal(t, x.status, resp.StatusCode, body)
			if x.wantBody != "" {
				require.Equal(t, x.wantBody, body)
			}
			for k, v := range x.wantHeaders {
				require.Equal(t, v, resp.Header.Get(k), "header %s", k)
			}
		})
	}
}

func TestAnnotationRouting(t *testing.T) {
	loc := func(l model.Location, ingress string, values map[string]string) model.Location {
		return with(l, ingress, annotated(t, values))
	}
	e := newAnnotationEnv(t, model.Config{
		Backends: []model.Backend{handlerBackend(t, "api", echo("api")), handlerBackend(t, "admin", echo("admin")),
			handlerBackend(t, "root", echo("root")), handlerBackend(t, "files", echo("files"))},
		Servers: []model.Server{
			{Host: "shop.test", Aliases: []string{"store.test"}, Locations: []model.Location{
				loc(prefix("/", "root"), "root", map[string]string{"app-root": "/app1"}),
				loc(regex("/api(/|$)(.*)", "api"), "api", map[string]string{"rewrite-target": "/$2"}),
				loc(prefix("/api/admin", "admin"), "admin", map[string]string{"x-forwarded-prefix": "/api/admin", "upstream-vhost": "admin.internal"}),
				loc(exact("/api", "root"), "exact", nil),
				loc(regex(`/files/.+\.pdf`, "files"), "files", map[string]string{"use-regex": "true"}),
				loc(regex(`/files/(.+)`, "files"), "files-all", map[string]string{"rewrite-target": "/all/$1"}),
			}},
			{Host: "moved.test", Locations: []model.Location{
				loc(prefix("/", ""), "moved", map[string]string{"permanent-redirect": "https://new.test$request_uri", "permanent-redirect-code": "308"}),
				loc(prefix("/temp", ""), "temp", map[string]string{"temporal-redirect": "https://maintenance.test/"}),
			}},
			{Host: "plain.test", Locations: []model.Location{prefix("/api", "admin")}},
		},
	})
	e.check(t, map[string]exchange{
		"regex rewrite with capture groups":   {host: "shop.test", path: "/api/users/7?x=1", status: 200, wantBody: "api /users/7?x=1"},
		"regex is case-insensitive":           {host: "shop.test", path: "/API/users", status: 200, wantBody: "api /users"},
		"regex end of path":                   {host: "shop.test", path: "/api", status: 200, wantBody: "root /api"},
		"regex is anchored at the start":      {host: "shop.test", path: "/v1/api/x", status: 200, wantBody: "root /v1/api/x"},
		"regex needs its separator":           {host: "shop.test", path: "/apix", status: 200, wantBody: "root /apix"},
		"prefix of another Ingress wins":      {host: "shop.test", path: "/api/admin/x?show=X-Forwarded-Prefix", status: 200, wantBody: "admin /api/admin/x?show=X-Forwarded-Prefix", wantHeaders: map[string]string{"X-Seen-X-Forwarded-Prefix": "/api/admin", "X-Seen-Host": "admin.internal"}},
		"prefix stays case-sensitive":         {host: "shop.test", path: "/API/ADMIN/x", status: 200, wantBody: "api /ADMIN/x"},
		"prefix stays element-wise":           {host: "shop.test", path: "/api/administrator", status: 200, wantBody: "api /administrator"},
		"exact of another Ingress wins":       {host: "shop.test", path: "/api", status: 200, wantBody: "root /api"},
		"longest regex first":                 {host: "shop.test", path: "/files/a.pdf", status: 200, wantBody: "files /files/a.pdf"},
		"shorter regex when the longer fails": {host: "shop.test", path: "/files/a.txt", status: 200, wantBody: "files /all/a.txt"},
		"regex beats the root prefix":         {host: "shop.test", path: "/files/", status: 200, wantBody: "root /files/"},
		"app-root redirects /":                {host: "shop.test", path: "/", status: 302, wantHeaders: map[string]string{"Location": "http://shop.test/app1"}},
		"app-root only for /":                 {host: "shop.test", path: "/app1", status: 200, wantBody: "root /app1"},
		"server alias":                        {host: "store.test", path: "/api/x", status: 200, wantBody: "api /x"},
		"other hosts keep literal paths":      {host: "plain.test", path: "/api/users", status: 200, wantBody: "admin /api/users", wantHeaders: map[string]string{"X-Seen-Host": "plain.test"}},
		"permanent redirect keeps the URI":    {host: "moved.test", path: "/a/b?c=d", status: 308, wantHeaders: map[string]string{"Location": "https://new.test/a/b?c=d"}},
		"temporal redirect":                   {host: "moved.test", path: "/temp/x", status: 302, wantHeaders: map[string]string{"Location": "https://maintenance.test/"}},
	})
}

func TestAnnotationLimits(t *testing.T) {
	// The backend of /slow answers only after 10s, long after its 1s
	// timeout; that of /patient after 2s, long before its 30s one. The
	// margins hold on a loaded machine, where nginx may fire a timer late.
	slow := handlerBackend(t, "slow", func(w http.ResponseWriter, r *http.Request) {
		wait := 2 * time.Second
		if r.URL.Path == "/slow" {
			wait = 10 * time.Second
		}
		select {
		case <-time.After(wait):
		case <-r.Context().Done():
		}
	})
	e := newAnnotationEnv(t, model.Config{
		Backends: []model.Backend{handlerBackend(t, "app", echo("app")), slow},
		Servers: []model.Server{{Host: "limits.test", Locations: []model.Location{
			with(prefix("/upload", "app"), "upload", annotated(t, map[string]string{"proxy-body-size": "1k", "client-body-buffer-size": "1k"})),
			with(prefix("/big", "app"), "big", annotated(t, map[string]string{"proxy-body-size": "0"})),
			prefix("/default", "app"),
			with(prefix("/slow", "slow"), "slow", annotated(t, map[string]string{"proxy-read-timeout": "1"})),
			with(prefix("/patient", "slow"), "patient", annotated(t, map[string]string{"proxy-read-timeout": "30"})),
			with(prefix("/rate", "app"), "rate", annotated(t, map[string]string{"limit-rps": "1", "limit-burst-multiplier": "1"})),
			with(prefix("/exempt", "app"), "exempt", annotated(t, map[string]string{"limit-rps": "1", "limit-burst-multiplier": "1", "limit-whitelist": "127.0.0.0/8"})),
		}}},
	})
	e.check(t, map[string]exchange{
		"body at the limit":       {method: http.MethodPost, host: "limits.test", path: "/upload", body: strings.Repeat("a", 1024), status: 200},
		"body over the limit":     {method: http.MethodPost, host: "limits.test", path: "/upload", body: strings.Repeat("a", 1025), status: 413},
		"unlimited body":          {method: http.MethodPost, host: "limits.test", path: "/big", body: strings.Repeat("a", 3<<20), status: 200},
		"default limit is 1m":     {method: http.MethodPost, host: "limits.test", path: "/default", body: strings.Repeat("a", 1<<20+1), status: 413},
		"default limit allows 1m": {method: http.MethodPost, host: "limits.test", path: "/default", body: strings.Repeat("a", 1<<20), status: 200},
	})
	t.Run("read timeout answers 504", func(t *testing.T) {
		// The client outwaits both backends: nginx's timeouts decide.
		client := *e.client
		client.Timeout = time.Minute
		patient := &annotationEnv{client: &client, dir: e.dir}
		resp, _ := patient.do(t, http.MethodGet, "limits.test", "/slow", nil, "")
		require.Equal(t, http.StatusGatewayTimeout, resp.StatusCode, "the 1s timeout fires before the backend answers at 10s")
		resp, _ = patient.do(t, http.MethodGet, "limits.test", "/patient", nil, "")
		require.Equal(t, http.StatusOK, resp.StatusCode, "a 30s timeout waits for the backend answering at 2s")
	})
	t.Run("rate limit answers 503 beyond rate and burst", func(t *testing.T) {
		// Sent at once: one after the other, on a loaded machine, they
		// could come slower than the rate and all pass.
		answers := make(chan int, 6)
		for range cap(answers) {
			go func() {
				resp, err := e.client.Get("http://limits.test/rate")
				if err != nil {
					answers <- 0
					return
				}
				_ = resp.Body.Close()
				answers <- resp.StatusCode
			}()
		}
		codes := map[int]int{}
		for range cap(answers) {
			codes[<-answers]++
		}
		require.GreaterOrEqual(t, codes[http.StatusOK], 1, "%v", codes)
		require.GreaterOrEqual(t, codes[http.StatusServiceUnavailable], 3, "%v", codes)
		require.Equal(t, 6, codes[http.StatusOK]+codes[http.StatusServiceUnavailable], "%v", codes)
	})
	t.Run("whitelisted clients are not limited", func(t *testing.T) {
		for range 6 {
			resp, _ := e.do(t, http.MethodGet, "limits.test", "/exempt", nil, "")
			require.Equal(t, http.StatusOK, resp.StatusCode)
		}
	})
}

// TestAnnotationResponseRewrites checks the annotations that rewrite what
// the backend answers (proxy-redirect, proxy-cookie-*) and the
// Connection header it gets.
func TestAnnotationResponseRewrites(t *testing.T) {
	legacy := handlerBackend(t, "legacy", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "http://web.internal/next")
		w.Header().Set("Set-Cookie", "s=1; Domain=web.internal; Path=/")
		w.Header().Set("X-Seen-Connection", r.Header.Get("Connection"))
		w.WriteHeader(http.StatusFound)
	})
	e := newAnnotationEnv(t, model.Config{
		Backends: []model.Backend{legacy},
		Servers: []model.Server{{Host: "rw.test", Locations: []model.Location{
			with(prefix("/app", "legacy"), "app", annotated(t, map[string]string{
				"proxy-redirect-from": "http://web.internal/", "proxy-redirect-to": "https://rw.test/app/",
				"proxy-cookie-domain": "web.internal rw.test", "proxy-cookie-path": "/ /app/",
				"connection-proxy-header": "keep-alive",
			})),
			prefix("/plain", "legacy"),
		}}},
	})
	e.check(t, map[string]exchange{
		"rewritten": {host: "rw.test", path: "/app", status: 302, wantHeaders: map[string]string{
			"Location": "https://rw.test/app/next", "Set-Cookie": "s=1; Domain=rw.test; Path=/app/", "X-Seen-Connection": "keep-alive"}},
		"untouched by default": {host: "rw.test", path: "/plain", status: 302, wantHeaders: map[string]string{
			"Location": "http://web.internal/next", "Set-Cookie": "s=1; Domain=web.internal; Path=/", "X-Seen-Connection": ""}},
	})
}
