package builder

import (
	"slices"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// The route table, shared by every kind of route: the first claim of a
// route (host, path, match) or of the default backend wins, so processors
// claim in precedence order (see processors.go); conflicts.go says how
// losers are told.

// reserve makes room for routes more routes and owners more owners, so
// that the tables do not grow one by one; the first call sizes the maps.
// A processor calls it before it adds routes.
func (b *build) reserve(routes, owners int) {
	if b.routes.byPath == nil {
		b.routes = routeTable{servers: map[server]int32{}, byPath: make(map[pathKey]int, routes)}
		b.tls.redirects = make(map[model.Owner]redirectFlags, owners)
	}
	b.locs, b.keys = slices.Grow(b.locs, routes), slices.Grow(b.keys, routes)
	b.served = slices.Grow(b.served, owners)
}

// serve records that owner contributes to the config.
func (b *build) serve(owner model.Owner) {
	if !b.serving(owner) {
		b.served = append(b.served, owner)
	}
}

// serving reports whether owner, the object being added, contributes to
// the config so far.
func (b *build) serving(owner model.Owner) bool {
	return len(b.served) > 0 && b.served[len(b.served)-1] == owner
}

// route gives key to owner and returns its new Location, which answers
// 503 until given a backend; or nil and why not: an older owner routes
// key, or key is a regex path of a host that owner's namespace does not
// own. The rejection's field is empty.
func (b *build) route(owner model.Owner, key routeKey) (*model.Location, *rejection) {
	if key.match == model.MatchRegex && b.owners[key.host] != owner.Namespace {
		return nil, &rejection{reason: reason.HostNotOwned, message: notOwned(key.host, "regex paths") +
			" (nginx tries them before Prefix \"/\"); the path is ignored"}
	}
	if winner, taken := b.routes.find(key); taken {
		return nil, &rejection{reason: reason.PathConflict, message: key.conflict(owner, b.locs[winner].Owner)}
	}
	b.serve(owner)
	b.routes.byPath[b.routes.pathKey(key)] = len(b.locs)
	b.keys = append(b.keys, key)
	b.locs = append(b.locs, model.Location{Path: key.path, Match: key.match, Owner: owner})
	return &b.locs[len(b.locs)-1], nil
}

// routeTable maps each route to the index of its winning Location. Its
// key is the route's path and match beside a number for its server (the
// paths of a rule share one), 40 bytes where a routeKey has 80: at 10,000
// Ingresses the map is the most hashed and the largest of a Build.
type routeTable struct {
	// servers numbers the servers of the routes seen, in any order.
	servers map[server]int32
	byPath  map[pathKey]int
	// last is the server numbered last, and lastID its number.
	last   server
	lastID int32
}

// pathKey is a route by its server's number in routeTable.servers.
type pathKey struct {
	server int32
	match  model.Match
	path   string
}

// pathKey returns the table's key of route k, numbering k's server if
// it is new.
func (t *routeTable) pathKey(k routeKey) pathKey {
	if s := k.server(); s != t.last || len(t.servers) == 0 {
		id, ok := t.servers[s]
		if !ok {
			id = int32(len(t.servers))
			t.servers[s] = id
		}
		t.last, t.lastID = s, id
	}
	return pathKey{server: t.lastID, match: k.match, path: k.path}
}

// find returns the index of the Location that routes k, if any.
func (t *routeTable) find(k routeKey) (int, bool) {
	i, ok := t.byPath[t.pathKey(k)]
	return i, ok
}

// defaultTaken says why owner cannot have the default backend: an older
// owner has it. It returns nil when the default backend is free.
func (b *build) defaultTaken(owner model.Owner) *rejection {
	if b.defaultOwner == nil {
		return nil
	}
	return &rejection{reason: reason.DefaultBackendConflict,
		message: "the default backend of " + olderOwner(owner, *b.defaultOwner) + " is used" + precedenceOf(owner, *b.defaultOwner)}
}

// setDefaultBackend gives the default backend to owner; an empty backend
// answers 503.
func (b *build) setDefaultBackend(owner model.Owner, backend string) {
	b.defaultOwner = &owner
	b.cfg.DefaultBackend, b.defaultAsked = backend, true
	b.serve(owner)
}
