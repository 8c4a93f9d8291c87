package builder

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

// TestServerOrderIsStableSort checks serverOrder against a plain stable sort
// of random routes: runs of one host, many paths of a host, equal hosts
// under several Gateways and repeated keys.
func TestServerOrderIsStableSort(t *testing.T) {
	gateways := []model.Ref{{}, {Namespace: "a", Name: "gw"}, {Namespace: "a", Name: "gw2"}, {Namespace: "b", Name: "gw"}}
	matches := []model.Match{model.MatchPrefix, model.MatchExact, model.MatchRegex}
	for seed := range uint64(200) {
		rnd := rand.New(rand.NewPCG(seed, 1))
		hosts := 1 + rnd.IntN(30)
		var keys []routeKey
		for n := rnd.IntN(300); len(keys) < n; {
			run := routeKey{gateway: gateways[rnd.IntN(len(gateways))], host: fmt.Sprintf("h%d.example.com", rnd.IntN(hosts))}
			for range 1 + rnd.IntN(12) {
				run.path, run.match = fmt.Sprintf("/p%d", rnd.IntN(20)), matches[rnd.IntN(len(matches))]
				keys = append(keys, run)
			}
		}
		want := make([]int, len(keys))
		for i := range want {
			want[i] = i
		}
		slices.SortStableFunc(want, func(i, j int) int { return keys[i].compare(keys[j]) })
		require.Equal(t, want, serverOrder(keys), "seed %d", seed)
	}
}

// TestRouteTableFindsLikeAMap checks routeTable against a map of whole
// routeKeys over random routes: servers with a few routes (found by their
// list) and many (found by the map), repeated keys and Gateways.
func TestRouteTableFindsLikeAMap(t *testing.T) {
	gateways := []model.Ref{{}, {Namespace: "a", Name: "gw"}}
	matches := []model.Match{model.MatchPrefix, model.MatchExact, model.MatchRegex}
	for seed := range uint64(50) {
		rnd := rand.New(rand.NewPCG(seed, 2))
		table := routeTable{servers: map[server]int32{}, byPath: map[pathKey]int32{}}
		want := map[routeKey]int{}
		for range rnd.IntN(500) {
			key := routeKey{gateway: gateways[rnd.IntN(len(gateways))], host: fmt.Sprintf("h%d.example.com", rnd.IntN(5)),
				path: fmt.Sprintf("/p%d", rnd.IntN(40)), match: matches[rnd.IntN(len(matches))]}
			i, found := table.find(key)
			j, ok := want[key]
			require.Equal(t, ok, found, "seed %d key %v", seed, key)
			if !ok {
				want[key] = len(table.keys)
				table.add(key)
				continue
			}
			require.Equal(t, j, i, "seed %d key %v", seed, key)
		}
	}
}
