package annotations

import (
	"errors"
	"fmt"
	"strings"

	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
)

// The value grammars of the annotations alone. The shared ones (booleans,
// sizes, durations, names, CIDRs, URLs) are package grammar's, which the
// ConfigMap and render use too. None lets a byte through that could end
// an nginx string or directive (see fuzz_test.go).

var nextUpstreamWords = []model.NextUpstream{"error", "timeout", "invalid_header", "http_500", "http_502",
	"http_503", "http_504", "http_403", "http_404", "http_429", "non_idempotent", "off"}

// parseNextUpstream reads nginx's proxy_next_upstream conditions, separated
// by spaces as in ingress-nginx; "off" stands alone.
func parseNextUpstream(s string) ([]model.NextUpstream, error) {
	word := grammar.OneOf(nextUpstreamWords...)
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return nil, errors.New("no condition")
	}
	out := make([]model.NextUpstream, 0, len(fields))
	for _, f := range fields {
		w, err := word(f)
		if err != nil {
			return nil, fmt.Errorf("condition %q: %w", f, err)
		}
		out = append(out, w)
	}
	if len(out) > 1 && containsOff(out) {
		return nil, errors.New(`"off" cannot be combined with other conditions`)
	}
	return out, nil
}

func containsOff(c []model.NextUpstream) bool {
	for _, w := range c {
		if w == "off" {
			return true
		}
	}
	return false
}

// exposedHeader is a grammar.HeaderName, or "*".
func exposedHeader(s string) (string, error) {
	if s == "*" {
		return s, nil
	}
	return grammar.HeaderName(s)
}

// statusCode returns a parser of HTTP status codes in [lo, hi].
func statusCode(lo, hi int) func(string) (int, error) { return grammar.IntRange(lo, hi) }

// realm accepts a short human-readable text: letters, digits, spaces and
// a few punctuation marks, never a quote, backslash or "$".
func realm(s string) (string, error) {
	if err := grammar.OnlyChars(s, " -_.,:/()@!+=", 128); err != nil {
		return "", err
	}
	return s, nil
}
