package annotations

import (
	"fmt"
	"slices"
	"strings"

	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
)

// SnippetKind says where a snippet goes: into each location of its
// Ingress (configuration-snippet) or into the server of each host it names
// (server-snippet).
type SnippetKind int

// The snippet kinds.
const (
	ConfigurationSnippet SnippetKind = iota
	ServerSnippet
)

// The keys of the snippets that the safe subset reads.
const (
	ConfigurationSnippetKey = "configuration-snippet"
	ServerSnippetKey        = "server-snippet"
)

// snippetContext is where a directive stands.
type snippetContext int

const (
	inLocation        snippetContext = iota // a configuration-snippet
	inServer                                // a server-snippet, outside location blocks
	inSnippetLocation                       // a location block of a server-snippet
)

// SnippetDirectives lists the directives of the safe subset, for messages
// and docs.
const SnippetDirectives = "more_set_headers, more_clear_headers, add_header, proxy_set_header, proxy_hide_header, " +
	"expires, return, rewrite, allow and deny, and location blocks in a server-snippet"

// maxSnippetDirectives bounds the directives of one snippet.
const maxSnippetDirectives = 256

// ParseSnippet parses a snippet into directives of the safe subset (see
// docs/snippets.md). Anything else refuses the whole snippet with an error
// that names the refused token and says why.
func ParseSnippet(text string, kind SnippetKind) (*model.Snippet, error) {
	tokens, lexErr := lexSnippet(text)
	p := &snippetParser{tokens: tokens, lexErr: lexErr}
	ctx := inLocation
	if kind == ServerSnippet {
		ctx = inServer
	}
	snip := &model.Snippet{}
	for !p.done() {
		if p.peek().text == "location" && !p.peek().punct {
			if ctx != inServer {
				return nil, p.peek().refused("location blocks are taken only in a server-snippet")
			}
			at := p.peek()
			loc, err := p.location()
			if err != nil {
				return nil, err
			}
			if slices.ContainsFunc(snip.Locations, func(l model.SnippetLocation) bool {
				return !l.Regex() && l.Match == loc.Match && l.Path == loc.Path
			}) {
				return nil, at.refused("location %s%q comes twice (nginx would refuse the whole configuration)", loc.Modifier(), loc.Path)
			}
			snip.Locations = append(snip.Locations, loc)
			continue
		}
		d, err := p.directive(ctx)
		if err != nil {
			return nil, err
		}
		snip.Directives = append(snip.Directives, d...)
	}
	if lexErr != nil {
		return nil, lexErr
	}
	if p.count == 0 {
		return nil, fmt.Errorf("the snippet holds no directive")
	}
	return snip, nil
}

type snippetParser struct {
	tokens []snippetToken
	next   int
	count  int // directives so far
	// lexErr ended the tokens early: it is the error at their end.
	lexErr error
}

// atEnd is the error of a statement or block cut short by the end of the
// tokens.
func (p *snippetParser) atEnd(t snippetToken, why string) error {
	if p.lexErr != nil {
		return p.lexErr
	}
	return t.refused("%s", why)
}

func (p *snippetParser) done() bool { return p.next == len(p.tokens) }

func (p *snippetParser) peek() snippetToken { return p.tokens[p.next] }

// statement reads the words of one statement and the punct that ends it
// (";" or "{"); the last token stands in for a missing end.
func (p *snippetParser) statement() ([]snippetToken, snippetToken, error) {
	start := p.next
	for !p.done() {
		t := p.tokens[p.next]
		p.next++
		if t.punct {
			if t.text == "}" || p.next-1 == start {
				return nil, t, t.refused("a directive was expected here")
			}
			p.count++
			if p.count > maxSnippetDirectives {
				return nil, t, t.refused("a snippet holds at most %d directives", maxSnippetDirectives)
			}
			return p.tokens[start : p.next-1], t, nil
		}
	}
	last := p.tokens[len(p.tokens)-1]
	return nil, last, p.atEnd(last, `the directive does not end with ";"`)
}

// directive reads one directive that must end with ";": none for
// "server_tokens off", which archway's nginx.conf already says.
func (p *snippetParser) directive(ctx snippetContext) ([]model.Directive, error) {
	words, end, err := p.statement()
	if err != nil {
		return nil, err
	}
	if end.text != ";" {
		return nil, words[0].refused(`only location blocks may open "{"; %s`, notInSubset(words[0].text, ctx))
	}
	if words[0].text == "server_tokens" {
		if len(words) != 2 || words[1].text != "off" {
			return nil, words[0].refused(`archway's nginx never tells its version: only "server_tokens off" is taken, and changes nothing`)
		}
		return nil, nil
	}
	d, err := parseDirective(words[0], words[1:], ctx)
	return []model.Directive{d}, err
}

// location reads a location block of a server snippet.
func (p *snippetParser) location() (model.SnippetLocation, error) {
	words, end, err := p.statement()
	if err != nil {
		return model.SnippetLocation{}, err
	}
	if end.text != "{" {
		return model.SnippetLocation{}, words[0].refused(`a location needs a block in "{ }"`)
	}
	loc, err := snippetLocation(words[0], words[1:])
	if err != nil {
		return loc, err
	}
	for {
		if p.done() {
			return loc, p.atEnd(words[0], `its block is never closed with "}"`)
		}
		if t := p.peek(); t.punct && t.text == "}" {
			p.next++
			break
		}
		if t := p.peek(); t.text == "location" && !t.punct {
			return loc, t.refused("location blocks may not be nested")
		}
		d, err := p.directive(inSnippetLocation)
		if err != nil {
			return loc, err
		}
		loc.Directives = append(loc.Directives, d...)
	}
	if len(loc.Directives) == 0 {
		return loc, words[0].refused("its block holds no directive")
	}
	return loc, nil
}

// snippetLocation reads "location [=|^~|~|~*] PATH".
func snippetLocation(keyword snippetToken, args []snippetToken) (model.SnippetLocation, error) {
	var loc model.SnippetLocation
	switch len(args) {
	case 1:
		loc.Path = args[0].text
	case 2:
		switch m := args[0].text; m {
		case "=", "~", "~*":
			loc.Match = model.SnippetMatch(m)
		case "^~":
			// archway's prefix locations already stop the regex search
			// when the server has regexes (see package render).
		default:
			return loc, args[0].refused("a location modifier is =, ^~, ~ or ~*")
		}
		loc.Path = args[1].text
	default:
		return loc, keyword.refused("want location [=|^~|~|~*] PATH")
	}
	at := args[len(args)-1]
	if loc.Regex() {
		re, ok := strings.CutPrefix(loc.Path, "^")
		if !ok {
			return loc, at.refused(`a regex location must be anchored: begin it with "^/" (for \.php$, write ^/[^?]*\.php$: "." does not match a decoded line break)`)
		}
		if err := grammar.CheckRegex(re); err != nil {
			return loc, at.refused("%v", err)
		}
		loc.Path = re
		return loc, nil
	}
	if _, err := grammar.URLPath(loc.Path); err != nil {
		return loc, at.refused("a location path %v", err)
	}
	if model.Internal(loc.Path) {
		return loc, at.refused("the path is reserved for archway's own locations")
	}
	if loc.Path == "/" && loc.Match == model.SnippetPrefix {
		return loc, at.refused(`location "/" is the Ingress paths' own; give the snippet's locations longer paths`)
	}
	return loc, nil
}

// notInSubset explains why a directive is refused.
func notInSubset(name string, ctx snippetContext) string {
	if ctx == inServer && name == string(model.ProxySetHeader) {
		return "proxy_set_header does not reach archway's locations from the server (each sets its own list): put it in a configuration-snippet"
	}
	if ctx == inServer && (name == string(model.Allow) || name == string(model.Deny)) {
		return name + " is taken only in a configuration-snippet or a location block; for a whole host use whitelist-source-range or denylist-source-range"
	}
	return "it is not in archway's safe snippet subset (" + SnippetDirectives + "); see docs/snippets.md"
}
