package render

import (
	"fmt"
	"net/http"
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
//
// nginx tries exact locations first, then the longest prefix, which is the
// Ingress spec's order, and compares paths case-sensitively. A server
// without Prefix "/" gets a fallback location "/" with the default route.
func locationViews(locs []model.Location, routes map[string]route, fallback route) ([]locationView, error) {
	exact := make(map[string]bool)
	for _, l := range locs {
		if l.Match == model.MatchExact {
			exact[l.Path] = true
		}
	}
	set := locationSet{seen: make(map[locationKey]bool, 2*len(locs)+1)}
	root := false
	for _, l := range locs {
		if !strings.HasPrefix(l.Path, "/") {
			return nil, fmt.Errorf("path %q does not start with /", l.Path)
		}
		r, err := resolve(routes, l.Backend, http.StatusServiceUnavailable)
		if err != nil {
			return nil, fmt.Errorf("path %q: %w", l.Path, err)
		}
		switch {
		case l.Match == model.MatchExact:
			set.add(true, l.Path, r)
		case l.Match != model.MatchPrefix:
			return nil, fmt.Errorf("path %q: unknown match %q", l.Path, l.Match)
		case l.Path == "/":
			root = true
			set.add(false, "/", r)
		case strings.HasSuffix(l.Path, "/"):
			return nil, fmt.Errorf("prefix path %q ends in /", l.Path)
		default:
			if !exact[l.Path] {
				set.add(true, l.Path, r)
			}
			set.add(false, l.Path+"/", r)
		}
	}
	if !root {
		set.add(false, "/", fallback)
	}
	return set.views, set.err
}

type locationKey struct {
	exact bool
	path  string
}

// locationSet collects locations, refusing duplicates (nginx would refuse
// the whole config) and keeping the first error.
type locationSet struct {
	views []locationView
	seen  map[locationKey]bool
	err   error
}

func (s *locationSet) add(exact bool, path string, r route) {
	if s.err != nil {
		return
	}
	key := locationKey{exact, path}
	if s.seen[key] {
		s.err = fmt.Errorf("duplicate location %q", path)
		return
	}
	s.seen[key] = true
	quoted, err := quote(path)
	if err != nil {
		s.err = fmt.Errorf("path %q: %w", path, err)
		return
	}
	s.views = append(s.views, locationView{Exact: exact, Path: quoted, ProxyPass: r.proxyPass, Status: r.status})
}
