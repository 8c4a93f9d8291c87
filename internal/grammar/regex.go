package grammar

import (
	"fmt"
	"regexp"
	"strings"
)

// maxRegexLen bounds a regex path.
const maxRegexLen = 1024

// regexChars are the bytes besides letters and digits that a regex path
// may hold: path characters and the regex syntax common to PCRE (nginx)
// and RE2 (Go). Never a quote, ';', '#', a space or a control character.
const regexChars = "/-._~()[]|?*+^$\\{},:=!<>@&%"

// regexEscapes are the bytes a backslash may precede. Before anything
// else a backslash could mean different things to nginx's string parser
// ("\\", "\n", "\t") and to PCRE.
const regexEscapes = ".()[]|?*+^${}/-dDwWsS"

// CheckRegex accepts the Path of a MatchRegex Location: it begins with
// "/", holds only regexChars, escapes only regexEscapes, and compiles
// (anchored at the start, as nginx matches it) in Go as in PCRE, without
// catastrophic backtracking (see checkPCRE). Package build checks every
// regex path and canary header pattern with it, and package render again
// before quoting one.
func CheckRegex(path string) error {
	if !strings.HasPrefix(path, "/") || len(path) > maxRegexLen {
		return fmt.Errorf("regex path %q must begin with / and hold at most %d bytes", path, maxRegexLen)
	}
	for i := 0; i < len(path); i++ {
		c := path[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !alnum && strings.IndexByte(regexChars, c) < 0 {
			return fmt.Errorf("regex path %q: character %q is not allowed", path, c)
		}
		if c == '\\' {
			if i+1 == len(path) || strings.IndexByte(regexEscapes, path[i+1]) < 0 {
				return fmt.Errorf("regex path %q: a backslash may only precede one of %s", path, regexEscapes)
			}
			i++
		}
	}
	if err := checkPCRE(path); err != nil {
		return fmt.Errorf("regex path %q %w", path, err)
	}
	return nil
}

// RegexGroups returns the number of capture groups of a regex path that
// CheckRegex accepts, and 0 for any other.
func RegexGroups(path string) int {
	re, err := regexp.Compile("^" + path)
	if err != nil {
		return 0
	}
	return re.NumSubexp()
}

// CheckHeaderPattern accepts a canary header regex: the grammar of
// CheckRegex, without braces, and with "$" only at the end, so that it
// never reads as an nginx variable.
func CheckHeaderPattern(p string) error {
	if p == "" || strings.ContainsAny(p, "{}") || strings.Contains(strings.TrimSuffix(p, "$"), "$") {
		return fmt.Errorf("header pattern %q: want a non-empty regex without braces, with $ only at the end", p)
	}
	if _, err := regexp.Compile(p); err != nil {
		return fmt.Errorf("header pattern %q does not compile: %w", p, err)
	}
	if err := CheckRegex("/" + p); err != nil {
		return fmt.Errorf("header pattern %q: not a regex of A-Z a-z 0-9 %s with \\ only before one of %s", p, regexChars, regexEscapes)
	}
	return nil
}
