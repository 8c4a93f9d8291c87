package render

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

// lbEnv is nginx serving host lb.test from backend "pool", whose endpoints
// and balancing each test pushes.
type lbEnv struct {
	r       *Renderer
	opts    Options
	version string // of the nginx.conf nginx runs
	client  *http.Client
}

func newLBEnv(t *testing.T) *lbEnv {
	r, err := New("")
	require.NoError(t, err)
	dir := t.TempDir()
	e := &lbEnv{r: r, opts: Options{HTTPPort: freePort(t), RuntimeDir: dir}}
	e.opts.User, e.opts.Group = workerUser(t)
	out := e.render(t, model.Backend{Name: "pool"})
	e.version = out.Version
	startNginx(t, dir, out)
	e.client = tcpClient(t, e.opts.HTTPPort)
	return e
}

func (e *lbEnv) render(t *testing.T, backends ...model.Backend) Output {
	t.Helper()
	out, err := e.r.Render(model.Config{
		Servers:  []model.Server{{Host: "lb.test", Locations: []model.Location{prefix("/", "pool")}}},
		Backends: backends,
	}, e.opts)
	require.NoError(t, err)
	return out
}

// use pushes backends; nginx.conf must not depend on them.
func (e *lbEnv) use(t *testing.T, backends ...model.Backend) {
	t.Helper()
	out := e.render(t, backends...)
	require.Equal(t, e.version, out.Version, "endpoints and balancing must not change nginx.conf")
	push(t, e.opts.RuntimeDir, out.Endpoints.Payload())
}

// getWith GETs url with the headers given as name, value pairs (an empty
// value sends none) and returns the response with its body read.
func getWith(t *testing.T, client *http.Client, url string, headers ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] != "" {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

// send makes a request to lb.test with the given header and cookie and
// returns the answering backend, or "" with the status when nginx answered.
func (e *lbEnv) send(t *testing.T, header, cookie string) (string, int, *http.Response) {
	t.Helper()
	resp, body := getWith(t, e.client, "http://lb.test/", "X-User", header, "Cookie", cookie)
	if resp.StatusCode != http.StatusOK {
		return "", resp.StatusCode, resp
	}
	return body, resp.StatusCode, resp
}

// counts sends n requests and counts the answers per backend.
func (e *lbEnv) counts(t *testing.T, n int) map[string]int {
	t.Helper()
	seen := map[string]int{}
	for range n {
		name, code, _ := e.send(t, "", "")
		require.Equal(t, http.StatusOK, code)
		seen[name]++
	}
	return seen
}

// namedServers starts one server per name on 127.0.0.1 answering its
// name, after delay, and returns their endpoints.
func namedServers(t *testing.T, delay map[string]time.Duration, names ...string) map[string]model.Endpoint {
	eps := map[string]model.Endpoint{}
	for _, name := range names {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			time.Sleep(delay[name])
			_, _ = io.WriteString(w, name)
		}))
		t.Cleanup(srv.Close)
		addr := srv.Listener.Addr().(*net.TCPAddr)
		eps[name] = model.Endpoint{Address: addr.IP.String(), Port: int32(addr.Port)}
	}
	return eps
}

// closedPort returns an endpoint on 127.0.0.1 that refuses connections.
func closedPort(t *testing.T) model.Endpoint {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return model.Endpoint{Address: "127.0.0.1", Port: int32(port)}
}

func pool(b model.Balancing, eps ...model.Endpoint) model.Backend {
	return model.Backend{Name: "pool", Endpoints: eps, Balancing: b}
}

func TestBalancer(t *testing.T) {
	e := newLBEnv(t)
	eps := namedServers(t, map[string]time.Duration{"slow": 100 * time.Millisecond}, "a", "b", "c", "slow")
	a, b, c, slow := eps["a"], eps["b"], eps["c"], eps["slow"]

	tests := map[string]func(t *testing.T){
		"round robin spreads over every endpoint": func(t *testing.T) {
			e.use(t, pool(model.Balancing{}, a, b, c))
			seen := e.counts(t, 30)
			require.Len(t, seen, 3, "%v", seen)
			for name, n := range seen {
				require.GreaterOrEqual(t, n, 7, "%s got %d of 30: %v", name, n, seen)
			}
		},
		"ewma avoids the slow endpoint": func(t *testing.T) {
			e.use(t, pool(model.Balancing{Algorithm: model.EWMA}, a, b, slow))
			seen := e.counts(t, 40)
			require.LessOrEqual(t, seen["slow"], 5, "%v", seen)
			require.Positive(t, seen["a"], "%v", seen)
			require.Positive(t, seen["b"], "%v", seen)
		},
		"hash by a header sticks to one endpoint": func(t *testing.T) {
			e.use(t, pool(model.Balancing{HashBy: "http_x_user"}, a, b, c))
			// Enough users that the ring, which moves with the endpoints'
			// random ports, spreads them: 12 all met one endpoint in about 1
			// of 440 simulated rings, 30 in none of 300,000.
			const users = 30
			spread := map[string]bool{}
			for i := range users {
				user := "user-" + strconv.Itoa(i)
				first, code, _ := e.send(t, user, "")
				require.Equal(t, http.StatusOK, code)
				spread[first] = true
				for range 5 {
					got, _, _ := e.send(t, user, "")
					require.Equal(t, first, got, user)
				}
			}
			require.Greater(t, len(spread), 1, "%d users all hashed to one endpoint", users)
		},
		"hash by an empty value falls back to round robin": func(t *testing.T) {
			e.use(t, pool(model.Balancing{HashBy: "http_x_user"}, a, b, c))
			require.Len(t, e.counts(t, 12), 3)
		},
		"cookie affinity sets a cookie and sticks to it": func(t *testing.T) {
			cookie := &model.CookieAffinity{Name: "route", MaxAge: 60, SameSite: "Lax"}
			e.use(t, pool(model.Balancing{Cookie: cookie}, a, b, c))
			for range 3 {
				first, code, resp := e.send(t, "", "")
				require.Equal(t, http.StatusOK, code)
				set := resp.Header.Get("Set-Cookie")
				require.Regexp(t, `^route=[0-9a-f]{16}; Path=/; HttpOnly; Max-Age=60; SameSite=Lax$`, set)
				value, _, _ := strings.Cut(set, ";")
				for range 10 {
					got, _, resp := e.send(t, "", value)
					require.Equal(t, first, got)
					require.Empty(t, resp.Header.Get("Set-Cookie"), "a valid cookie is kept")
				}
			}
			_, _, resp := e.send(t, "", "route=0123456789abcdef")
			require.NotEmpty(t, resp.Header.Get("Set-Cookie"), "a cookie naming no endpoint is replaced")
		},
		"a refused connection is retried on the next endpoint": func(t *testing.T) {
			e.use(t, pool(model.Balancing{}, closedPort(t), a))
			require.Equal(t, map[string]int{"a": 20}, e.counts(t, 20))
		},
		"endpoint changes take effect on the next request": func(t *testing.T) {
			e.use(t, pool(model.Balancing{}, a))
			require.Equal(t, map[string]int{"a": 5}, e.counts(t, 5))
			e.use(t, pool(model.Balancing{}, b))
			require.Equal(t, map[string]int{"b": 5}, e.counts(t, 5))
		},
		"no endpoints answers 503": func(t *testing.T) {
			e.use(t, pool(model.Balancing{}))
			_, code, _ := e.send(t, "", "")
			require.Equal(t, http.StatusServiceUnavailable, code)
		},
		"a backend missing from the payload answers 503": func(t *testing.T) {
			push(t, e.opts.RuntimeDir, []byte(`{"other": {"endpoints": ["127.0.0.1:`+strconv.Itoa(int(a.Port))+`"]}}`))
			_, code, _ := e.send(t, "", "")
			require.Equal(t, http.StatusServiceUnavailable, code)
		},
	}
	for name, test := range tests {
		t.Run(name, test)
	}
}

func TestPushSocket(t *testing.T) {
	e := newLBEnv(t)
	eps := namedServers(t, nil, "a", "b")
	other := `{"other": {"endpoints": ["127.0.0.1:` + strconv.Itoa(int(eps["b"].Port)) + `"]}}`

	tests := map[string]struct {
		query   string
		payload string
		code    int
		body    string
		serves  string // what lb.test answers afterwards; "" for 503
	}{
		"invalid JSON changes nothing":     {payload: `{"pool": {"endpoints": []},}`, code: 400, body: "expected a string key", serves: "a"},
		"invalid endpoint changes nothing": {payload: `{"pool": {"endpoints": ["10.0.0.1:0"]}}`, code: 400, body: "invalid endpoint", serves: "a"},
		"invalid name changes nothing":     {payload: `{"Pool": {"endpoints": []}}`, code: 400, body: "invalid backend name", serves: "a"},
		"unknown algorithm":                {payload: `{"pool": {"endpoints": [], "algorithm": "random"}}`, code: 400, body: "invalid algorithm", serves: "a"},
		"hash key that is no variable name": {
			payload: `{"pool": {"endpoints": [], "hash_by": "http_x;y"}}`, code: 400, body: "invalid hash_by", serves: "a",
		},
		"cookie header injection": {
			payload: `{"pool": {"endpoints": [], "cookie": {"name": "a\r\nX: y"}}}`, code: 400, body: "invalid cookie name", serves: "a",
		},
		"huge cookie max age": {
			payload: `{"pool": {"endpoints": [], "cookie": {"name": "a", "max_age": 1e20}}}`, code: 400, body: "invalid cookie max_age", serves: "a",
		},
		"not JSON at all":              {payload: "pool=10.0.0.1", code: 400, body: "expected an object", serves: "a"},
		"merge keeps missing backends": {query: "?merge=1", payload: other, code: 200, body: "1 members, 1 entries changed", serves: "a"},
		"a replace drops them":         {payload: other, code: 200, body: "1 members, 2 entries changed", serves: ""},
		"null deletes in a merge": {
			query: "?merge=1", payload: `{"pool": null, "other": null}`, code: 200, body: "2 members, 1 entries changed", serves: "",
		},
		"null for an unknown backend changes nothing": {
			query: "?merge=1", payload: `{"gone": null}`, code: 200, body: "1 members, 0 entries changed", serves: "a",
		},
		"null in a replace": {payload: `{"pool": null}`, code: 200, body: "1 members, 1 entries changed", serves: ""},
		"certificate that is no base64": {
			query: "?merge=1", payload: `{"tls-cert:00ff": "%%%"}`, code: 400, body: "not a base64 string", serves: "a",
		},
		"certificate that is no PEM": {
			query: "?merge=1", payload: `{"tls-cert:00ff": "aGVsbG8="}`, code: 400, body: "tls-cert:00ff: certificate", serves: "a",
		},
		"certificate name": {query: "?merge=1", payload: `{"tls-cert:XY": ""}`, code: 400, body: "invalid certificate name", serves: "a"},
		"host name":        {query: "?merge=1", payload: `{"tls-host:a b": ""}`, code: 400, body: "invalid host name", serves: "a"},
		"host's certificate id": {
			query: "?merge=1", payload: `{"tls-host:a.test": "../x"}`, code: 400, body: "not a certificate id", serves: "a",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e.use(t, pool(model.Balancing{}, eps["a"]))
			code, body, err := pushStatus(e.opts.RuntimeDir, tc.query, []byte(tc.payload))
			require.NoError(t, err)
			require.Equal(t, tc.code, code, body)
			require.Contains(t, body, tc.body)
			got, status, _ := e.send(t, "", "")
			require.Equal(t, tc.serves, got, "status %d", status)
			if tc.serves == "" {
				require.Equal(t, http.StatusServiceUnavailable, status)
			}
		})
	}
}
