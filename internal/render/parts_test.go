package render

import (
	"bytes"
	"fmt"
	"maps"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"testing"
	"text/template"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

// mixedConfig repeats the servers of every policy golden case, with
// certificates and client certificates, under new hosts: parts of its
// servers add the same zones, maps, pools and files as other parts.
func mixedConfig(t *testing.T) model.Config {
	cases := policyGoldenCases(t)
	wild := testCertificate(t, "wild")
	clientAuth := &model.ClientAuth{CA: testdataFile(t, "client-auth/ca.crt"), Verify: model.VerifyOn, Depth: 1}
	cfg := model.Config{Backends: cases["annotations_access"].Backends, DefaultBackend: "web",
		DefaultCertificate: testCertificate(t, "default"), Settings: edgeSettings()}
	for rep := range 3 {
		rename := func(host string) string { return fmt.Sprintf("r%d-%s", rep, host) }
		for _, name := range slices.Sorted(maps.Keys(cases)) {
			for _, s := range cases[name].Servers {
				s.Host, s.Aliases = rename(s.Host), slices.Clone(s.Aliases)
				for i := range s.Aliases {
					s.Aliases[i] = rename(s.Aliases[i])
				}
				cfg.Servers = append(cfg.Servers, s)
			}
		}
		cfg.Servers = append(cfg.Servers,
			model.Server{Host: rename("wild.example.com"), Certificate: wild, Locations: []model.Location{redirected(prefix("/", "web"))}},
			model.Server{Host: rename("mtls.example.com"), ClientAuth: clientAuth, Locations: []model.Location{prefix("/api", "api")}})
	}
	return cfg
}

// TestServerViewsInParts: servers made in parts give the view, and the
// error, of one loop.
func TestServerViewsInParts(t *testing.T) {
	opts := rootOptions(goldenRuntimeDir)
	opts.Resolvers = []netip.Addr{netip.MustParseAddr("10.96.0.10")}
	broken := func(servers []model.Server, at int, path string) []model.Server {
		servers = slices.Clone(servers)
		servers[at].Locations = []model.Location{prefix(path, "b-0")}
		return servers
	}
	duplicated := func(servers []model.Server, at, of int) []model.Server {
		servers = slices.Clone(servers)
		servers[at].Host = servers[of].Host
		return servers
	}
	mixed := mixedConfig(t)
	many := scaleConfig(40, 5)
	tests := map[string]struct {
		cfg     model.Config
		files   bool // the config needs files
		wantErr string
	}{
		"mixed policies and certificates": {cfg: mixed, files: true},
		"policies at scale":               {cfg: policyScaleConfig(300, 100)},
		"errors in two parts": {cfg: model.Config{Backends: many.Backends,
			Servers: broken(broken(many.Servers, 30, "no-slash"), 10, "/ends/")}, wantErr: `prefix path "/ends/" ends in /`},
		"a duplicate before an error": {cfg: model.Config{Backends: many.Backends,
			Servers: broken(duplicated(many.Servers, 12, 3), 35, "bad")}, wantErr: "duplicate host"},
		"an error before a duplicate": {cfg: model.Config{Backends: many.Backends,
			Servers: duplicated(broken(many.Servers, 8, "bad"), 35, 3)}, wantErr: `path "bad" does not start with /`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			want, wantErr := newConfView(tc.cfg, opts, 1)
			for _, parts := range []int{2, 3, len(tc.cfg.Servers) + 1} {
				got, err := newConfView(tc.cfg, opts, parts)
				if tc.wantErr != "" {
					require.ErrorContains(t, wantErr, tc.wantErr)
					require.EqualError(t, err, wantErr.Error(), "%d parts", parts)
					continue
				}
				require.NoError(t, err)
				require.Equal(t, want, got, "%d parts", parts)
			}
			if tc.wantErr == "" {
				require.Equal(t, tc.files, len(want.files) > 0)
				require.NotEmpty(t, want.Policy.LimitReqZones)
			}
		})
	}
}

// TestExecutorRangeInParts runs ranges long enough to be split across
// cores, three of them here, on both paths.
func TestExecutorRangeInParts(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	items := make([]string, minParallel)
	for i := range items {
		items[i] = strings.Repeat("i", i%7)
	}
	list := make([]execInner, 3*minParallel+1)
	for i := range list {
		list[i] = execInner{Name: fmt.Sprintf("n%d", i), Count: i, Items: items[:i%3]}
	}
	list[5].Items = items // a long range within a part
	data := execData{Text: "root", List: list, Ptrs: make([]*execInner, minParallel)}
	for i := range data.Ptrs {
		data.Ptrs[i] = &execInner{Name: fmt.Sprint(i)}
	}
	tests := map[string]struct {
		text string
		data execData
		fast bool
	}{
		"items, $ and templates": {text: `{{define "sub"}}<{{.Name}} {{$.Count}}>{{end}}{{.Text}}{{range .List}}[{{template "sub" .}} {{$.Text}}{{range .Items}}{{.}},{{end}}]{{end}}end`,
			data: data, fast: true},
		"a nil in the last part": {text: "{{range .Ptrs}}{{.Name}}{{end}}", data: func() execData {
			d := data
			d.Ptrs = slices.Clone(d.Ptrs)
			d.Ptrs[len(d.Ptrs)-1] = nil
			return d
		}()},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tmpl := template.Must(template.New("main").Parse(tc.text))
			var want bytes.Buffer
			wantErr := tmpl.Execute(&want, tc.data)
			// A buffer with room, as Render's, and without.
			for _, out := range [][]byte{nil, make([]byte, 0, 1<<20)} {
				got, err := newExecutor(tmpl).execute(out, "main", tc.data)
				if !tc.fast {
					require.Error(t, wantErr)
					require.ErrorIs(t, err, errSlowPath)
					continue
				}
				require.NoError(t, wantErr)
				require.NoError(t, err)
				require.Equal(t, want.String(), string(got))
			}
		})
	}
}
