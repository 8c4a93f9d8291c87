package annotations

import "github.com/archway-ingress/archway/internal/grammar"

// Canary holds the canary-* values of one Ingress. They mean something
// only on a canary Ingress (Enabled); on any other Ingress they are
// ignored, as in ingress-nginx. See model.Canary for how a request picks.
type Canary struct {
	// Enabled makes the Ingress a canary: its paths serve no traffic of
	// their own, and become alternative backends of the same paths of
	// another Ingress.
	Enabled bool
	// Weight is the share, out of WeightTotal, of requests that no header
	// or cookie rule decided and that go to the canary.
	Weight, WeightTotal int
	// Header names the request header that decides: "always" sends the
	// request to the canary, "never" to the main backend; with
	// HeaderValue (exact) or HeaderPattern (a regex), a match sends it to
	// the canary and anything else falls through to Cookie and Weight.
	Header, HeaderValue, HeaderPattern string
	// Cookie names the cookie that decides: "always" or "never".
	Cookie string
	// LegacyAffinity: a client whose affinity cookie names an endpoint
	// of the canary is not kept on it (affinity-canary-behavior legacy).
	LegacyAffinity bool
}

func canarySpecs() []Spec {
	const g = "Canary"
	c := func(p *Parsed) *Canary { return &p.Location.Canary }
	return []Spec{
		{Key: "canary", Group: g, Scope: ScopeLocation, Syntax: boolSyntax, Default: "false",
			Doc:   "Makes this a canary Ingress: each of its paths becomes an alternative backend of the route with the same host, path and pathType (see Canaries above).",
			apply: set(grammar.Bool, func(p *Parsed, v bool) { c(p).Enabled = v })},
		{Key: "canary-weight", Group: g, Scope: ScopeLocation, Syntax: "a number from 0 to canary-weight-total", Default: "0",
			Doc:   "Share (out of canary-weight-total) of the requests that no header or cookie rule decided that go to the canary; random per request.",
			apply: set(grammar.IntRange(0, maxCanaryTotal), func(p *Parsed, v int) { c(p).Weight = v })},
		{Key: "canary-weight-total", Group: g, Scope: ScopeLocation, Syntax: "a number from 1 to 1000000", Default: "100", seed: true,
			Doc:   "What canary-weight is a share of.",
			apply: set(grammar.IntRange(1, maxCanaryTotal), func(p *Parsed, v int) { c(p).WeightTotal = v })},
		{Key: "canary-by-header", Group: g, Scope: ScopeLocation, Syntax: "a header name: letters, digits, `-` and `_`",
			Doc:   "Request header whose value `always` sends the request to the canary and `never` to the main backend; checked before the cookie and the weight.",
			apply: set(grammar.HeaderName, func(p *Parsed, v string) { c(p).Header = v })},
		{Key: "canary-by-header-value", Group: g, Scope: ScopeLocation, Syntax: "letters, digits and `-_.~:/=+@,`",
			Doc:   "With canary-by-header: this exact value sends the request to the canary; `always`, `never` and other values decide nothing.",
			apply: set(headerValue, func(p *Parsed, v string) { c(p).HeaderValue = v })},
		{Key: "canary-by-header-pattern", Group: g, Scope: ScopeLocation, Syntax: "a regular expression, unanchored, in the syntax of regex paths, with no braces and `$` only at the end",
			Doc:   "With canary-by-header and no canary-by-header-value: a value matching this regex sends the request to the canary; other values decide nothing.",
			apply: set(headerPattern, func(p *Parsed, v string) { c(p).HeaderPattern = v })},
		{Key: "canary-by-cookie", Group: g, Scope: ScopeLocation, Syntax: "letters, digits, `_` and `-`",
			Doc:   "Cookie whose value `always` sends the request to the canary and `never` to the main backend; checked after the header, before the weight.",
			apply: set(cookieName, func(p *Parsed, v string) { c(p).Cookie = v })},
		{Key: "affinity-canary-behavior", Group: g, Scope: ScopeLocation, Syntax: "`sticky` or `legacy`", Default: "sticky",
			Doc:   "With cookie affinity on the canary's backend: `sticky` keeps a client whose affinity cookie names a canary endpoint on the canary; `legacy` lets the weight decide again. A client whose cookie names a main endpoint always stays on the main backend.",
			apply: set(grammar.OneOf("sticky", "legacy"), func(p *Parsed, v string) { c(p).LegacyAffinity = v == "legacy" })},
	}
}

// maxCanaryTotal bounds canary-weight-total.
const maxCanaryTotal = 1000000

// headerValue accepts a header value of letters, digits and "-_.~:/=+@,".
func headerValue(s string) (string, error) {
	if err := grammar.OnlyChars(s, "-_.~:/=+@,", 256); err != nil {
		return "", err
	}
	return s, nil
}

// headerPattern accepts a regex that grammar.CheckHeaderPattern accepts.
func headerPattern(s string) (string, error) {
	if err := grammar.CheckHeaderPattern(s); err != nil {
		return "", err
	}
	return s, nil
}

// check finds canary values that are valid alone but not together, on a
// canary Ingress.
func (c Canary) check(invalid func(name, format string, args ...any)) {
	if !c.Enabled {
		return
	}
	if c.Weight > c.WeightTotal {
		invalid("canary-weight", "must be at most canary-weight-total (%d)", c.WeightTotal)
	}
	if (c.HeaderValue != "" || c.HeaderPattern != "") && c.Header == "" {
		name := "canary-by-header-value"
		if c.HeaderValue == "" {
			name = "canary-by-header-pattern"
		}
		invalid(name, "needs a canary-by-header")
	}
}
