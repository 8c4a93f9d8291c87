package grammar

import (
	"errors"
	"fmt"
	"regexp/syntax"
	"strings"
)

// maxRegexDepth bounds the nesting of groups; PCRE refuses more than 250.
const maxRegexDepth = 32

// maxRegexSize bounds a regex's compiled size as regexSize estimates it,
// under PCRE's 64 KiB (link size 2) on both engines: an estimate is at
// least two thirds of the real size.
const maxRegexSize = 40000

// RegexMatchLimit bounds the backtracking steps of one match of a regex
// path in nginx (render gives canary header patterns, which the Lua side
// matches, a bound of the same cost): a regex that backtracks
// catastrophically stops there and fails (the location answers 500, the
// canary rule decides nothing) instead of costing a worker 100 ms and more
// per request. An ordinary regex needs a step or two per byte of the path.
const RegexMatchLimit = 100000

// checkPCRE accepts a regex, whose characters CheckRegex already checked,
// when PCRE compiles it as Go parses it (Debian 12's nginx links PCRE2
// 10.42; its Lua module, which matches canary patterns, links PCRE 8.39), and when it cannot backtrack catastrophically. Go parses a
// few constructs that PCRE refuses, refused here:
//   - named groups: nginx makes each an nginx variable, which may clash
//     with its own ($host) or change another location's ($http_x);
//     numbered groups ($1..$9) do everything rewrite-target needs;
//   - a quantifier after "^", "$" or a flags group ("(?i)+");
//   - a class range with a class escape as an end ("[\d-z]"), a class
//     in a class ("[[:alpha:]]", "[[]"), and a class that PCRE reads as a
//     POSIX class outside a class ("[:alpha:]", "[..]");
//   - groups nested deeper than 32, and repeated groups whose copies
//     exceed PCRE's compiled size.
//
// A repetition inside a repeated group ("(a+)+", "(x*y?)*") is refused:
// such a group can match a subject in exponentially many ways.
func checkPCRE(re string) error {
	tree, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return fmt.Errorf("does not compile: %w", err)
	}
	if err := scanPCRE(re); err != nil {
		return err
	}
	if err := checkTree(tree, false); err != nil {
		return err
	}
	if regexSize(tree) > maxRegexSize {
		return errors.New("is too large once its repeated groups are copied out")
	}
	return nil
}

// scanPCRE checks the text of a regex that Go parses, outside its tree.
func scanPCRE(re string) error {
	depth := 0
	for i := 0; i < len(re); i++ {
		switch re[i] {
		case '\\':
			i++
		case '(':
			if depth++; depth > maxRegexDepth {
				return fmt.Errorf("nests groups deeper than %d", maxRegexDepth)
			}
			if end := flagsGroupEnd(re[i:]); end > 0 {
				i += end
				if quantifier(re, i+1) {
					return errors.New("repeats a flags group such as (?i)")
				}
			}
		case ')':
			depth--
		case '^', '$':
			if quantifier(re, i+1) {
				return fmt.Errorf("repeats the anchor %q", re[i])
			}
		case '[':
			end, err := scanClass(re[i:])
			if err != nil {
				return err
			}
			i += end
		}
	}
	return nil
}

// flagsGroupEnd returns the index of the ")" of a flags group ("(?i)",
// "(?i-s)") at the start of s, or 0.
func flagsGroupEnd(s string) int {
	if !strings.HasPrefix(s, "(?") {
		return 0
	}
	for i := 2; i < len(s); i++ {
		switch {
		case s[i] == ')':
			return i
		case !strings.ContainsRune("imsU-", rune(s[i])):
			return 0
		}
	}
	return 0
}

// quantifier reports whether a quantifier (or a "{" that may begin one)
// is at re[i].
func quantifier(re string, i int) bool {
	return i < len(re) && strings.IndexByte("*+?{", re[i]) >= 0
}

// scanClass checks the class that starts s and returns the index of its
// closing "]". Go has parsed the regex, so the class is closed.
func scanClass(s string) (int, error) {
	start := 1
	if strings.HasPrefix(s[start:], "^") {
		start++
	}
	if strings.HasPrefix(s[start:], "]") {
		start++ // a literal "]"
	}
	for i := start; i < len(s); i++ {
		switch s[i] {
		case '[':
			return 0, errors.New(`holds "[" in a class (write \[; POSIX classes such as [:alpha:] are not supported)`)
		case '\\':
			if i+3 < len(s) && strings.IndexByte("dDwWsS", s[i+1]) >= 0 && s[i+2] == '-' && s[i+3] != ']' {
				return 0, fmt.Errorf(`uses the class \%c as a range end in a class`, s[i+1])
			}
			i++
		case ']':
			body := s[1:i]
			if len(body) >= 2 && strings.IndexByte(":.=", body[0]) >= 0 && body[len(body)-1] == body[0] {
				return 0, fmt.Errorf("has a class %q that PCRE reads as a POSIX class", s[:i+1])
			}
			return i, nil
		}
	}
	return len(s), nil
}

// checkTree refuses named groups, and repetitions inside a repeated
// group; repeated is whether an enclosing node repeats.
func checkTree(re *syntax.Regexp, repeated bool) error {
	switch re.Op {
	case syntax.OpCapture:
		if re.Name != "" {
			return fmt.Errorf("names a group (%q): use a numbered group; nginx would make the name a variable", re.Name)
		}
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		if repeated && (re.Op != syntax.OpRepeat || re.Min != re.Max) {
			return errors.New("repeats a group holding a repetition, as in (a+)+, which can backtrack for seconds")
		}
		repeated = repeated || re.Op == syntax.OpStar || re.Op == syntax.OpPlus || re.Op == syntax.OpRepeat && (re.Max < 0 || re.Max > 1)
	}
	for _, sub := range re.Sub {
		if err := checkTree(sub, repeated); err != nil {
			return err
		}
	}
	return nil
}

// regexSize estimates, from above, the bytes of a regex compiled by PCRE,
// which copies a group for each repetition of a count ("(ab){3}"). Go's
// tree has no node for a non-capturing group, so every counted repetition
// counts as copies.
func regexSize(re *syntax.Regexp) int {
	size := 0
	for _, sub := range re.Sub {
		size += regexSize(sub)
	}
	switch re.Op {
	case syntax.OpLiteral:
		return 2 * len(re.Rune)
	case syntax.OpCharClass:
		return 40
	case syntax.OpRepeat:
		copies := re.Max
		if copies < 0 {
			copies = re.Min + 1
		}
		return size*max(copies, 1) + 10
	}
	return size + 10
}
