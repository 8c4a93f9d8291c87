package render

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/archway-ingress/archway/internal/model"
)

// A Location with canaries sets $archway_backend to its canary route
// instead of its backend: a member of the endpoints payload named
// "canary.<hash of host, match and path>" (no "_", so never a backend's
// name) whose value names the main backend and lists the canaries in
// order. The balancer picks one of them per request (see model.Canary), so
// weights and rules change with no reload; only adding or removing a
// Location's first canary changes nginx.conf.
//
//	{"canary.0123456789abcdef": {"main": "web_app_80", "canaries": [
//	  {"backend": "web_beta_80", "weight": 30, "weight_total": 100,
//	   "header": "X-Canary", "header_value": "beta",
//	   "header_pattern": "^v[0-9]+$", "cookie": "canary"},
//	  {"unresolved": true, "weight": 10, "weight_total": 100}]}}
//
// An unresolved canary stands for an HTTPRoute backendRef that cannot be
// used: the requests its weight takes answer 500. Those a "strict" one
// takes answer 503 while its backend has no endpoints (HTTPRoutes too).

// canaryRouteName returns the name of a Location's canary route, or of
// its candidates (candidates.go).
func canaryRouteName(host string, l model.Location) string {
	kind := "canary."
	if len(l.Candidates) > 0 {
		kind = "match."
	}
	sum := sha256.Sum256([]byte(host + "\x00" + string(l.Match) + "\x00" + l.Path))
	return kind + hex.EncodeToString(sum[:8])
}

type canaryRoute struct {
	Main     string        `json:"main"`
	Canaries []canaryEntry `json:"canaries"`
}

type canaryEntry struct {
	// Backend is empty when Unresolved: its share answers 500.
	Backend    string `json:"backend,omitempty"`
	Unresolved bool   `json:"unresolved,omitempty"`
	// Strict: the share of a backend without endpoints answers 503.
	Strict        bool   `json:"strict,omitempty"`
	Weight        int    `json:"weight"`
	WeightTotal   int    `json:"weight_total"`
	Header        string `json:"header,omitempty"`
	HeaderValue   string `json:"header_value,omitempty"`
	HeaderPattern string `json:"header_pattern,omitempty"`
	Cookie        string `json:"cookie,omitempty"`
	// LegacyAffinity, as model.Canary's.
	LegacyAffinity bool `json:"legacy_affinity,omitempty"`
}

// canaryEntries returns the payload members of the canary routes and the
// candidates (candidates.go) of cfg, sorted by name. It refuses canaries
// that Validate refuses, that name an unknown backend, or that belong to
// a Location without a backend.
func canaryEntries(cfg model.Config) (Endpoints, error) {
	var known map[string]bool // made for the first canary: most configs have none
	var out Endpoints
	for _, s := range cfg.Servers {
		for _, l := range s.Locations {
			if len(l.Canaries) == 0 && len(l.Candidates) == 0 {
				continue
			}
			if known == nil {
				known = make(map[string]bool, len(cfg.Backends))
				for _, b := range cfg.Backends {
					known[b.Name] = true
				}
			}
			var data []byte
			var err error
			if len(l.Candidates) > 0 {
				data, err = candidatesEntry(l, known)
			} else if err = checkCanaries(l.Backend, l.Canaries, known); err == nil {
				data, err = json.Marshal(newCanaryRoute(l.Backend, l.Canaries))
			}
			if err != nil {
				return nil, fmt.Errorf("server %q path %q: %w", s.Host, l.Path, err)
			}
			out = append(out, BackendEndpoints{Name: canaryRouteName(s.Host, l), JSON: data})
		}
	}
	// Servers and their Locations are sorted, hashes are not.
	slices.SortFunc(out, func(a, b BackendEndpoints) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// newCanaryRoute returns the canary route of main and its canaries.
func newCanaryRoute(main string, canaries []model.Canary) canaryRoute {
	route := canaryRoute{Main: main, Canaries: make([]canaryEntry, len(canaries))}
	for i, c := range canaries {
		route.Canaries[i] = canaryEntry{Backend: c.Backend, Unresolved: c.Unresolved, Strict: c.Strict, Weight: c.Weight, WeightTotal: c.WeightTotal,
			Header: c.Header, HeaderValue: c.HeaderValue, HeaderPattern: c.HeaderPattern, Cookie: c.Cookie,
			LegacyAffinity: c.LegacyAffinity}
	}
	return route
}

func checkCanaries(main string, canaries []model.Canary, known map[string]bool) error {
	if !known[main] {
		return fmt.Errorf("canaries of unknown backend %q", main)
	}
	for _, c := range canaries {
		if err := c.Validate(); err != nil {
			return err
		}
		if !c.Unresolved && !known[c.Backend] {
			return fmt.Errorf("canary of unknown backend %q", c.Backend)
		}
	}
	return nil
}
