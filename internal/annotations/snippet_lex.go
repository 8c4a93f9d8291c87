package annotations

import (
	"fmt"
	"strconv"
	"strings"
)

// maxSnippetLen bounds a snippet; real ones are a few hundred bytes.
const maxSnippetLen = 16 << 10

// snippetToken is one token of a snippet: a word (quoted or not), or one
// of ";", "{" and "}" (punct).
type snippetToken struct {
	text  string
	line  int
	punct bool
}

// refused is the error of a snippet token that archway does not take.
func (t snippetToken) refused(format string, args ...any) error {
	return fmt.Errorf("%s (line %d) is refused: %s", strconv.Quote(shortToken(t.text)), t.line, fmt.Sprintf(format, args...))
}

func shortToken(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// lexSnippet splits a snippet into tokens as nginx's configuration parser
// does, more strictly: quotes hold no backslash and open only a token,
// "#" comments run to the end of the line, and nothing but printable
// ASCII, spaces, tabs and newlines may appear. On an error it returns the
// tokens before it too, whose own refusal names a better culprit: the
// directive of a Lua block rather than a quote inside the block.
func lexSnippet(s string) ([]snippetToken, error) {
	if len(s) > maxSnippetLen {
		return nil, fmt.Errorf("the snippet is refused: it holds %d bytes, more than %d", len(s), maxSnippetLen)
	}
	var tokens []snippetToken
	line := 1
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c < ' ' || c > '~':
			return tokens, fmt.Errorf("byte %q (line %d) is refused: only printable ASCII, spaces and line breaks may appear in a snippet", c, line)
		case c == '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == ';' || c == '{' || c == '}':
			tokens = append(tokens, snippetToken{text: s[i : i+1], line: line, punct: true})
			i++
		case c == '"' || c == '\'':
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				return tokens, fmt.Errorf("quote %c (line %d) is refused: it is never closed", c, line)
			}
			text := s[i+1 : i+1+end]
			if strings.ContainsAny(text, "\\\n") {
				return tokens, fmt.Errorf("%s (line %d) is refused: a quoted string may not hold a backslash or line break", strconv.Quote(shortToken(text)), line)
			}
			i += end + 2
			if i < len(s) && !strings.ContainsRune(" \t\r\n;{}", rune(s[i])) {
				return tokens, fmt.Errorf("%s (line %d) is refused: a closing quote must end its word", strconv.Quote(shortToken(s[i-end-2:min(len(s), i+10)])), line)
			}
			tokens = append(tokens, snippetToken{text: text, line: line})
		default:
			start := i
			for i < len(s) && s[i] > ' ' && s[i] <= '~' && !strings.ContainsRune(";{}", rune(s[i])) {
				if s[i] == '"' || s[i] == '\'' {
					return tokens, fmt.Errorf("%s (line %d) is refused: a quote inside a word is unbalanced quoting", strconv.Quote(shortToken(s[start:i+1])), line)
				}
				if end := strings.IndexByte(s[i:], '}'); strings.HasPrefix(s[i:], "${") && end > 2 && lowerName(s[i+2:i+end]) != "" {
					i += end // "${name}" is one variable, as nginx reads it
				}
				i++
			}
			tokens = append(tokens, snippetToken{text: s[start:i], line: line})
		}
	}
	return tokens, nil
}
