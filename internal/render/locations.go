package render

import (
	"cmp"
	"fmt"
	"net/http"
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
// paths match.
//
// host is the server's, for the access log.
func locationViews(host string, locs []model.Location, routes map[string]route, fallback route, pol *policies) ([]locationView, error) {
	exact := make(map[string]bool)
	prefixModifier := ""
	for _, l := range locs {
		switch l.Match {
		case model.MatchExact:
			exact[l.Path] = true
		case model.MatchRegex:
			prefixModifier = "^~ "
		}
	}
	n := 2*len(locs) + 1 // at most: two per Prefix path, and the fallback
	set := locationSet{host: host, seen: make(map[locationKey]bool, n), views: make([]locationView, 0, n)}
	root := false
	var regexes []routed
	for _, l := range locs {
		if !strings.HasPrefix(l.Path, "/") {
			return nil, fmt.Errorf("path %q does not start with /", l.Path)
		}
		r, err := resolve(routes, l.Backend, http.StatusServiceUnavailable)
		if err == nil && len(l.Canaries) > 0 {
			r.backend, err = quote(canaryRouteName(host, l)) // see canary.go
		}
		if err == nil {
			r, err = pol.locationPolicy(l, r)
		}
		if err != nil {
			return nil, fmt.Errorf("path %q: %w", l.Path, err)
		}
		switch {
		case l.Match == model.MatchExact:
			set.add("= ", l.Path, r, l.Ingress)
		case l.Match == model.MatchRegex:
			regexes = append(regexes, routed{l, r})
		case l.Match != model.MatchPrefix:
			return nil, fmt.Errorf("path %q: unknown match %q", l.Path, l.Match)
		case l.Path == "/":
			root = true
			set.add("", "/", r, l.Ingress)
		case strings.HasSuffix(l.Path, "/"):
			return nil, fmt.Errorf("prefix path %q ends in /", l.Path)
		default:
			if !exact[l.Path] {
				set.add("= ", l.Path, r, l.Ingress)
			}
			set.add(prefixModifier, l.Path+"/", r, l.Ingress)
		}
	}
	slices.SortFunc(regexes, func(a, b routed) int {
		return cmp.Or(cmp.Compare(len(b.Path), len(a.Path)), cmp.Compare(a.Path, b.Path))
	})
	for _, re := range regexes {
		set.add(regexModifier, re.Path, re.route, re.Ingress)
	}
	if !root {
		set.add("", "/", fallback, model.Ref{})
	}
	return set.views, set.err
}

// regexModifier matches a regex case-insensitively, as ingress-nginx does.
const regexModifier = "~* "

// routed is a model location with its route.
type routed struct {
	model.Location
	route
}

type locationKey struct {
	modifier string
	path     string
}

// locationSet collects locations, refusing duplicates (nginx would refuse
// the whole config) and keeping the first error.
type locationSet struct {
	host  string
	views []locationView
	seen  map[locationKey]bool
	err   error
	// labels are the last access log labels and what they were made for:
	// a server's locations mostly share them.
	labels    logVarsView
	labelsFor *labelsKey
}

type labelsKey struct {
	ingress model.Ref
	service string
}

func (s *locationSet) add(modifier, path string, r route, ingress model.Ref) {
	if s.err != nil {
		return
	}
	key := locationKey{modifier, path}
	if modifier == "^~ " {
		key.modifier = "" // "^~ /p/" and "/p/" are the same location
	}
	if s.seen[key] {
		s.err = fmt.Errorf("duplicate location %q", path)
		return
	}
	s.seen[key] = true
	token, err := quote(path)
	if modifier == regexModifier {
		token, err = regexToken(path)
	}
	if err != nil {
		s.err = fmt.Errorf("path %q: %w", path, err)
		return
	}
	if k := (labelsKey{ingress, r.service}); s.labelsFor == nil || *s.labelsFor != k {
		if s.labels, err = logVars(s.host, ingress, r); err != nil {
			s.err = fmt.Errorf("path %q: %w", path, err)
			return
		}
		s.labelsFor = &k
	}
	pass := "proxy_pass"
	if r.policy != nil && r.policy.Module == "grpc" {
		pass = "grpc_pass"
	}
	s.views = append(s.views, locationView{Modifier: modifier, Path: token, PassDirective: pass, ProxyPass: r.proxyPass,
		Backend: r.backend, Status: r.status, Log: s.labels, Policy: r.policy})
}
