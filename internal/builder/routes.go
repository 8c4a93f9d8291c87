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
// that the tables do not grow one by one; the first call sizes the map.
// A processor calls it before it adds routes.
func (b *build) reserve(routes, owners int) {
	if b.routes.servers == nil {
		b.routes = routeTable{servers: map[server]int32{}, byPath: map[pathKey]int32{}}
	}
	b.locs = slices.Grow(b.locs, routes)
	b.routes.keys, b.routes.prev = slices.Grow(b.routes.keys, routes), slices.Grow(b.routes.prev, routes)
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
	b.routes.add(key)
	b.locs = append(b.locs, model.Location{Path: key.path, Match: key.match, Owner: owner})
	return &b.locs[len(b.locs)-1], nil
}

// routeTable finds the winning route of a routeKey. It numbers the
// servers of routes; most servers have a few routes, found by a scan of
// their own list, and those of a server with more than smallServer are in
// a map keyed by the server's number, the path and the match. A map of
// every route by its whole routeKey was the most hashed and the largest
// of a Build at 10,000 Ingresses.
type routeTable struct {
	// keys holds the route of each Location of build.locs, in order.
	keys []routeKey
	// prev is, for each route, the one before it of its server, or -1.
	prev []int32
	// servers numbers the servers seen, list holds them by number.
	servers map[server]int32
	list    []tableServer
	// last is the server numbered last (the paths of a rule share it),
	// and lastID its number.
	last   server
	lastID int32
	// byPath holds the routes of the servers with more than smallServer.
	byPath map[pathKey]int32
}

// smallServer is the most routes that a server's list holds.
const smallServer = 8

// tableServer is a server's list of routes: its latest route (-1 for
// none), which prev links to the others, and their count.
type tableServer struct{ latest, count int32 }

// pathKey is a route by its server's number.
type pathKey struct {
	server int32
	match  model.Match
	path   string
}

// number returns the number of server s, giving it one if it is new.
func (t *routeTable) number(s server) int32 {
	if s != t.last || len(t.list) == 0 {
		id, ok := t.servers[s]
		if !ok {
			id = int32(len(t.list))
			t.servers[s] = id
			t.list = append(t.list, tableServer{latest: -1})
		}
		t.last, t.lastID = s, id
	}
	return t.lastID
}

// find returns the index of the route k, if any.
func (t *routeTable) find(k routeKey) (int, bool) {
	n := t.number(k.server())
	if s := t.list[n]; s.count <= smallServer {
		for i := s.latest; i >= 0; i = t.prev[i] {
			if t.keys[i].path == k.path && t.keys[i].match == k.match {
				return int(i), true
			}
		}
		return 0, false
	}
	i, ok := t.byPath[pathKey{n, k.match, k.path}]
	return int(i), ok
}

// add appends route k, which find does not find.
func (t *routeTable) add(k routeKey) {
	n := t.number(k.server())
	s, i := &t.list[n], int32(len(t.keys))
	t.keys, t.prev = append(t.keys, k), append(t.prev, s.latest)
	s.latest, s.count = i, s.count+1
	switch {
	case s.count == smallServer+1: // the list is full: its routes move to the map
		for ; i >= 0; i = t.prev[i] {
			t.byPath[pathKey{n, t.keys[i].match, t.keys[i].path}] = i
		}
	case s.count > smallServer+1:
		t.byPath[pathKey{n, k.match, k.path}] = i
	}
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
