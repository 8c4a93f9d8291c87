package render

import (
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

// canaryEnv is nginx serving host canary.test "/" from backend "main",
// whose canaries each test pushes.
type canaryEnv struct {
	r        *Renderer
	opts     Options
	version  string
	client   *http.Client
	backends []model.Backend
}

func newCanaryEnv(t testing.TB, backends []model.Backend) *canaryEnv {
	r, err := New("")
	require.NoError(t, err)
	dir := t.TempDir()
	e := &canaryEnv{r: r, opts: Options{HTTPPort: freePort(t), RuntimeDir: dir}, backends: backends}
	e.opts.User, e.opts.Group = workerUser(t)
	out := e.render(t, model.Canary{Backend: "beta", WeightTotal: 100})
	e.version = out.Version
	startNginx(t, dir, out)
	e.client = tcpClient(t, e.opts.HTTPPort)
	return e
}

func (e *canaryEnv) render(t testing.TB, canaries ...model.Canary) Output {
	t.Helper()
	loc := prefix("/", "main")
	loc.Canaries = canaries
	out, err := e.r.Render(model.Config{
		Servers:  []model.Server{{Host: "canary.test", Locations: []model.Location{loc}}},
		Backends: e.backends,
	}, e.opts)
	require.NoError(t, err)
	return out
}

// use pushes canaries; nginx.conf must not depend on them.
func (e *canaryEnv) use(t *testing.T, canaries ...model.Canary) {
	t.Helper()
	out := e.render(t, canaries...)
	require.Equal(t, e.version, out.Version, "canary rules must not change nginx.conf")
	push(t, e.opts.RuntimeDir, out.Endpoints.Payload())
}

// get returns the name of the backend that answers a request with the
// given headers ("Name: value"), or "500" or "503" for those.
func (e *canaryEnv) get(t *testing.T, headers ...string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://canary.test/", nil)
	require.NoError(t, err)
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ": ")
		req.Header.Set(name, value)
	}
	resp, err := e.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if resp.StatusCode == http.StatusInternalServerError || resp.StatusCode == http.StatusServiceUnavailable {
		return strconv.Itoa(resp.StatusCode)
	}
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	return string(body)
}

func TestCanaryTraffic(t *testing.T) {
	eps := namedServers(t, nil, "main", "beta", "gamma")
	backend := func(name string, eps ...model.Endpoint) model.Backend {
		return model.Backend{Name: name, Endpoints: eps}
	}
	e := newCanaryEnv(t, []model.Backend{
		backend("main", eps["main"]), backend("beta", eps["beta"]), backend("gamma", eps["gamma"]), backend("empty"),
	})
	canary := func(name string, weight int) model.Canary {
		return model.Canary{Backend: name, Weight: weight, WeightTotal: 100}
	}
	header := func(c model.Canary, name, value, pattern string) model.Canary {
		c.Header, c.HeaderValue, c.HeaderPattern = name, value, pattern
		return c
	}
	cookie := func(c model.Canary, name string) model.Canary { c.Cookie = name; return c }
	type request struct {
		headers []string
		want    string
	}
	tests := map[string]struct {
		canaries []model.Canary
		requests []request
	}{
		"header always and never win over the weight": {
			canaries: []model.Canary{header(canary("beta", 100), "X-Canary", "", "")},
			requests: []request{
				{[]string{"X-Canary: always"}, "beta"},
				{[]string{"X-Canary: never"}, "main"},
				{[]string{"X-Canary: other"}, "beta"},
				{nil, "beta"},
			},
		},
		"header value": {
			canaries: []model.Canary{header(canary("beta", 0), "X-Canary", "v2", "")},
			requests: []request{
				{[]string{"X-Canary: v2"}, "beta"},
				{[]string{"X-Canary: always"}, "main"},
				{[]string{"X-Canary: v3"}, "main"},
				{nil, "main"},
			},
		},
		"header pattern": {
			canaries: []model.Canary{header(canary("beta", 0), "X-Canary", "", "^beta-[0-9]+$")},
			requests: []request{
				{[]string{"X-Canary: beta-12"}, "beta"},
				{[]string{"X-Canary: beta-x"}, "main"},
				{[]string{"X-Canary: xbeta-1"}, "main"},
			},
		},
		"cookie always and never, after the header": {
			canaries: []model.Canary{cookie(header(canary("beta", 0), "X-Canary", "", ""), "canary")},
			requests: []request{
				{[]string{"Cookie: canary=always"}, "beta"},
				{[]string{"Cookie: a=b; canary=always"}, "beta"},
				{[]string{"Cookie: canary=never"}, "main"},
				{[]string{"Cookie: canary=sometimes"}, "main"},
				{[]string{"Cookie: canary=always", "X-Canary: never"}, "main"},
			},
		},
		"two canaries: the first deciding rule wins, in order": {
			canaries: []model.Canary{
				header(canary("beta", 0), "X-Beta", "", ""),
				cookie(header(canary("gamma", 100), "X-Gamma", "", ""), "gamma"),
			},
			requests: []request{
				{nil, "gamma"},
				{[]string{"X-Beta: always"}, "beta"},
				{[]string{"X-Beta: always", "X-Gamma: always"}, "beta"},
				{[]string{"X-Beta: never", "X-Gamma: always"}, "main"},
				{[]string{"X-Gamma: never"}, "main"},
				{[]string{"Cookie: gamma=never"}, "main"},
				{[]string{"X-Beta: always", "Cookie: gamma=never"}, "beta"},
			},
		},
		"a canary without endpoints gives way to the main backend": {
			canaries: []model.Canary{header(canary("empty", 100), "X-Canary", "", "")},
			requests: []request{{nil, "main"}, {[]string{"X-Canary: always"}, "main"}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e.use(t, tc.canaries...)
			for _, r := range tc.requests {
				require.Equal(t, r.want, e.get(t, r.headers...), "headers %q", r.headers)
			}
		})
	}

	weights := map[string]struct {
		canaries []model.Canary
		want     map[string]int // expected share of 400 requests
	}{
		"30 percent": {
			canaries: []model.Canary{canary("beta", 30)},
			want:     map[string]int{"beta": 120, "main": 280},
		},
		"two canaries take their shares in order": {
			canaries: []model.Canary{canary("beta", 25), {Backend: "gamma", Weight: 1, WeightTotal: 2}},
			want:     map[string]int{"beta": 100, "gamma": 200, "main": 100},
		},
		"shares above all requests leave the later canary the rest": {
			canaries: []model.Canary{canary("beta", 75), canary("gamma", 50)},
			want:     map[string]int{"beta": 300, "gamma": 100},
		},
		"an unresolved canary's share answers 500": {
			canaries: []model.Canary{canary("beta", 25), {Unresolved: true, Weight: 1, WeightTotal: 2}},
			want:     map[string]int{"beta": 100, "500": 200, "main": 100},
		},
		"the share of a strict canary without endpoints answers 503": {
			canaries: []model.Canary{{Backend: "empty", Strict: true, Weight: 1, WeightTotal: 2}, {Backend: "beta", Strict: true, Weight: 1, WeightTotal: 4}},
			want:     map[string]int{"503": 200, "beta": 100, "main": 100},
		},
	}
	for name, tc := range weights {
		t.Run(name, func(t *testing.T) {
			e.use(t, tc.canaries...)
			seen := map[string]int{}
			for range 400 {
				seen[e.get(t)]++
			}
			require.Len(t, seen, len(tc.want), "%v", seen)
			for name, n := range tc.want {
				// 400 draws: a standard deviation of at most 10.
				require.InDelta(t, n, seen[name], 45, "%s: %v", name, seen)
			}
		})
	}
}

func TestCanaryEntries(t *testing.T) {
	backends := []model.Backend{{Name: "main"}, {Name: "beta"}}
	render := func(c ...model.Canary) (Output, error) {
		r, err := New("")
		require.NoError(t, err)
		loc := prefix("/api", "main")
		loc.Canaries = c
		return r.Render(model.Config{
			Servers:  []model.Server{{Host: "a.test", Locations: []model.Location{loc}}},
			Backends: backends,
		}, Options{HTTPPort: 8080, RuntimeDir: "/run/archway"})
	}
	name := canaryRouteName("a.test", prefix("/api", "main"))
	tests := map[string]struct {
		canary  model.Canary
		payload string // the route's member; "" when Render fails with err
		err     string
	}{
		"every field": {
			canary: model.Canary{Backend: "beta", Weight: 3, WeightTotal: 10, Header: "X-Canary",
				HeaderPattern: `^v\.[0-9]<>&$`, Cookie: "c"},
			payload: `{"main":"main","canaries":[{"backend":"beta","weight":3,"weight_total":10,"header":"X-Canary","header_pattern":"^v\\.[0-9]\u003c\u003e\u0026$","cookie":"c"}]}`,
		},
		"unresolved": {
			canary:  model.Canary{Unresolved: true, Weight: 1, WeightTotal: 2},
			payload: `{"main":"main","canaries":[{"unresolved":true,"weight":1,"weight_total":2}]}`,
		},
		"unresolved with a header": {canary: model.Canary{Unresolved: true, WeightTotal: 2, Header: "X"}, err: "only a weight"},
		"unknown backend":          {canary: model.Canary{Backend: "gone", WeightTotal: 100}, err: `canary of unknown backend "gone"`},
		"weight above the total": {
			canary: model.Canary{Backend: "beta", Weight: 101, WeightTotal: 100}, err: "canary weight 101 is not between 0 and 100",
		},
		"pattern that reads as a variable": {
			canary: model.Canary{Backend: "beta", WeightTotal: 100, Header: "X", HeaderPattern: "a$host"}, err: "header pattern",
		},
		"header value with a quote": {
			canary: model.Canary{Backend: "beta", WeightTotal: 100, Header: "X", HeaderValue: `a"b`}, err: "canary header value",
		},
		"value without header": {
			canary: model.Canary{Backend: "beta", WeightTotal: 100, HeaderValue: "b"}, err: "without header",
		},
	}
	for tcName, tc := range tests {
		t.Run(tcName, func(t *testing.T) {
			out, err := render(tc.canary)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Contains(t, string(out.Files[0].Data), `set $archway_backend "`+name+`";`)
			require.NotContains(t, string(out.Files[0].Data), `set $archway_backend "main";`)
			i := slices.IndexFunc(out.Endpoints, func(b BackendEndpoints) bool { return b.Name == name })
			require.GreaterOrEqual(t, i, 0)
			require.JSONEq(t, tc.payload, string(out.Endpoints[i].JSON))
			require.Equal(t, tc.payload, string(out.Endpoints[i].JSON))
			require.True(t, slices.IsSortedFunc(out.Endpoints, func(a, b BackendEndpoints) int { return strings.Compare(a.Name, b.Name) }))
		})
	}
}

func TestCanaryPushRefused(t *testing.T) {
	eps := namedServers(t, nil, "main", "beta")
	e := newCanaryEnv(t, []model.Backend{{Name: "main", Endpoints: []model.Endpoint{eps["main"]}}, {Name: "beta", Endpoints: []model.Endpoint{eps["beta"]}}})
	route := `"canary.x": {"main": "main", "canaries": [`
	tests := map[string]struct{ payload, body string }{
		"weight above the total": {route + `{"backend": "beta", "weight": 5, "weight_total": 4}]}`, "invalid canary weight"},
		"fractional weight":      {route + `{"backend": "beta", "weight": 0.5, "weight_total": 4}]}`, "invalid canary weight"},
		"bad backend name":       {route + `{"backend": "Beta", "weight": 0, "weight_total": 4}]}`, "invalid canary backend"},
		"header with a space":    {route + `{"backend": "beta", "weight": 0, "weight_total": 4, "header": "a b"}]}`, "invalid canary header"},
		"broken pattern":         {route + `{"backend": "beta", "weight": 0, "weight_total": 4, "header": "a", "header_pattern": "a("}]}`, "invalid canary header_pattern"},
		"no main":                {`"canary.x": {"main": "", "canaries": []}`, "invalid main backend"},
		"unresolved backend":     {route + `{"backend": "beta", "unresolved": true, "weight": 0, "weight_total": 4}]}`, "invalid canary backend"},
		"unresolved header":      {route + `{"unresolved": true, "weight": 0, "weight_total": 4, "header": "a"}]}`, "invalid unresolved canary"},
		"unresolved not true":    {route + `{"unresolved": 1, "weight": 0, "weight_total": 4}]}`, "invalid canary unresolved"},
		"strict with a header":   {route + `{"backend": "beta", "strict": true, "weight": 0, "weight_total": 4, "header": "a"}]}`, "invalid canary strict"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e.use(t, model.Canary{Backend: "beta", Weight: 100, WeightTotal: 100})
			code, body, err := pushStatus(e.opts.RuntimeDir, "?merge=1", []byte("{"+tc.payload+"}"))
			require.NoError(t, err)
			require.Equal(t, http.StatusBadRequest, code, body)
			require.Contains(t, body, tc.body)
			require.Equal(t, "beta", e.get(t), "a refused push changes nothing")
		})
	}
}
