package render

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

// TestLocationSetAcrossServers: the servers of a Render share the
// location set's blocks and maps, yet each must get exactly its own
// locations, whatever came before it.
func TestLocationSetAcrossServers(t *testing.T) {
	large := model.Server{Host: "large.test"}
	var largeWant []string
	for i := range 100 {
		path := fmt.Sprintf("/p%03d", i)
		large.Locations = append(large.Locations, prefix(path, "app"))
		largeWant = append(largeWant, `= "`+path+`"`, `"`+path+`/"`)
	}
	largeWant = append(largeWant, `"/"`)
	var small []model.Server // enough locations for several blocks
	for i := range 300 {
		small = append(small, model.Server{Host: fmt.Sprintf("s%03d.test", i), Locations: []model.Location{
			exact("/p000", "app"), prefix(fmt.Sprintf("/s%d", i), "app"),
		}})
	}
	tests := map[string]struct {
		servers []model.Server
		want    map[string][]string // the locations of some server names
		wantErr string
	}{
		"a path of a large server again": {
			servers: []model.Server{large, {Host: "next.test", Locations: []model.Location{prefix("/p000", "app")}}},
			want: map[string][]string{
				`"next.test"`:  {`= "/p000"`, `"/p000/"`, `"/"`},
				`"large.test"`: largeWant,
			},
		},
		"many small servers": {
			servers: small,
			want: map[string][]string{
				`"s000.test"`: {`= "/p000"`, `= "/s0"`, `"/s0/"`, `"/"`},
				`"s299.test"`: {`= "/p000"`, `= "/s299"`, `"/s299/"`, `"/"`},
			},
		},
		"a duplicate after a large server": {
			servers: []model.Server{large, {Host: "next.test", Locations: []model.Location{exact("/a", "app"), exact("/a", "app")}}},
			wantErr: `server "next.test": duplicate location "/a"`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := model.Config{Backends: []model.Backend{backend("app", 80, "10.0.0.1")}, Servers: tc.servers}
			v, err := newConfView(cfg, rootOptions(goldenRuntimeDir), "")
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Len(t, v.Servers, len(tc.servers)+1) // and the catch-all
			got := map[string][]string{}
			for _, s := range v.Servers {
				for _, l := range s.Locations {
					got[s.Name] = append(got[s.Name], l.Modifier+l.Path)
				}
			}
			for name, want := range tc.want {
				require.Equal(t, want, got[name], name)
			}
		})
	}
}
