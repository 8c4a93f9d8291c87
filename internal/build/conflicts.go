package build

import (
	"cmp"
	"fmt"
	"slices"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/model"
)

// olderFirst orders Ingresses by creationTimestamp, then namespace/name.
// Build lets them claim routes in this order, so the first claim of a route
// is the oldest Ingress's and wins.
func olderFirst(a, b *networkingv1.Ingress) int {
	return cmp.Or(a.CreationTimestamp.Time.Compare(b.CreationTimestamp.Time),
		cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
}

// precedence ends every conflict message: it says why the winner won.
const precedence = " (the oldest Ingress wins; ties go by namespace/name)"

// routeKey identifies one route; two paths with equal keys conflict.
type routeKey struct {
	host, path string
	match      model.Match
}

// conflict explains to the loser of a route who owns it.
func (k routeKey) conflict(loser, winner model.Ref) string {
	owner := "Ingress " + winner.String() + precedence
	if loser == winner {
		owner = "an earlier path of this Ingress"
	}
	return fmt.Sprintf("host %q path %q (%s) is already routed by %s", k.host, k.path, k.match, owner)
}

// servers groups the winning routes into servers, in model order: one
// sort of all routes, and every server's Locations share one array.
func servers(routes map[routeKey]*model.Location) []model.Server {
	keys := make([]routeKey, 0, len(routes))
	for key := range routes {
		keys = append(keys, key)
	}
	slices.SortFunc(keys, func(a, b routeKey) int {
		return cmp.Or(cmp.Compare(a.host, b.host), cmp.Compare(a.path, b.path), cmp.Compare(a.match, b.match))
	})
	locs := make([]model.Location, len(keys))
	var out []model.Server
	start := 0
	for i, key := range keys {
		locs[i] = *routes[key]
		if i+1 == len(keys) || keys[i+1].host != key.host {
			// A full slice expression: appending to one server's
			// Locations must never overwrite the next server's.
			out = append(out, model.Server{Host: key.host, Locations: locs[start : i+1 : i+1]})
			start = i + 1
		}
	}
	return out
}
