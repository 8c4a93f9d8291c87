package render

import (
	"cmp"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/archway-ingress/archway/internal/model"
)

// locationViews maps the Ingress path rules of one server onto nginx
// locations:
//
//	Exact "/p"   location = "/p"
//	Prefix "/p"  location = "/p" (unless an Exact "/p" owns it) and
//	             location "/p/", so /p, /p/ and /p/x match but /px does not
//	Prefix "/"   location "/"
//	Regex "r"    location ~* "^r"
//
// nginx tries exact locations first, then the longest prefix, which is the
// Ingress spec's order, and compares paths case-sensitively. A server
// without Prefix "/" gets a fallback location "/" with the default route.
//
// Regex paths (use-regex) come after every Exact and Prefix path except
// "/": when a server has any, its other prefix locations get "^~", which
// stops nginx from trying regexes once the longest prefix matched. nginx
// tries regexes in the order they appear: the longest first, then in byte
// order. A request that no Exact, Prefix or regex path matches goes to
// "/". So a regex never changes how another Ingress's Exact or Prefix
// paths match, except "/": package builder takes regex paths only from the
// namespace that owns the host, so that one namespace's regex never takes
// another's "/".
//
// host is the server's, for the access log.
func (s *locationSet) locationViews(host string, locs []model.Location, routes map[string]route, fallback route, pol *policies) ([]locationView, error) {
	s.startServer(host, 2*len(locs)+1) // at most two per Prefix path, and the fallback
	exact := s.exact
	prefixModifier := ""
	if s.snippetRegex {
		prefixModifier = "^~ "
	}
	for i := range locs {
		switch l := &locs[i]; l.Match {
		case model.MatchExact:
			exact[l.Path] = true
		case model.MatchRegex:
			prefixModifier = "^~ "
		}
	}
	prefixes := s.prefixes // by path
	var regexes, slashed []routed
	for i := range locs {
		l := &locs[i] // by pointer: a model.Location is large
		if !strings.HasPrefix(l.Path, "/") {
			return nil, fmt.Errorf("path %q does not start with /", l.Path)
		}
		if l.Match != model.MatchRegex && model.Internal(l.Path) {
			return nil, fmt.Errorf("path %q is reserved for archway's own locations", l.Path)
		}
		none := http.StatusServiceUnavailable
		if l.Unresolved {
			none = http.StatusInternalServerError
		}
		r, err := resolve(routes, l.Backend, none)
		switch {
		case err != nil:
		case len(l.Candidates) > 0:
			r, err = candidatesRouteOf(host, l, routes) // see candidates.go
		case len(l.Canaries) > 0:
			r.backend, err = quote(canaryRouteName(host, *l)) // see canary.go
		}
		if err == nil {
			r, err = pol.locationPolicy(l, r)
		}
		if err != nil {
			return nil, fmt.Errorf("path %q: %w", l.Path, err)
		}
		switch {
		case l.Match == model.MatchExact:
			s.add("= ", l.Path, "", r, l)
			if len(l.Path) > 1 && strings.HasSuffix(l.Path, "/") {
				slashed = append(slashed, routed{l, r})
			}
		case l.Match == model.MatchRegex:
			regexes = append(regexes, routed{l, r})
		case l.Match != model.MatchPrefix:
			return nil, fmt.Errorf("path %q: unknown match %q", l.Path, l.Match)
		case l.Path == "/":
			prefixes["/"] = routed{l, r}
			s.add("", "/", "", r, l)
		case strings.HasSuffix(l.Path, "/"):
			return nil, fmt.Errorf("prefix path %q ends in /", l.Path)
		default:
			prefixes[l.Path] = routed{l, r}
			if !exact[l.Path] {
				s.add("= ", l.Path, "", r, l)
			}
			s.add(prefixModifier, l.Path, "/", r, l)
		}
	}
	slices.SortFunc(regexes, func(a, b routed) int {
		return cmp.Or(cmp.Compare(len(b.Path), len(a.Path)), cmp.Compare(a.Path, b.Path))
	})
	for _, re := range regexes {
		s.add(regexModifier, re.Path, "", re.route, re.Location)
	}
	s.prefixModifier = prefixModifier
	if _, ok := prefixes["/"]; !ok {
		r := fallback
		if pol.clientAuth != nil {
			// Plain HTTP must not reach the default backend through a
			// server that requires client certificates either.
			var err error
			if r, err = pol.locationPolicy(&rootPrefix, fallback); err != nil {
				return nil, fmt.Errorf("fallback: %w", err)
			}
		}
		prefixes["/"] = routed{&rootPrefix, r}
		s.add("", "/", "", r, nil)
	}
	// nginx answers "/p" with a 301 to "/p/" when a location "= /p/"
	// proxies, but the Ingress spec's Exact "/p/" does not match "/p":
	// "= /p" serves it as if the Exact path did not exist.
	for _, l := range slashed {
		path := strings.TrimSuffix(l.Path, "/")
		if _, ok := prefixes[path]; !ok && !exact[path] {
			other := unslashedRoute(path, prefixes, regexes)
			s.add("= ", path, "", other.route, other.Location)
		}
	}
	if s.err != nil {
		return nil, s.err
	}
	return s.views[s.start:len(s.views):len(s.views)], nil
}

// unslashedRoute returns what serves path when no Exact or Prefix path
// equals it, as nginx would choose: the longest Prefix path that holds
// it, unless that is "/", when the first regex that matches it comes
// first; prefixes holds "/", the server's or the fallback.
func unslashedRoute(path string, prefixes map[string]routed, regexes []routed) routed {
	for p := path[:strings.LastIndexByte(path, '/')]; p != ""; p = p[:strings.LastIndexByte(p, '/')] {
		if r, ok := prefixes[p]; ok {
			return r
		}
	}
	for _, re := range regexes {
		// CheckRegex accepted it: Go matches a path as PCRE does.
		if compiled, err := regexp.Compile("(?i)^" + re.Path); err == nil && compiled.MatchString(path) {
			return re
		}
	}
	return prefixes["/"]
}

// regexModifier matches a regex case-insensitively, as ingress-nginx does.
const regexModifier = "~* "

// routed is a model location with its route.
type routed struct {
	*model.Location
	route
}

// rootPrefix is the Prefix "/" of the fallback location of a server
// without one; nothing writes it.
var rootPrefix = model.Location{Path: "/", Match: model.MatchPrefix}

type locationKey struct {
	modifier string
	token    string // the quoted path
}

// locationSet builds the locations of one Render's servers, one server
// after another, into shared blocks, so that a server costs no allocations
// of its own. It refuses duplicate locations in a server (nginx would
// refuse the whole config) and keeps the first error.
type locationSet struct {
	q     *quoter
	views []locationView // the current block; the current server's from start
	start int
	// exact, seen and prefixes are the current server's Exact paths,
	// locations and Prefix paths.
	exact    map[string]bool
	seen     map[locationKey]bool
	prefixes map[string]routed
	host     string
	err      error
	// snippetRegex: the current server's snippet has regex locations, so
	// its prefix locations take prefixModifier "^~ " as with regex paths.
	snippetRegex   bool
	prefixModifier string
	// labels are the last access log labels and what they were made for:
	// a server's locations mostly share them.
	labels    logVarsView
	labelsFor labelsKey
	hasLabels bool
}

type labelsKey struct {
	owner   model.Owner
	service string
}

// startServer begins a server of at most n locations, all in one block.
func (s *locationSet) startServer(host string, n int) {
	if cap(s.views)-len(s.views) < n {
		s.views = make([]locationView, 0, nextBlock(cap(s.views), n, 64, 4096))
	}
	s.host, s.start, s.hasLabels = host, len(s.views), false
	// clear costs a map's capacity: a large server's maps are dropped.
	if s.seen == nil || len(s.seen) > 64 {
		s.exact, s.seen, s.prefixes = map[string]bool{}, map[locationKey]bool{}, map[string]routed{}
	}
	clear(s.exact)
	clear(s.seen)
	clear(s.prefixes)
}

// add adds the location of path+suffix for rule, the Ingress path that
// routes it (nil for requests no Ingress routes); a Prefix path's "/p/"
// comes as ("/p", "/"), which spares building the string.
func (s *locationSet) add(modifier, path, suffix string, r route, rule *model.Location) {
	var owner model.Owner
	rulePath := ""
	if rule != nil {
		owner, rulePath = rule.Owner, rule.Path
	}
	if s.err != nil {
		return
	}
	var token string
	var err error
	if modifier == regexModifier {
		token, err = regexToken(path, "")
	} else {
		token, err = s.q.join(path, suffix), s.q.err
	}
	if err != nil {
		s.err = fmt.Errorf("path %q: %w", path+suffix, err)
		return
	}
	key := locationKey{modifier, token}
	if modifier == "^~ " {
		key.modifier = "" // "^~ /p/" and "/p/" are the same location
	}
	if s.seen[key] {
		s.err = fmt.Errorf("duplicate location %q", path+suffix)
		return
	}
	s.seen[key] = true
	if k := (labelsKey{owner, r.service}); !s.hasLabels || s.labelsFor != k {
		if s.labels = logVars(s.q, s.host, owner, r.service); s.q.err != nil {
			s.err = fmt.Errorf("path %q: %w", path+suffix, s.q.err)
			return
		}
		s.labelsFor, s.hasLabels = k, true
	}
	pass := "proxy_pass"
	if r.policy != nil && r.policy.Module == "grpc" {
		pass = "grpc_pass"
	}
	s.views = append(s.views, locationView{Modifier: modifier, Path: token, PassDirective: pass, ProxyPass: r.proxyPass,
		Backend: r.backend, Status: r.status, Log: s.labels, MetricsPath: s.q.quote(metricsPath(rulePath)), Policy: r.policy})
}
