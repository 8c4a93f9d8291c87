package model

import (
	"errors"
	"fmt"
	"slices"

	"github.com/archway-ingress/archway/internal/grammar"
)

// Candidate is one conditional route of a Location, from an HTTPRoute
// match with a method, header or query parameter condition. A Location
// with Candidates routes each request, in nginx at the rewrite phase, to
// the first Candidate whose conditions all hold, and answers 404 when none
// does; package builder orders them by the Gateway API's precedence.
type Candidate struct {
	// Method is an HTTP method the request's must equal; "" is any.
	Method string
	// Headers are request headers that must each equal their value: the
	// name compared case-insensitively, the value exactly; a header sent
	// more than once is its values joined by ", " (RFC 9110).
	Headers []Condition
	// Query are query parameters that must each equal their value: both
	// compared exactly after percent-decoding; the first of a repeated
	// parameter counts.
	Query []Condition
	// Backend is a Backend.Name; empty answers 500, the Gateway API's
	// answer for a rule none of whose backendRefs can be used.
	Backend string
	// Canaries share the requests with Backend by weight, as a
	// Location's (only weights: no header or cookie rules).
	Canaries []Canary
}

// Condition is a name that must have a value.
type Condition struct {
	Name, Value string
}

// Bounds of a Candidate, the Gateway API's.
const (
	maxConditions  = 16
	maxHeaderName  = 128
	maxHeaderValue = 4096
	maxQueryValue  = 1024
	// MaxCandidates bounds the Candidates of a Location.
	MaxCandidates = 256
)

// Methods are the HTTP methods a Candidate may ask for.
var Methods = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}

// Validate checks c: a Method of Methods; header names of letters, digits
// and "-" (nginx drops the client's headers with other characters) of at
// most 128 bytes; query parameter names of RFC 9110 token characters;
// values of printable ASCII; at most 16 of each. Package builder reports
// what fails, and package render refuses it.
func (c Candidate) Validate() error {
	if c.Method != "" && !slices.Contains(Methods, c.Method) {
		return fmt.Errorf("method %q is not one of %v", c.Method, Methods)
	}
	if len(c.Headers) > maxConditions || len(c.Query) > maxConditions {
		return fmt.Errorf("more than %d header or query parameter conditions", maxConditions)
	}
	for _, h := range c.Headers {
		if err := grammar.OnlyChars(h.Name, "-", maxHeaderName); err != nil {
			return fmt.Errorf("header name %q: %w", h.Name, err)
		}
		if err := printable(h.Value, maxHeaderValue); err != nil {
			return fmt.Errorf("header %s value: %w", h.Name, err)
		}
	}
	for _, q := range c.Query {
		if !validToken(q.Name, tokenByte) {
			return fmt.Errorf("query parameter name %q must be 1 to %d of A-Z a-z 0-9 !#$%%&'*+-.^_`|~", q.Name, maxToken)
		}
		if err := printable(q.Value, maxQueryValue); err != nil {
			return fmt.Errorf("query parameter %s value: %w", q.Name, err)
		}
	}
	if len(c.Canaries) > 0 && c.Backend == "" {
		return errors.New("candidate canaries without backend")
	}
	for _, k := range c.Canaries {
		if k.Header != "" || k.Cookie != "" {
			return errors.New("candidate canaries take only weights")
		}
		if err := k.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// Conditional reports whether c has any condition.
func (c Candidate) Conditional() bool {
	return c.Method != "" || len(c.Headers) > 0 || len(c.Query) > 0
}

// printable accepts 1 to limit bytes of printable ASCII.
func printable(s string, limit int) error {
	if s == "" || len(s) > limit {
		return fmt.Errorf("must be 1 to %d bytes long", limit)
	}
	for i := range len(s) {
		if s[i] < 0x20 || s[i] > 0x7e {
			return fmt.Errorf("byte %#x is not printable ASCII", s[i])
		}
	}
	return nil
}

// tokenByte accepts the token characters of RFC 9110.
func tokenByte(c byte) bool {
	return cookieNameByte(c) || c < 0x7f && c > ' ' && slices.Contains([]byte("!#$%&'*+.^`|~"), c)
}
