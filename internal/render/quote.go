package render

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// unsafeInQuotes are the bytes quote refuses besides control characters.
// Inside a double-quoted nginx string only '"' and '\' are special to the
// parser, and '$' starts a variable in directives that take them; ';', '{'
// and '}' are harmless there but never appear in validated input, and
// refusing them keeps every token safe even if a template drops the quotes.
const unsafeInQuotes = "\"\\$;{}"

// quote returns s as a double-quoted nginx string. It escapes nothing: it
// refuses any string holding a byte that could end the string, start a
// variable or a new directive, or that validated input never contains
// (control characters, invalid UTF-8). Every string that reaches nginx.conf
// goes through quote or is built by Go from parts that did.
func quote(s string) (string, error) {
	if plainASCII(s) {
		return `"` + s + `"`, nil
	}
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%q is not valid UTF-8", s)
	}
	for _, r := range s {
		if unicode.IsControl(r) || strings.ContainsRune(unsafeInQuotes, r) {
			return "", fmt.Errorf("%q contains %q, which may not reach nginx.conf", s, r)
		}
	}
	return `"` + s + `"`, nil
}

// plainASCII reports whether s is printable ASCII without unsafeInQuotes,
// which quote takes as it is: the common case, checked without decoding
// runes.
func plainASCII(s string) bool {
	for i := range len(s) {
		switch c := s[i]; {
		case c < 0x20 || c >= 0x7f, c == '"', c == '\\', c == '$', c == ';', c == '{', c == '}':
			return false
		}
	}
	return true
}

// quoter quotes many strings and keeps the first error, so that view code
// checks once per object instead of once per string.
type quoter struct{ err error }

func (q *quoter) quote(s string) string {
	if q.err != nil {
		return ""
	}
	out, err := quote(s)
	q.err = err
	return out
}
