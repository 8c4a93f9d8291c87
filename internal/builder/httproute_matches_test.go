package builder

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// candidateString writes a candidate as "GET h:name=value q:name=value -> backend".
func candidateString(c model.Candidate) string {
	var parts []string
	if c.Method != "" {
		parts = append(parts, c.Method)
	}
	for _, h := range c.Headers {
		parts = append(parts, "h:"+h.Name+"="+h.Value)
	}
	for _, q := range c.Query {
		parts = append(parts, "q:"+q.Name+"="+q.Value)
	}
	return strings.Join(append(parts, "->", c.Backend), " ")
}

// routesOf writes the locations of host: path (match) to its backend or
// to its candidates in order.
func routesOf(cfg model.Config, host string) map[string][]string {
	out := map[string][]string{}
	for _, s := range cfg.Servers {
		if s.Host != host {
			continue
		}
		for _, l := range s.Locations {
			key := fmt.Sprintf("%s %s", l.Match, l.Path)
			if len(l.Candidates) == 0 {
				out[key] = []string{"-> " + l.Backend}
			}
			for _, c := range l.Candidates {
				out[key] = append(out[key], candidateString(c))
			}
		}
	}
	return out
}

// TestHTTPRouteMatchPrecedence builds HTTPRoutes of a.test and checks
// each location's candidates in the Gateway API's order: method, most
// headers, most query parameters, oldest route, namespace/name, rule
// order; the shorter prefixes a conditional path falls back to; and what
// is refused.
func TestHTTPRouteMatchPrecedence(t *testing.T) {
	route := func(ns, name, created, rules string) string {
		return fmt.Sprintf(`---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: %s, namespace: %s, creationTimestamp: "%s"}
spec:
  parentRefs: [{name: gw, namespace: web}]
  hostnames: [a.test]
  rules:
%s
`, name, ns, created, rules)
	}
	const old, young = "2024-01-01T00:00:00Z", "2024-06-01T00:00:00Z"
	for name, tc := range map[string]struct {
		manifests string
		want      map[string][]string
		problems  []string // reason and field
		dropped   int      // rules
	}{
		"headers: the most conditions first, then rule order (HTTPRouteHeaderMatching)": {
			manifests: route("web", "r", old, `
  - matches: [{headers: [{name: version, value: one}]}]
    backendRefs: [{name: echo, port: 1}]
  - matches: [{headers: [{name: version, value: two}]}]
    backendRefs: [{name: echo, port: 2}]
  - matches: [{headers: [{name: version, value: two}, {name: color, value: orange}]}]
    backendRefs: [{name: echo, port: 3}]
  - matches: [{headers: [{name: color, value: blue}]}, {headers: [{name: color, value: green}]}]
    backendRefs: [{name: echo, port: 4}]`),
			want: map[string][]string{"Prefix /": {
				"h:color=orange h:version=two -> web_echo_3",
				"h:version=one -> web_echo_1",
				"h:version=two -> web_echo_2",
				"h:color=blue -> web_echo_4",
				"h:color=green -> web_echo_4",
			}},
		},
		"method before headers before query parameters; a longer path before all (HTTPRouteMethodMatching)": {
			manifests: route("web", "r", old, `
  - matches: [{path: {type: PathPrefix, value: /path5}}]
    backendRefs: [{name: echo, port: 1}]
  - matches: [{queryParams: [{name: animal, value: hydra}, {name: color, value: blue}]}]
    backendRefs: [{name: echo, port: 2}]
  - matches: [{headers: [{name: version, value: four}]}]
    backendRefs: [{name: echo, port: 3}]
  - matches: [{method: PATCH}]
    backendRefs: [{name: echo, port: 4}]`),
			want: map[string][]string{
				"Prefix /path5": {"-> web_echo_1"},
				"Prefix /": {
					"PATCH -> web_echo_4",
					"h:version=four -> web_echo_3",
					"q:animal=hydra q:color=blue -> web_echo_2",
				},
			},
		},
		"across routes: the oldest, then namespace/name, then rule order": {
			manifests: route("web", "young", young, `
  - matches: [{headers: [{name: x, value: "1"}]}]
    backendRefs: [{name: echo, port: 1}]`) + route("web", "old-b", old, `
  - matches: [{headers: [{name: "y", value: "1"}]}]
    backendRefs: [{name: echo, port: 2}]
  - matches: [{headers: [{name: "y", value: "2"}]}]
    backendRefs: [{name: echo, port: 3}]`) + route("web", "old-a", old, `
  - matches: [{headers: [{name: "z", value: "1"}]}]
    backendRefs: [{name: echo, port: 4}]
  - matches: [{path: {value: /}}]
    backendRefs: [{name: echo, port: 5}]`),
			want: map[string][]string{"Prefix /": {
				"h:z=1 -> web_echo_4",
				"h:y=1 -> web_echo_2",
				"h:y=2 -> web_echo_3",
				"h:x=1 -> web_echo_1",
				"-> web_echo_5",
			}},
		},
		"a conditional path falls back to the shorter prefixes that hold it (HTTPRouteMatchingAcrossRoutes)": {
			manifests: route("web", "part1", old, `
  - matches: [{path: {value: /}}, {headers: [{name: version, value: one}]}]
    backendRefs: [{name: echo, port: 1}]`) + route("web", "part2", young, `
  - matches: [{path: {type: Exact, value: /v2/x/}}]
    backendRefs: [{name: echo, port: 3}]
  - matches: [{path: {value: /v2}, method: GET}, {headers: [{name: version, value: two}]}]
    backendRefs: [{name: echo, port: 2}]
  - matches: [{path: {type: Exact, value: /v2/x/}, method: POST}]
    backendRefs: [{name: echo, port: 4}]`),
			want: map[string][]string{
				// "/" with "version: one" and the unconditional "/" are
				// one match each; the header makes the first.
				"Prefix /":   {"h:version=one -> web_echo_1", "h:version=two -> web_echo_2", "-> web_echo_1"},
				"Prefix /v2": {"GET -> web_echo_2", "h:version=one -> web_echo_1", "h:version=two -> web_echo_2", "-> web_echo_1"},
				// The unconditional Exact match ends the list.
				"Exact /v2/x/": {"POST -> web_echo_4", "-> web_echo_3"},
			},
		},
		"an Ingress's path is its own: no HTTPRoute match on it, no fallback to it": {
			manifests: `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: legacy, namespace: web, creationTimestamp: "2025-01-01T00:00:00Z"}
spec:
  ingressClassName: archway
  rules:
  - host: a.test
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: echo, port: {number: 6}}}}
` + route("web", "r", old, `
  - matches: [{headers: [{name: x, value: "1"}]}, {path: {value: /api}, headers: [{name: x, value: "1"}]}]
    backendRefs: [{name: echo, port: 1}]`),
			want: map[string][]string{
				"Prefix /":    {"-> web_echo_6"},
				"Prefix /api": {"h:x=1 -> web_echo_1"},
			},
			problems: []string{"PathConflict spec.rules[0]"},
		},
		"another namespace's matches on the path lose, whatever their conditions": {
			manifests: route("web", "r", young, `
  - matches: [{headers: [{name: x, value: "1"}]}]
    backendRefs: [{name: echo, port: 1}]`) + route("team", "r", old, `
  - matches: [{path: {value: /team}}]
    backendRefs: [{name: echo, port: 1}]
  - matches: [{method: GET}]
    backendRefs: [{name: echo, port: 1}]`),
			want: map[string][]string{
				"Prefix /team": {"-> team_echo_1"},
				"Prefix /":     {"GET -> team_echo_1"},
			},
			problems: []string{"PathConflict spec.rules[0]"},
		},
		"the same conditions twice: the later is shadowed, reported across routes": {
			manifests: route("web", "a", old, `
  - matches: [{headers: [{name: X, value: "1"}, {name: x, value: "2"}], queryParams: [{name: q, value: a}, {name: q, value: b}]}]
    backendRefs: [{name: echo, port: 1}]
  - matches: [{headers: [{name: X, value: "1"}], queryParams: [{name: q, value: a}]}]
    backendRefs: [{name: echo, port: 2}]`) + route("web", "b", young, `
  - matches: [{headers: [{name: X, value: "1"}], queryParams: [{name: q, value: a}]}]
    backendRefs: [{name: echo, port: 3}]`),
			// Of conditions on one header or parameter, the first counts.
			want:     map[string][]string{"Prefix /": {"h:x=1 q:q=a -> web_echo_1"}},
			problems: []string{"PathConflict spec.rules[0]"},
		},
		"a match with filters ends the chain of conditional matches, on its path and as a fallback": {
			manifests: route("web", "r", old, `
  - matches: [{headers: [{name: x, value: "1"}]}, {path: {value: /api}, headers: [{name: x, value: "2"}]}]
    backendRefs: [{name: echo, port: 1}]
  - filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x-from, value: archway}]}}]
    backendRefs: [{name: echo, port: 2}]`),
			want: map[string][]string{
				"Prefix /":    {"h:x=1 -> web_echo_1"},
				"Prefix /api": {"h:x=2 -> web_echo_1", "h:x=1 -> web_echo_1"},
			},
			problems: []string{"UnsupportedFeature spec.rules[1]", "UnsupportedFeature spec.rules[1]"}, // on / and /api
		},
		"regular expressions and names nginx drops are refused, with their rule": {
			manifests: route("web", "r", old, `
  - matches: [{method: GET}, {headers: [{name: x, type: RegularExpression, value: "^a"}]}]
    backendRefs: [{name: echo, port: 1}]
  - matches: [{queryParams: [{name: x, type: RegularExpression, value: "^a"}]}]
    backendRefs: [{name: echo, port: 1}]
  - matches: [{headers: [{name: x_y, value: "1"}]}]
    backendRefs: [{name: echo, port: 1}]
  - matches: [{path: {type: RegularExpression, value: "/a.*"}}]
    backendRefs: [{name: echo, port: 1}]
  - matches: [{method: PUT}]
    backendRefs: [{name: echo, port: 2}]`),
			want: map[string][]string{"Prefix /": {"PUT -> web_echo_2"}},
			problems: []string{
				"UnsupportedFeature spec.rules[0].matches[1].headers[0].type",
				"UnsupportedFeature spec.rules[1].matches[0].queryParams[0].type",
				"UnsupportedFeature spec.rules[2].matches[0]",
				"UnsupportedFeature spec.rules[3].matches[0].path.type",
			},
			dropped: 4,
		},
	} {
		t.Run(name, func(t *testing.T) {
			snap := load(t, "classes.yaml", "gateway-matches.yaml")
			snap.AddManifests("routes.yaml", []byte(tc.manifests))
			require.Empty(t, snap.LoadErrors)
			cfg, report := Build(snap, *gatewayOpts())
			require.Equal(t, tc.want, routesOf(cfg, "a.test"))
			var problems []string
			for _, p := range report.Problems {
				problems = append(problems, string(p.Reason)+" "+p.Field)
			}
			require.Equal(t, tc.problems, problems, "%v", report.Problems)
			dropped := 0
			for _, r := range report.Gateway.Routes {
				dropped += len(r.Dropped)
			}
			require.Equal(t, tc.dropped, dropped, "rules dropped (PartiallyInvalid)")
			for _, s := range cfg.Servers {
				for _, l := range s.Locations {
					for _, c := range l.Candidates {
						require.NoError(t, c.Validate())
					}
				}
			}
		})
	}
}

// TestHTTPRouteMatchLimit: a location takes at most model.MaxCandidates
// candidates; the rest are reported.
func TestHTTPRouteMatchLimit(t *testing.T) {
	var rules strings.Builder
	for i := range model.MaxCandidates/4 + 1 {
		fmt.Fprintf(&rules, "  - matches: [{method: GET, headers: [{name: x, value: \"%d\"}]}, {method: PUT, headers: [{name: x, value: \"%d\"}]},"+
			" {method: POST, headers: [{name: x, value: \"%d\"}]}, {method: PATCH, headers: [{name: x, value: \"%d\"}]}]\n"+
			"    backendRefs: [{name: echo, port: 1}]\n", i, i, i, i)
	}
	snap := load(t, "classes.yaml", "gateway-matches.yaml")
	snap.AddManifests("routes.yaml", []byte(`apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: web}
spec:
  parentRefs: [{name: gw}]
  rules:
`+rules.String()))
	require.Empty(t, snap.LoadErrors)
	cfg, report := Build(snap, *gatewayOpts())
	require.Len(t, cfg.Servers[0].Locations[0].Candidates, model.MaxCandidates)
	require.Len(t, report.Problems, 1)
	require.Equal(t, reason.LimitExceeded, report.Problems[0].Reason)
	require.Equal(t, fmt.Sprintf("spec.rules[%d]", model.MaxCandidates/4), report.Problems[0].Field)
}

// TestAnswer503Candidates: a host whose client certificates cannot be
// checked answers 503 on its conditional paths too.
func TestAnswer503Candidates(t *testing.T) {
	s := model.Server{Host: "a.test", Locations: []model.Location{{Path: "/", Match: model.MatchPrefix,
		Candidates: []model.Candidate{{Method: "GET", Backend: "web_echo_1"}}}}}
	answer503(&s, model.Owner{})
	require.Equal(t, model.Location{Path: "/", Match: model.MatchPrefix}, s.Locations[0])
}
