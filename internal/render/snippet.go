package render

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
)

// snippetLocationView is a location block of a server snippet; Lines are
// finished directives without their ";".
type snippetLocationView struct {
	Modifier, Path string
	Lines          []string
}

// snippetView sets the lines of a configuration-snippet; its
// proxy_set_header directives join the header list (headersView).
func (p *policies) snippetView(v *policyView, l model.Location) error {
	if l.Policy.Snippet == nil {
		return nil
	}
	lines, err := p.snippetLines(l.Policy.Snippet.Directives)
	if slices.ContainsFunc(l.Policy.Snippet.Directives, func(d model.Directive) bool { return d.Kind == model.ProxyHideHeader }) {
		lines = append(lines, p.hide...)
	}
	v.Snippet = lines
	return err
}

// responseHeadersView sets the location's custom-headers and the headers
// an HTTPRoute adds and removes: add_header adds a line after the
// backend's (always: on every status, as more_set_headers sets).
func (p *policies) responseHeadersView(v *policyView, l model.Location) error {
	pol := l.Policy
	var directives []model.Directive
	if len(pol.ResponseHeaders) > 0 {
		directives = append(directives, model.Directive{Kind: model.SetHeaders, Headers: pol.ResponseHeaders})
	}
	for _, h := range pol.AddResponseHeaders {
		directives = append(directives, model.Directive{Kind: model.AddHeader, Headers: []model.Header{h}, Always: true})
	}
	if len(pol.RemoveResponseHeaders) > 0 {
		directives = append(directives, model.Directive{Kind: model.ClearHeaders, Names: pol.RemoveResponseHeaders})
	}
	for _, d := range directives {
		for _, name := range append(d.Names, headerNames(d.Headers)...) {
			if _, err := grammar.HeaderName(name); err != nil {
				return fmt.Errorf("response headers: %w", err)
			}
		}
		line, err := p.directiveLine(d)
		if err != nil {
			return fmt.Errorf("response headers: %w", err)
		}
		v.ResponseHeaders = append(v.ResponseHeaders, line)
	}
	return nil
}

func headerNames(headers []model.Header) []string {
	names := make([]string, len(headers))
	for i, h := range headers {
		names[i] = h.Name
	}
	return names
}

// serverSnippet returns the server-level lines and the location blocks of
// a server's snippet, after set rendered the server's other locations: a
// location that duplicates one of them is an error, which package builder
// prevents.
func (p *policies) serverSnippet(s *model.Server, set *locationSet) ([]string, []snippetLocationView, error) {
	if s.Snippet == nil {
		return nil, nil, nil
	}
	lines, err := p.snippetLines(s.Snippet.Directives)
	if err != nil {
		return nil, nil, fmt.Errorf("server-snippet: %w", err)
	}
	var locs []snippetLocationView
	for _, l := range s.Snippet.Locations {
		v, err := set.snippetLocation(l)
		if err == nil {
			v.Lines, err = p.snippetLines(l.Directives)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("server-snippet location %q: %w", l.Path, err)
		}
		locs = append(locs, v)
	}
	return lines, locs, nil
}

// snippetLocation returns the modifier and path of a snippet location. Its
// prefix locations take the modifier of the server's other prefix
// locations, so that regexes never take their requests.
func (s *locationSet) snippetLocation(l model.SnippetLocation) (snippetLocationView, error) {
	var v snippetLocationView
	var err error
	switch l.Match {
	case model.SnippetRegex, model.SnippetRegexAnyCase:
		flags := ""
		if l.Match == model.SnippetRegexAnyCase {
			flags = "(?i)"
		}
		v.Modifier = "~ "
		v.Path, err = regexToken(l.Path, flags)
		return v, err
	case model.SnippetExact:
		v.Modifier = "= "
	case model.SnippetPrefix:
		v.Modifier = s.prefixModifier
	default:
		return v, fmt.Errorf("unknown match %q", l.Match)
	}
	if !strings.HasPrefix(l.Path, "/") || model.Internal(l.Path) {
		return v, fmt.Errorf("path %q is not a path of the server's own", l.Path)
	}
	if v.Path, err = quote(l.Path); err != nil {
		return v, err
	}
	key := locationKey{modifier: strings.TrimPrefix(v.Modifier, "^~ "), token: v.Path}
	if s.seen[key] {
		return v, fmt.Errorf("duplicate location %q", l.Path)
	}
	s.seen[key] = true
	return v, nil
}

// snippetLines writes each directive but proxy_set_header from its typed
// values.
func (p *policies) snippetLines(dirs []model.Directive) ([]string, error) {
	lines := make([]string, 0, len(dirs))
	for _, d := range dirs {
		if d.Kind == model.ProxySetHeader {
			continue
		}
		line, err := p.directiveLine(d)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.Kind, err)
		}
		lines = append(lines, line)
	}
	return lines, nil
}

// expiresTime is the expires argument package annotations accepts.
var expiresTime = regexp.MustCompile(`^(modified )?(-?[0-9]{1,6}[smhdwMy]?)$|^(off|epoch|max)$`)

func (p *policies) directiveLine(d model.Directive) (string, error) {
	var q quoter
	var b strings.Builder
	b.WriteString(string(d.Kind))
	word := func(s string) { b.WriteString(" " + s) }
	var err error
	switch d.Kind {
	case model.SetHeaders, model.AddHeader:
		if d.Kind == model.SetHeaders {
			p.http.HeadersMore = true
		}
		for _, h := range d.Headers {
			var value string
			if d.Kind == model.SetHeaders {
				value, err = headerValueToken(append(model.Template{{Text: h.Name + ": "}}, h.Value...))
			} else {
				word(q.quote(h.Name))
				value, err = headerValueToken(h.Value)
			}
			if err != nil {
				return "", err
			}
			word(value)
		}
		if d.Always {
			word("always")
		}
	case model.ClearHeaders, model.ProxyHideHeader:
		p.http.HeadersMore = p.http.HeadersMore || d.Kind == model.ClearHeaders
		for _, name := range d.Names {
			word(q.quote(name))
		}
	case model.Expires:
		if !expiresTime.MatchString(d.Expires) {
			return "", fmt.Errorf("%q is not an expires time", d.Expires)
		}
		word(d.Expires)
	case model.Return:
		if d.Code < 200 || d.Code > 599 {
			return "", fmt.Errorf("status %d", d.Code)
		}
		word(strconv.Itoa(d.Code))
		switch {
		case d.URL != nil:
			var url string
			url, err = templateToken(d.URL, plainVar)
			word(url)
		case d.Text != "":
			word(q.quote(d.Text))
		}
	case model.Rewrite:
		var regex, target string
		if regex, err = regexToken(d.Regex, ""); err == nil {
			target, err = templateToken(d.URL, snippetVar)
		}
		word(regex + " " + target)
		switch d.Flag {
		case "":
		case "last", "break", "redirect", "permanent":
			word(d.Flag)
		default:
			return "", fmt.Errorf("flag %q", d.Flag)
		}
	case model.Allow, model.Deny:
		if d.All {
			word("all")
		} else {
			word(q.quote(d.Address.String()))
		}
	default:
		return "", fmt.Errorf("unknown directive")
	}
	return b.String(), errors.Join(err, q.err)
}

// snippetVar spells a capture group or a variable.
func snippetVar(v string) (string, bool) {
	if s, ok := captureVar(v); ok {
		return s, true
	}
	return plainVar(v)
}

// headerValueToken is templateToken for a header value, whose text may
// also hold ";" (HSTS, CSP): nginx reads it as text inside the quotes.
func headerValueToken(t model.Template) (string, error) {
	var b strings.Builder
	b.WriteByte('"')
	for _, part := range t {
		if part.Var != "" {
			name, ok := plainVar(part.Var)
			if !ok {
				return "", fmt.Errorf("variable %q is not allowed here", part.Var)
			}
			b.WriteString(name)
			continue
		}
		for i := range len(part.Text) {
			if c := part.Text[i]; c != ';' && !plainByte[c] {
				return "", fmt.Errorf("%q contains %q, which may not reach nginx.conf", part.Text, c)
			}
		}
		b.WriteString(part.Text)
	}
	b.WriteByte('"')
	return b.String(), nil
}

// proxySetHeaders sets the proxy_set_header directives of a
// configuration-snippet in headers, replacing a header of the same name in
// any case.
func proxySetHeaders(q *quoter, headers []headerView, snip *model.Snippet) ([]headerView, error) {
	for _, d := range snip.Directives {
		if d.Kind != model.ProxySetHeader {
			continue
		}
		for _, h := range d.Headers {
			value, err := headerValueToken(h.Value)
			if err != nil {
				return nil, err
			}
			name := q.quote(h.Name)
			for _, e := range headers {
				if strings.EqualFold(e.Name, h.Name) {
					name = e.Name
				}
			}
			headers = setHeader(headers, name, value)
		}
	}
	return headers, q.err
}
