package render

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

func TestEndpointsPayload(t *testing.T) {
	backends := []model.Backend{
		backend("dual", 8080, "10.0.0.1", "fd00::1"),
		{Name: "empty"},
		{Name: "hashed", Endpoints: []model.Endpoint{{Address: "10.0.0.2", Port: 80}},
			Balancing: model.Balancing{Algorithm: model.EWMA, HashBy: "http_x_user"}},
		{Name: "sticky", Endpoints: []model.Endpoint{{Address: "10.0.0.3", Port: 80}},
			Balancing: model.Balancing{Cookie: &model.CookieAffinity{Name: "route", Path: "/app", MaxAge: 3600, SameSite: "Strict", Secure: true}}},
	}
	r, err := New("")
	require.NoError(t, err)
	out, err := r.Render(model.Config{Backends: backends}, rootOptions(goldenRuntimeDir))
	require.NoError(t, err)
	path := filepath.Join("testdata", "endpoints.golden.json")
	if *update {
		require.NoError(t, os.WriteFile(path, out.Endpoints.Payload(), 0o644))
	}
	golden, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, string(golden), string(out.Endpoints.Payload()))

	// Reversed input, equal bytes: nothing depends on map order.
	reversed := []model.Backend{backends[3], backends[2], backends[1], backends[0]}
	again, err := r.Render(model.Config{Backends: reversed}, rootOptions(goldenRuntimeDir))
	require.NoError(t, err)
	require.Equal(t, out.Endpoints, again.Endpoints)
}

// TestEndpointsStayOutOfConfig checks that endpoints and balancing change
// only the payload, never the files nginx loads.
func TestEndpointsStayOutOfConfig(t *testing.T) {
	r, err := New("")
	require.NoError(t, err)
	cfg := func(b model.Backend) model.Config {
		return model.Config{
			Servers:  []model.Server{{Host: "a.test", Locations: []model.Location{prefix("/", "app")}}},
			Backends: []model.Backend{b},
		}
	}
	base, err := r.Render(cfg(backend("app", 80, "10.0.0.1")), rootOptions(goldenRuntimeDir))
	require.NoError(t, err)
	balanced := func(bal model.Balancing) model.Backend {
		b := backend("app", 80, "10.0.0.1")
		b.Balancing = bal
		return b
	}
	tests := map[string]model.Backend{
		"other endpoints": backend("app", 80, "10.0.0.2", "10.0.0.3"),
		"no endpoints":    backend("app", 80),
		"other port":      backend("app", 81, "10.0.0.1"),
		"ewma":            balanced(model.Balancing{Algorithm: model.EWMA}),
		"hashing":         balanced(model.Balancing{HashBy: "request_uri"}),
		"cookie":          balanced(model.Balancing{Cookie: &model.CookieAffinity{Name: "x"}}),
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			out, err := r.Render(cfg(b), rootOptions(goldenRuntimeDir))
			require.NoError(t, err)
			require.Equal(t, base.Version, out.Version)
			require.Equal(t, base.Files, out.Files)
			require.NotEqual(t, base.Endpoints, out.Endpoints)
		})
	}
}

func TestEndpointsRejects(t *testing.T) {
	balanced := func(b model.Balancing) model.Config {
		return model.Config{Backends: []model.Backend{{Name: "app", Balancing: b}}}
	}
	cookie := func(c model.CookieAffinity) model.Config { return balanced(model.Balancing{Cookie: &c}) }
	tests := map[string]struct {
		cfg     model.Config
		wantErr string
	}{
		"unknown algorithm":         {cfg: balanced(model.Balancing{Algorithm: "random"}), wantErr: `unknown balancing algorithm "random"`},
		"hash key with a dollar":    {cfg: balanced(model.Balancing{HashBy: "$request_uri"}), wantErr: "not an nginx variable name"},
		"hash key of two variables": {cfg: balanced(model.Balancing{HashBy: "host$uri"}), wantErr: "not an nginx variable name"},
		"hash key with a brace":     {cfg: balanced(model.Balancing{HashBy: "a}"}), wantErr: "not an nginx variable name"},
		"hash key upper case":       {cfg: balanced(model.Balancing{HashBy: "Host"}), wantErr: "not an nginx variable name"},
		"hash key leading digit":    {cfg: balanced(model.Balancing{HashBy: "1a"}), wantErr: "not an nginx variable name"},
		"hash key too long":         {cfg: balanced(model.Balancing{HashBy: strings.Repeat("a", 257)}), wantErr: "not an nginx variable name"},
		"empty cookie name":         {cfg: cookie(model.CookieAffinity{}), wantErr: "cookie name"},
		"cookie name with a space":  {cfg: cookie(model.CookieAffinity{Name: "a b"}), wantErr: "cookie name"},
		"cookie name with newline":  {cfg: cookie(model.CookieAffinity{Name: "a\r\nSet-Cookie: x"}), wantErr: "cookie name"},
		"relative cookie path":      {cfg: cookie(model.CookieAffinity{Name: "a", Path: "app"}), wantErr: "cookie path"},
		"cookie path with ;":        {cfg: cookie(model.CookieAffinity{Name: "a", Path: "/a;Domain=x"}), wantErr: "cookie path"},
		"negative max age":          {cfg: cookie(model.CookieAffinity{Name: "a", MaxAge: -1}), wantErr: "max age -1"},
		"huge max age":              {cfg: cookie(model.CookieAffinity{Name: "a", MaxAge: 1 << 31}), wantErr: "max age 2147483648"},
		"unknown SameSite":          {cfg: cookie(model.CookieAffinity{Name: "a", SameSite: "lax"}), wantErr: "SameSite"},
	}
	r, err := New("")
	require.NoError(t, err)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			out, err := r.Render(tc.cfg, rootOptions("/run/a"))
			require.ErrorContains(t, err, tc.wantErr)
			require.Empty(t, out)
		})
	}
}

func TestNginxTime(t *testing.T) {
	tests := map[string]struct {
		d    time.Duration
		want string
	}{
		"zero":          {d: 0, want: ""},
		"seconds":       {d: 240 * time.Second, want: "240s"},
		"minutes":       {d: 5 * time.Minute, want: "300s"},
		"milliseconds":  {d: 1500 * time.Millisecond, want: "1500ms"},
		"rounded up ms": {d: time.Millisecond + 1, want: "2ms"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			require.Equal(t, tc.want, nginxTime(tc.d))
		})
	}
}

func BenchmarkEndpointsPayload(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("backends=%d", n), func(b *testing.B) {
			backends := scaleConfig(1, n).Backends
			b.ReportAllocs()
			for b.Loop() {
				if _, err := endpointEntries(backends); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
