package render

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/testutil"
)

// scaleConfig returns servers servers with four locations each, spread
// over backends backends with three endpoints each. Every tenth server is
// a wildcard and every hundredth has a 253-byte host, the longest DNS allows.
func scaleConfig(servers, backends int) model.Config {
	cfg := model.Config{DefaultBackend: "b-0"}
	for i := range backends {
		cfg.Backends = append(cfg.Backends, backend(fmt.Sprintf("b-%d", i), 8080,
			fmt.Sprintf("10.%d.%d.1", i/256%256, i%256), fmt.Sprintf("10.%d.%d.2", i/256%256, i%256), "fd00::1"))
	}
	slices.SortFunc(cfg.Backends, func(a, b model.Backend) int { return strings.Compare(a.Name, b.Name) })
	for i := range servers {
		name := fmt.Sprintf("b-%d", i%backends)
		host := fmt.Sprintf("app-%d.team-%d.example.com", i, i%37)
		switch {
		case i%100 == 0:
			label := fmt.Sprintf("%063d", i)
			host = label + "." + label + "." + label + "." + strings.Repeat("x", 253-3*64)
		case i%10 == 0:
			host = "*." + host
		}
		cfg.Servers = append(cfg.Servers, model.Server{Host: host, Locations: []model.Location{
			prefix("/", name), exact("/api", name), prefix("/api", name), prefix("/static", ""),
		}})
	}
	slices.SortFunc(cfg.Servers, func(a, b model.Server) int { return strings.Compare(a.Host, b.Host) })
	return cfg
}

// TestScaleNginxAccepts checks that nginx takes large configs without a
// warning: the longest hosts (server-name hash), and many maps, variables
// and long map keys (map and variable hashes).
func TestScaleNginxAccepts(t *testing.T) {
	// Few backends: each used to be an upstream, which nginx finds by a
	// linear scan; backends no longer reach nginx.conf.
	tests := map[string]model.Config{
		"one server":                scaleConfig(1, 1),
		"1,000 servers":             scaleConfig(1000, 100),
		"10,000 servers":            scaleConfig(10000, 100),
		"100 servers with policies": policyScaleConfig(100, 100),
		// More maps and variables than nginx's default hash sizes hold.
		"2,000 servers with policies": policyScaleConfig(2000, 300),
	}
	r, err := New("")
	require.NoError(t, err)
	for name, cfg := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			opts := Options{HTTPPort: 80, RuntimeDir: dir}
			opts.User, opts.Group = workerUser(t)
			out, err := r.Render(cfg, opts)
			require.NoError(t, err)
			nginxCheck(t, dir, out.Files)
		})
	}
}

func BenchmarkRender(b *testing.B) {
	r, err := New("")
	require.NoError(b, err)
	opts := Options{HTTPPort: 80, RuntimeDir: "/run/archway", User: "nobody", Group: "nogroup"}
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("servers=%d", n), func(b *testing.B) {
			cfg := scaleConfig(n, n)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Render(cfg, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestRenderAllocations keeps Render's allocations from growing with its
// servers: their views and sharing keys go into blocks shared by all.
func TestRenderAllocations(t *testing.T) {
	r, err := New("")
	require.NoError(t, err)
	opts := Options{HTTPPort: 80, HTTPSPort: 443, RuntimeDir: "/run/archway", User: "nobody", Group: "nogroup"}
	allocs := func(ingresses int) float64 {
		cfg := builtScaleConfig(t, ingresses)
		return testing.AllocsPerRun(3, func() {
			_, err := r.Render(cfg, opts)
			require.NoError(t, err)
		})
	}
	// 250 servers more, of four Ingresses each.
	small, large := allocs(1_000), allocs(2_000)
	require.Less(t, large-small, 50.0, "from %v allocations", small)
}

// builtScaleConfig returns the model of the benchmarks' Ingresses
// (testutil.ScaleSnapshot): a server per four of them, with paths of
// their own, so that no two servers share.
func builtScaleConfig(t *testing.T, ingresses int) model.Config {
	cfg, report := builder.Build(testutil.ScaleSnapshot(ingresses),
		builder.Options{IngressClass: testutil.ScaleIngressClass, ControllerClass: testutil.ScaleControllerClass})
	require.Len(t, report.Served, ingresses)
	return cfg
}

// TestParallelServers renders a large config whose servers are made on
// several goroutines, some with policies (made in order: their zones and
// maps go to the http block), and checks the bytes and the first error
// against servers made one after another.
func TestParallelServers(t *testing.T) {
	r, err := New("")
	require.NoError(t, err)
	opts := Options{HTTPPort: 80, HTTPSPort: 443, RuntimeDir: "/run/archway", User: "nobody", Group: "nogroup"}
	withPolicies := policyScaleConfig(600, 50)
	for i := range withPolicies.Servers {
		if i%3 != 0 {
			for j := range withPolicies.Servers[i].Locations {
				withPolicies.Servers[i].Locations[j].Policy = nil
			}
		}
	}
	broken := scaleConfig(600, 50)
	broken.Servers[500].Locations[0].Path = "late"
	broken.Servers[100].Locations[1].Path = "early"
	renderAt := func(procs int, cfg model.Config) (Output, error) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		return r.Render(cfg, opts)
	}
	for name, cfg := range map[string]model.Config{"plain": scaleConfig(600, 50), "with policies": withPolicies, "broken": broken} {
		t.Run(name, func(t *testing.T) {
			want, wantErr := renderAt(1, cfg)
			for _, procs := range []int{2, 3} {
				got, err := renderAt(procs, cfg)
				if name == "broken" {
					require.ErrorContains(t, wantErr, `"early"`)
					require.EqualError(t, err, wantErr.Error())
					continue
				}
				require.NoError(t, err)
				require.Equal(t, string(want.Files[0].Data), string(got.Files[0].Data), "GOMAXPROCS %d", procs)
			}
		})
	}
}
