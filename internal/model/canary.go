package model

import (
	"errors"
	"fmt"
	"strings"

	"github.com/archway-ingress/archway/internal/grammar"
)

// Canary is an alternative backend of a Location, from a canary Ingress
// (canary: "true") whose host, path and pathType equal the Location's.
// Each request is routed once, in nginx, at the rewrite phase:
//
//  1. Header rules of every canary, in Location.Canaries order: the first
//     that decides wins. A rule with HeaderValue decides "canary" when the
//     header equals it; one with HeaderPattern when the header matches it
//     (unanchored); any other decides "canary" for "always" and "main"
//     for "never". Other values decide nothing.
//  2. Cookie rules, the same way: "always" or "never".
//  3. Weights: one random draw per request; canary i takes the next
//     Weight/WeightTotal of the requests, in order. When the shares add up
//     to more than all requests, the later canaries get what is left.
//  4. The Location's Backend.
//
// A chosen canary without ready endpoints gives way to the main Backend.
type Canary struct {
	// Backend is a Backend.Name, empty only when Unresolved.
	Backend string
	// Unresolved stands for a Gateway API backendRef that cannot be used:
	// the requests its weight takes answer 500, as the spec asks. It has
	// no Backend and only a weight.
	Unresolved bool
	// Strict: when Backend has no ready endpoints, the requests its weight
	// takes answer 503 instead of going to the Location's Backend, as the
	// Gateway API asks of a backendRef without endpoints. Only with a
	// weight.
	Strict bool
	// Owner is the canary Ingress.
	Owner Owner
	// Weight is from 0 to WeightTotal, which is from 1 to 1000000.
	Weight, WeightTotal int
	// Header is a header name of [A-Za-z0-9_-]; HeaderValue, when set, is
	// made of [A-Za-z0-9] and "-_.~:/=+@,"; HeaderPattern is a regex of
	// the grammar of grammar.CheckRegex without braces, with "$" only at its end.
	// Both need Header; HeaderValue wins over HeaderPattern.
	Header, HeaderValue, HeaderPattern string
	// Cookie is a cookie name of [A-Za-z0-9_-].
	Cookie string
	// LegacyAffinity: a client whose affinity cookie (its backend's
	// Balancing.Cookie) names an endpoint of this canary is not kept on
	// it. Without it, such a client stays on the canary; a client whose
	// cookie names an endpoint of the main backend always stays there.
	// Both come after the header and cookie rules, before the weight.
	LegacyAffinity bool
}

// maxCanaryTotal bounds WeightTotal.
const maxCanaryTotal = 1000000

// Validate checks c against the grammars above; package builder reports what
// fails, and package render refuses it.
func (c Canary) Validate() error {
	if c.Unresolved && (c.Backend != "" || c.Header != "" || c.Cookie != "" || c.LegacyAffinity) {
		return errors.New("an unresolved canary has only a weight")
	}
	if c.Strict && (c.Unresolved || c.Header != "" || c.Cookie != "" || c.LegacyAffinity) {
		return errors.New("a strict canary has only a backend and a weight")
	}
	switch {
	case c.Backend == "" && !c.Unresolved:
		return errors.New("canary without backend")
	case c.WeightTotal < 1 || c.WeightTotal > maxCanaryTotal:
		return fmt.Errorf("canary weight total %d is not between 1 and %d", c.WeightTotal, maxCanaryTotal)
	case c.Weight < 0 || c.Weight > c.WeightTotal:
		return fmt.Errorf("canary weight %d is not between 0 and %d", c.Weight, c.WeightTotal)
	case c.Header != "" && !validToken(c.Header, cookieNameByte):
		return fmt.Errorf("canary header %q must be made of A-Z a-z 0-9 _ -", c.Header)
	case c.Cookie != "" && !validToken(c.Cookie, cookieNameByte):
		return fmt.Errorf("canary cookie %q must be made of A-Z a-z 0-9 _ -", c.Cookie)
	case (c.HeaderValue != "" || c.HeaderPattern != "") && c.Header == "":
		return errors.New("canary header value or pattern without header")
	case c.HeaderValue != "" && !validToken(c.HeaderValue, headerValueByte):
		return fmt.Errorf("canary header value %q must be made of A-Z a-z 0-9 -_.~:/=+@,", c.HeaderValue)
	}
	if c.HeaderPattern != "" {
		return grammar.CheckHeaderPattern(c.HeaderPattern)
	}
	return nil
}

func headerValueByte(c byte) bool {
	return cookieNameByte(c) || strings.IndexByte(".~:/=+@,", c) >= 0
}
