package grammar

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCheckRegex: the regexes Go parses that PCRE refuses, or that could
// backtrack for seconds, are refused with a reason; package render's
// TestRegexAgreesWithPCRE runs both lists through nginx.
func TestCheckRegex(t *testing.T) {
	for _, re := range []string{"/api(/|$)(.*)", "/v[0-9]+/(.*)", `/files/.+\.pdf`, "/(?i)x", "/a{2,5}", "/(a{3})+", "/(/.*)?",
		"/[.]", "/[-a]", `/[\d-]`, "/[]a]", "/(?:x|y)*", "/" + strings.Repeat("(", 32) + strings.Repeat(")", 32), "/(abcdefghij){1000}"} {
		require.NoError(t, CheckRegex(re), re)
	}
	refused := map[string]string{
		"/(?<host>x)":  "names a group",
		"/(?P<a>x)":    "names a group",
		`/a[\d-z]`:     `\d as a range end`,
		`/a[\w-\s]`:    `\w as a range end`,
		"/[:alpha:]":   "POSIX class",
		"/[..]":        "POSIX class",
		"/[[:alpha:]]": `holds "["`,
		"/[[]":         `holds "["`,
		"/a^+b":        "repeats the anchor",
		"/$*":          "repeats the anchor",
		"/a(?i)+":      "repeats a flags group",
		"/x/((a+)+)+$": "holding a repetition",
		"/(?:a*)*":     "holding a repetition",
		"/(a|b?)+":     "holding a repetition",
		"/(a{1,2}){2}": "holding a repetition",
		"/" + strings.Repeat("(", 33) + strings.Repeat(")", 33): "deeper than 32",
		"/(" + strings.Repeat("abcdefghij", 50) + "){100}":      "too large",
		"/a{1001}": "does not compile",
	}
	for re, reason := range refused {
		err := CheckRegex(re)
		require.Error(t, err, re)
		require.Contains(t, err.Error(), reason, re)
	}
}
