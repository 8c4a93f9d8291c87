package grammar

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
)

// maxMatchCNLen bounds ClientAuth.MatchCN.
const maxMatchCNLen = 256

// matchCNChars are the bytes besides ASCII letters and digits that a
// MatchCN may hold: DN text and the regex syntax common to PCRE (nginx)
// and RE2 (Go). No backslash, class, brace, quote, ';', '#' or
// whitespace other than ' '.
const matchCNChars = " =.,_*()|^$?+-"

// CheckMatchCN accepts a ClientAuth.MatchCN: 1 to 256 bytes of letters,
// digits and matchCNChars that compile with Go's regexp package. On this
// subset (literals, '.', groups, alternation, anchors, the quantifiers
// '*', '+', '?' and their lazy forms, and the (?imsU) flags) PCRE and RE2
// read a pattern alike, so Go's compiler answers for nginx's, except that
// PCRE refuses a quantifier after an anchor ("^+", "$*") or after flags
// ("a(?i)+"), which Go takes: anchors may not be quantified here, and
// flags may only begin the pattern. A '$' may only end the pattern, an
// alternative or a group, so that it never looks like an nginx variable.
// A repetition inside a repeated group is refused, as in CheckRegex, and
// render bounds the match as it bounds regex paths'.
// A pattern that matches the empty subject matches every subject,
// unanchored, and would admit clients without a certificate: refused too.
func CheckMatchCN(re string) error {
	if re == "" || len(re) > maxMatchCNLen {
		return fmt.Errorf("want a regex of 1 to %d characters", maxMatchCNLen)
	}
	for i := range len(re) {
		c := re[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !alnum && strings.IndexByte(matchCNChars, c) < 0 {
			return fmt.Errorf("character %q is not allowed (letters, digits, space and %q only)", c, matchCNChars[1:])
		}
		next := byte(0)
		if i+1 < len(re) {
			next = re[i+1]
		}
		switch {
		case c == '$' && next != 0 && next != '|' && next != ')':
			return errors.New(`"$" may only end the regex, an alternative or a group`)
		case (c == '^' || c == '$') && strings.IndexByte("*+?", next) >= 0:
			return fmt.Errorf("%q may not follow the anchor %q", next, c)
		case c == '(' && next == '?' && i > 0:
			return errors.New(`flags ("(?i)") may only begin the regex`)
		}
	}
	compiled, err := regexp.Compile(re)
	if err != nil {
		return fmt.Errorf("does not compile: %w", err)
	}
	if tree, err := syntax.Parse(re, syntax.Perl); err != nil || checkTree(tree, false) != nil {
		return errors.New("repeats a group holding a repetition, as in (a+)+, which can backtrack for seconds")
	}
	if compiled.MatchString("") {
		return errors.New("matches an empty subject, so it would match every client")
	}
	return nil
}
