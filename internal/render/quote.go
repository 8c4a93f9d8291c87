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
// runes, one table lookup a byte.
func plainASCII(s string) bool {
	for i := range len(s) {
		if !plainByte[s[i]] {
			return false
		}
	}
	return true
}

// plainByte holds the bytes of plainASCII; it is never written after init.
var plainByte = func() (plain [256]bool) {
	for c := ' '; c < 0x7f; c++ {
		plain[c] = !strings.ContainsRune(unsafeInQuotes, c)
	}
	return plain
}()

// quoter quotes many strings and keeps the first error, so that view code
// checks once per object instead of once per string. It writes the quoted
// strings one after another into shared blocks: a Render quotes tens of
// thousands of short strings, which cost a few allocations this way
// instead of one each. A strings.Builder only appends, so the strings it
// handed out never change, and they keep their block alive.
type quoter struct {
	err   error
	block strings.Builder
}

func (q *quoter) quote(s string) string { return q.join(s, "") }

// join quotes s+suffix without building s+suffix first.
func (q *quoter) join(s, suffix string) string {
	if q.err != nil {
		return ""
	}
	if !plainASCII(s) || !plainASCII(suffix) {
		out, err := quote(s + suffix)
		q.err = err
		return out
	}
	n := len(s) + len(suffix) + 2
	if q.block.Cap()-q.block.Len() < n {
		size := nextBlock(q.block.Cap(), n, 256, 64<<10)
		q.block = strings.Builder{}
		q.block.Grow(size)
	}
	start := q.block.Len()
	q.block.WriteByte('"')
	q.block.WriteString(s)
	q.block.WriteString(suffix)
	q.block.WriteByte('"')
	return q.block.String()[start:]
}

// nextBlock returns the size of the block that follows one of size last
// and must hold need. Blocks double from lo up to hi: a small config takes
// small blocks, a large one few allocations.
func nextBlock(last, need, lo, hi int) int {
	return max(min(max(2*last, lo), hi), need)
}
