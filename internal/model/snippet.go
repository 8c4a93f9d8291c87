package model

import "net/netip"

// Snippet is a configuration-snippet or server-snippet that package
// annotations parsed into directives of archway's safe subset (see
// docs/snippets.md). Nothing of the snippet's text is kept: package render
// writes its own directives from these typed values.
type Snippet struct {
	Directives []Directive
	// Locations are the location blocks of a server snippet.
	Locations []SnippetLocation
}

// SnippetLocation is a location block of a server snippet. Path is a
// literal path for SnippetExact and SnippetPrefix, and a regex that
// grammar.CheckRegex accepts (matched from the start) for the regex matches.
type SnippetLocation struct {
	Match      SnippetMatch
	Path       string
	Directives []Directive
}

// SnippetMatch is nginx's location modifier of a SnippetLocation.
type SnippetMatch string

// The location modifiers. SnippetPrefix is nginx's plain string prefix:
// "/metrics" also matches "/metricsx", unlike MatchPrefix.
const (
	SnippetExact        SnippetMatch = "="
	SnippetPrefix       SnippetMatch = ""
	SnippetRegex        SnippetMatch = "~"
	SnippetRegexAnyCase SnippetMatch = "~*"
)

// Regex reports whether the location's Path is a regex.
func (l SnippetLocation) Regex() bool {
	return l.Match == SnippetRegex || l.Match == SnippetRegexAnyCase
}

// Modifier is Match as messages write it before the path: "", "= ",
// "~ " or "~* ".
func (l SnippetLocation) Modifier() string {
	if l.Match == SnippetPrefix {
		return ""
	}
	return string(l.Match) + " "
}

// DirectiveKind names a directive of the safe subset.
type DirectiveKind string

// The directives of the subset; each uses the Directive fields it names.
const (
	SetHeaders      DirectiveKind = "more_set_headers"   // Headers
	ClearHeaders    DirectiveKind = "more_clear_headers" // Names
	AddHeader       DirectiveKind = "add_header"         // Headers (one), Always
	ProxySetHeader  DirectiveKind = "proxy_set_header"   // Headers (one)
	ProxyHideHeader DirectiveKind = "proxy_hide_header"  // Names (one)
	Expires         DirectiveKind = "expires"            // Expires
	Return          DirectiveKind = "return"             // Code, URL or Text
	Rewrite         DirectiveKind = "rewrite"            // Regex, URL, Flag
	Allow           DirectiveKind = "allow"              // Address, or All
	Deny            DirectiveKind = "deny"               // Address, or All
)

// Directive is one directive of a Snippet.
type Directive struct {
	Kind    DirectiveKind
	Headers []Header
	// Names are header names; a more_clear_headers name may end in "*".
	Names  []string
	Always bool
	// Expires is "off", "epoch", "max" or a time such as "30d" or "-1",
	// optionally after "modified ".
	Expires string
	Code    int
	// URL is a return's redirect target or a rewrite's replacement: text
	// with variables that cannot hold CR or LF, and capture groups "1".."9"
	// of the rewrite's Regex.
	URL  Template
	Text string // a return's body
	// Regex is a rewrite's regex, matched from the start like a regex path.
	Regex   string
	Flag    string // "", "last", "break", "redirect" or "permanent"
	Address netip.Prefix
	All     bool
}

// Header is a header name with its value.
type Header struct {
	Name  string
	Value Template
}
