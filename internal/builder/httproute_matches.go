package builder

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// HTTPRoute matches and their precedence. nginx's locations match paths
// only; a path with method, header or query conditions becomes one
// location whose model.Candidates the balancer's Lua tries in order
// (render/candidates.go). The order is the Gateway API's, across every
// HTTPRoute of the host:
//
//  1. the path: Exact, then the longest PathPrefix (nginx's location
//     choice, and the candidates a location borrows from the shorter
//     prefixes that hold its path, for the requests its own conditions
//     do not take);
//  2. a method condition;
//  3. the most header conditions;
//  4. the most query parameter conditions;
//  5. the oldest route (creationTimestamp), then namespace/name;
//  6. the first rule of the route.
//
// A location's candidates come from one namespace, that of the oldest
// route with a match on it: another namespace's matches on the same host,
// path and type lose (PathConflict), as its unconditional ones always
// did, so that no namespace takes a share of another's path by adding a
// condition. An Ingress's path (host, path, type) is the Ingress's
// entirely: every HTTPRoute match on it loses, and the requests that a
// conditional HTTPRoute path does not take never fall back to an
// Ingress's shorter path (they get 404).

// httpMatch is one match of an HTTPRoute rule on one host: a candidate of
// the location of its key.
type httpMatch struct {
	key   routeKey
	owner model.Owner
	field string // the rule's, for problems
	// rank is the route's place, oldest first; rule the rule's index.
	rank, rule int
	// cand has no Backend when the rule has no usable backendRef (500).
	cand model.Candidate
	// filters change the policy of the location the match has alone
	// (unconditional); nil without filters.
	filters ruleFilters
}

// routeRule is a rule of an HTTPRoute, by index.
type routeRule struct {
	owner model.Owner
	rule  int
}

// before orders two matches of one location by precedence (2 to 6).
func (m *httpMatch) before(o *httpMatch) int {
	return cmp.Or(
		cmp.Compare(boolInt(o.cand.Method != ""), boolInt(m.cand.Method != "")),
		cmp.Compare(len(o.cand.Headers), len(m.cand.Headers)),
		cmp.Compare(len(o.cand.Query), len(m.cand.Query)),
		cmp.Compare(m.rank, o.rank),
		cmp.Compare(m.rule, o.rule))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// sameConditions reports whether two candidates take the same requests.
func sameConditions(a, b model.Candidate) bool {
	return a.Method == b.Method && slices.Equal(a.Headers, b.Headers) && slices.Equal(a.Query, b.Query)
}

// claimMatches gives each location (host, path, type) its matches, in
// precedence order, and then each location its route: the backend of its
// first candidate when that has no condition, else its candidates,
// followed by those of the shorter prefixes that hold its path.
func (b *build) claimMatches(matches []httpMatch, policy *model.Policy) {
	groups := map[routeKey][]*httpMatch{}
	var keys []routeKey
	for i := range matches {
		m := &matches[i]
		if _, ok := groups[m.key]; !ok {
			keys = append(keys, m.key)
		}
		groups[m.key] = append(groups[m.key], m)
	}
	lose := func(m *httpMatch, winner model.Owner) { // repeats are dropped: problems.sorted
		b.problems.add(KindHTTPRoute, m.owner.Ref, m.field, reason.PathConflict, m.key.conflict(m.owner, winner))
	}
	for _, key := range keys {
		group := groups[key]
		if i, taken := b.routes.find(key); taken { // an Ingress's
			for _, m := range group {
				lose(m, b.locs[i].Owner)
			}
			delete(groups, key)
			continue
		}
		first := group[0].owner // of the oldest route
		kept := group[:0]
		for _, m := range group {
			if m.owner.Namespace != first.Namespace {
				lose(m, first)
			} else {
				kept = append(kept, m)
			}
		}
		slices.SortStableFunc(kept, (*httpMatch).before)
		group = kept[:0]
		for _, m := range kept {
			if k := slices.IndexFunc(group, func(o *httpMatch) bool { return sameConditions(o.cand, m.cand) }); k >= 0 {
				if group[k].owner != m.owner {
					lose(m, group[k].owner)
				}
				continue // shadowed by an earlier match
			}
			group = append(group, m)
		}
		groups[key] = group
		b.route(first, key) // free: not an Ingress's, nor a regex
	}
	filtered := policyCopies[routeRule]{} // the locations of one rule share its policy
	for _, key := range keys {
		group, ok := groups[key]
		if !ok {
			continue
		}
		i, _ := b.routes.find(key)
		loc := &b.locs[i]
		b.sharePolicy(loc, policy)
		if !group[0].cand.Conditional() {
			loc.Backend, loc.Canaries, loc.Unresolved = group[0].cand.Backend, group[0].cand.Canaries, group[0].cand.Backend == ""
			if group[0].filters != nil {
				m := group[0]
				filtered.edit(loc, routeRule{m.owner, m.rule}, m.filters)
			}
			continue
		}
		chain := b.candidateChain(key, group, groups)
		for i, m := range chain {
			if i == model.MaxCandidates {
				b.problems.add(KindHTTPRoute, m.owner.Ref, m.field, reason.LimitExceeded, fmt.Sprintf(
					"host %q path %q (%s) has more than %d matches in order of precedence; the later ones are not served there",
					key.host, key.path, key.match, model.MaxCandidates))
				break
			}
			loc.Candidates = append(loc.Candidates, m.cand)
		}
	}
}

// candidateChain returns the matches a location whose first match has
// conditions tries in order: its own, then those of the shorter prefixes
// that hold its path, up to the first without conditions. It ends before
// an Ingress's path, and before a match with filters (reported), whose
// filters the location could not apply to that match's requests alone.
func (b *build) candidateChain(key routeKey, group []*httpMatch, groups map[routeKey][]*httpMatch) []*httpMatch {
	var chain []*httpMatch
	more := func(ms []*httpMatch) bool { // false where the chain ends
		for _, m := range ms {
			if m.filters != nil {
				b.problems.add(KindHTTPRoute, m.owner.Ref, m.field, reason.UnsupportedFeature, fmt.Sprintf(
					"the rule's filters cannot apply to the requests of host %q path %q (%s), whose matches have conditions: there they are not served (404)",
					key.host, key.path, key.match))
				return false
			}
			chain = append(chain, m)
			if !m.cand.Conditional() {
				return false
			}
		}
		return true
	}
	if !more(group) {
		return chain
	}
	for _, p := range holdingPrefixes(key) {
		held := routeKey{gateway: key.gateway, host: key.host, path: p, match: model.MatchPrefix}
		if _, taken := b.routes.find(held); taken && groups[held] == nil {
			break // an Ingress's path: never a fallback
		}
		if !more(groups[held]) {
			break
		}
	}
	return chain
}

// holdingPrefixes returns the Prefix paths, longest first, that hold
// every path the route key matches, other than its own.
func holdingPrefixes(key routeKey) []string {
	p := key.path
	var out []string
	if key.match == model.MatchExact {
		p = cmp.Or(strings.TrimSuffix(p, "/"), "/")
		out = append(out, p)
	}
	for p != "/" {
		p = cmp.Or(p[:strings.LastIndexByte(p, '/')], "/")
		out = append(out, p)
	}
	return out
}

// parsedMatch is one match of a rule: its path and its conditions.
type parsedMatch struct {
	path  string
	match model.Match
	cand  model.Candidate
}

// ruleMatches reads the matches of a rule, a PathPrefix "/" without
// conditions when it has none, and refuses the rule for the first match
// archway cannot serve; the rejection's field is relative to the rule.
func ruleMatches(ms []gatewayv1.HTTPRouteMatch) ([]parsedMatch, *rejection) {
	if len(ms) == 0 {
		ms = []gatewayv1.HTTPRouteMatch{{}}
	}
	out := make([]parsedMatch, len(ms))
	for j, m := range ms {
		path, match, cand, rej := routeMatch(m)
		if rej != nil {
			return nil, prefixed(fmt.Sprintf(".matches[%d]", j), rej)
		}
		out[j] = parsedMatch{path, match, cand}
	}
	return out, nil
}

// routeMatch returns the route of a match's path and its conditions,
// the candidate's but for the backends: header names in lower case, and
// conditions sorted by name. Of conditions on the same header (in any
// case) or query parameter, the first counts.
func routeMatch(m gatewayv1.HTTPRouteMatch) (string, model.Match, model.Candidate, *rejection) {
	var cand model.Candidate
	unsupported := func(field, what string) (string, model.Match, model.Candidate, *rejection) {
		return "", "", cand, &rejection{field: field, reason: reason.UnsupportedFeature,
			message: what + " is not supported; the rule is not served"}
	}
	for i, h := range m.Headers {
		if deref(h.Type) == gatewayv1.HeaderMatchRegularExpression {
			return unsupported(fmt.Sprintf(".headers[%d].type", i), "header match type RegularExpression")
		}
		name := strings.ToLower(string(h.Name))
		if !slices.ContainsFunc(cand.Headers, func(c model.Condition) bool { return c.Name == name }) {
			cand.Headers = append(cand.Headers, model.Condition{Name: name, Value: h.Value})
		}
	}
	for i, q := range m.QueryParams {
		if deref(q.Type) == gatewayv1.QueryParamMatchRegularExpression {
			return unsupported(fmt.Sprintf(".queryParams[%d].type", i), "query parameter match type RegularExpression")
		}
		if !slices.ContainsFunc(cand.Query, func(c model.Condition) bool { return c.Name == string(q.Name) }) {
			cand.Query = append(cand.Query, model.Condition{Name: string(q.Name), Value: q.Value})
		}
	}
	// In one order, so that equal conditions compare equal.
	byName := func(a, b model.Condition) int { return strings.Compare(a.Name, b.Name) }
	slices.SortFunc(cand.Headers, byName)
	slices.SortFunc(cand.Query, byName)
	cand.Method = string(deref(m.Method))
	if err := cand.Validate(); err != nil {
		return unsupported("", err.Error()+": such a condition")
	}
	path, kind := "/", gatewayv1.PathMatchPathPrefix
	if m.Path != nil {
		path, kind = cmp.Or(deref(m.Path.Value), "/"), cmp.Or(deref(m.Path.Type), kind)
	}
	pathType := networkingv1.PathTypePrefix
	switch kind {
	case gatewayv1.PathMatchExact:
		pathType = networkingv1.PathTypeExact
	case gatewayv1.PathMatchPathPrefix:
	default:
		return unsupported(".path.type", "path type "+string(kind))
	}
	path, match, rej := parsePath(&pathType, path, false)
	if rej != nil {
		rej.field = ".path.value"
	}
	return path, match, cand, rej
}
