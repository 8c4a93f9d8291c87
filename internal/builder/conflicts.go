package builder

import (
	"fmt"
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/model"
)

// olderFirst orders Ingresses by creationTimestamp, then namespace/name.
// Build lets them claim routes in this order, so the first claim of a route
// is the oldest Ingress's and wins.
func olderFirst(a, b *networkingv1.Ingress) int {
	if c := a.CreationTimestamp.Time.Compare(b.CreationTimestamp.Time); c != 0 {
		return c
	}
	return compareRefs(model.Ref{Namespace: a.Namespace, Name: a.Name}, model.Ref{Namespace: b.Namespace, Name: b.Name})
}

// precedence ends every conflict message: it says why the winner won.
const precedence = " (the oldest Ingress wins; ties go by namespace/name)"

// precedenceOf says why winner won over loser: the oldest wins among
// owners of one kind, and a kind whose processors run earlier (Ingresses)
// wins over the later ones.
func precedenceOf(loser, winner model.Owner) string {
	switch {
	case loser.Kind == winner.Kind && winner.Kind == KindIngress:
		return precedence
	case loser.Kind == winner.Kind:
		return " (the oldest " + winner.Kind + " wins; ties go by namespace/name)"
	}
	return " (" + winner.Kind + " routes win over " + loser.Kind + " routes)"
}

// olderOwner names the owner that won a conflict, as told to the loser:
// the loser's Events are seen in its own namespace, so a winner in another
// namespace is not named.
func olderOwner(loser, winner model.Owner) string {
	if loser.Namespace != winner.Namespace {
		return "an " + winner.Kind + " of another namespace"
	}
	return winner.Kind + " " + winner.Ref.String()
}

// routeKey identifies one route; two paths with equal keys conflict.
type routeKey struct {
	// gateway is the Gateway whose own ports serve the route, the zero
	// Ref for the HTTP and HTTPS ports.
	gateway    model.Ref
	host, path string
	match      model.Match
}

// conflict explains to the loser of a route who owns it.
func (k routeKey) conflict(loser, winner model.Owner) string {
	owner := olderOwner(loser, winner) + precedenceOf(loser, winner)
	if loser == winner {
		owner = "an earlier path of this " + winner.Kind
	}
	return fmt.Sprintf("host %q path %q (%s) is already routed by %s", k.host, k.path, k.match, owner)
}

// compare orders routes by gateway, host, path and match. Unlike cmp.Or,
// it compares paths only on a tie of hosts: Build sorts every route.
func (k routeKey) compare(o routeKey) int {
	if k.gateway != o.gateway {
		return compareRefs(k.gateway, o.gateway)
	}
	if c := strings.Compare(k.host, o.host); c != 0 {
		return c
	}
	if c := strings.Compare(k.path, o.path); c != 0 {
		return c
	}
	return strings.Compare(string(k.match), string(o.match))
}

// servers groups the winning routes (locs, whose routes are keys) into
// servers, in model order. It sorts the routes' indexes, which are small
// to move, then puts keys and locs in that order in place; every server's
// Locations share the array of locs.
func servers(keys []routeKey, locs []model.Location) []model.Server {
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int { return keys[i].compare(keys[j]) })
	permute(order, keys, locs)
	var out []model.Server
	start := 0
	for i, key := range keys {
		if i+1 == len(keys) || keys[i+1].host != key.host || keys[i+1].gateway != key.gateway {
			// A full slice expression: appending to one server's
			// Locations must never overwrite the next server's.
			out = append(out, model.Server{Gateway: key.gateway, Host: key.host, Locations: locs[start : i+1 : i+1]})
			start = i + 1
		}
	}
	return out
}

// permute moves the order[i]-th key and Location to index i, following
// each cycle of the permutation so that every Location, hundreds of bytes,
// moves once. It leaves order[i] == i.
func permute(order []int, keys []routeKey, locs []model.Location) {
	for start := range order {
		if order[start] == start {
			continue
		}
		key, loc := keys[start], locs[start]
		i := start
		for order[i] != start {
			next := order[i]
			keys[i], locs[i], order[i] = keys[next], locs[next], i
			i = next
		}
		keys[i], locs[i], order[i] = key, loc, i
	}
}
