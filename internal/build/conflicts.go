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

// servers groups the winning routes into servers, in model order.
func servers(routes map[routeKey]model.Location) []model.Server {
	byHost := map[string][]model.Location{}
	for key, loc := range routes {
		byHost[key.host] = append(byHost[key.host], loc)
	}
	var out []model.Server
	for host, locs := range byHost {
		slices.SortFunc(locs, func(a, b model.Location) int {
			return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Match, b.Match))
		})
		out = append(out, model.Server{Host: host, Locations: locs})
	}
	slices.SortFunc(out, func(a, b model.Server) int { return cmp.Compare(a.Host, b.Host) })
	return out
}
