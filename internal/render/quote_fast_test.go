package render

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// FuzzPlainASCII checks that quote's fast path takes only strings that its
// rune-by-rune check accepts too.
func FuzzPlainASCII(f *testing.F) {
	for _, seed := range []string{"app", "a b", "a\x7f", "a\tb", "$x", "é", "\xff", "{}", "a}", "a;b", `a"b`, `a\b`, "~ok/-_.:"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !plainASCII(s) {
			return
		}
		require.True(t, utf8.ValidString(s))
		for _, r := range s {
			require.False(t, unicode.IsControl(r) || strings.ContainsRune(unsafeInQuotes, r), "%q", s)
		}
	})
}
