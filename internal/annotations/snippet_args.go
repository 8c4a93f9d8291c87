package annotations

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
)

// headerVarNames are the variables header values (of snippets and header
// ConfigMaps) and snippets' redirect targets may name: redirectVars, which
// cannot hold CR or LF, the client's address, nginx's request id
// (ingress-nginx's $req_id) and the time in seconds with milliseconds
// ($msec, of ingress-nginx's X-Request-Start example).
var (
	headerVarNames = []string{"scheme", "host", "http_host", "server_port", "request_uri", "args", "is_args", "remote_addr", "request_id", "msec"}
	headerVars     = wordSet(headerVarNames...)
)

// headerValueChars are the bytes of a header value besides letters,
// digits and variables.
const headerValueChars = grammar.HeaderValueChars

// parseDirective parses one directive of the subset in its context.
func parseDirective(name snippetToken, args []snippetToken, ctx snippetContext) (model.Directive, error) {
	d := model.Directive{Kind: model.DirectiveKind(name.text)}
	count := func(lo, hi int) error {
		if len(args) < lo || len(args) > hi {
			if lo == hi {
				return name.refused("it takes %d argument(s), not %d", lo, len(args))
			}
			return name.refused("it takes %d to %d arguments, not %d", lo, hi, len(args))
		}
		return nil
	}
	var err error
	switch d.Kind {
	case model.SetHeaders:
		if err = count(1, 16); err != nil {
			return d, err
		}
		for _, a := range args {
			h, err := headerLine(a)
			if err != nil {
				return d, err
			}
			d.Headers = append(d.Headers, h)
		}
	case model.ClearHeaders:
		if err = count(1, 16); err != nil {
			return d, err
		}
		for _, a := range args {
			if _, err := grammar.HeaderName(strings.TrimSuffix(a.text, "*")); err != nil {
				return d, a.refused("%v", headerOption(a, err))
			}
			d.Names = append(d.Names, a.text)
		}
	case model.AddHeader, model.ProxySetHeader:
		max := 2
		if d.Kind == model.AddHeader {
			max = 3
		}
		if err = count(2, max); err != nil {
			return d, err
		}
		if len(args) == 3 {
			if args[2].text != "always" {
				return d, args[2].refused(`the third argument of add_header can only be "always"`)
			}
			d.Always = true
		}
		h, err := header(args[0], args[1])
		if err != nil {
			return d, err
		}
		d.Headers = []model.Header{h}
	case model.ProxyHideHeader:
		if err = count(1, 1); err != nil {
			return d, err
		}
		if _, err := grammar.HeaderName(args[0].text); err != nil {
			return d, args[0].refused("header name: %v", err)
		}
		d.Names = []string{args[0].text}
	case model.Expires:
		if err = count(1, 2); err != nil {
			return d, err
		}
		d.Expires, err = expires(args)
	case model.Return:
		if err = count(1, 2); err != nil {
			return d, err
		}
		err = returnArgs(&d, args)
	case model.Rewrite:
		if err = count(2, 3); err != nil {
			return d, err
		}
		err = rewriteArgs(&d, args)
	case model.Allow, model.Deny:
		if ctx == inServer {
			return d, name.refused("%s", notInSubset(name.text, ctx))
		}
		if err = count(1, 1); err != nil {
			return d, err
		}
		if args[0].text == "all" {
			d.All = true
		} else if d.Address, err = grammar.CIDR(args[0].text); err != nil {
			return d, args[0].refused("%v", err)
		}
	default:
		return d, name.refused("%s", notInSubset(name.text, ctx))
	}
	if err == nil && d.Kind == model.ProxySetHeader && ctx != inLocation {
		err = name.refused("%s", notInSubset(name.text, ctx))
	}
	return d, err
}

// headerOption explains an option of headers-more, which archway does not
// take, or passes err on.
func headerOption(a snippetToken, err error) error {
	if strings.HasPrefix(a.text, "-") {
		return errors.New("the options -s, -t and -r of headers-more are not supported")
	}
	return err
}

// headerLine reads more_set_headers' "Name: value".
func headerLine(a snippetToken) (model.Header, error) {
	name, value, ok := strings.Cut(a.text, ":")
	if !ok {
		return model.Header{}, a.refused("%v", headerOption(a, errors.New(`want "Name: value"`)))
	}
	value = strings.TrimLeft(value, " \t")
	if value == "" {
		return model.Header{}, a.refused("the value is empty: use more_clear_headers to remove a header")
	}
	return header(snippetToken{text: name, line: a.line}, snippetToken{text: value, line: a.line})
}

// header reads a header name and its value.
func header(name, value snippetToken) (model.Header, error) {
	if _, err := grammar.HeaderName(name.text); err != nil {
		return model.Header{}, name.refused("header name: %v", err)
	}
	v, err := HeaderValue(value.text)
	if err != nil {
		return model.Header{}, value.refused("header value: %v", err)
	}
	return model.Header{Name: name.text, Value: v}, nil
}

// HeaderValue reads a header value: printable ASCII but quotes, backslash
// and braces, and "$" only to name one of headerVarNames. No CR or LF.
func HeaderValue(s string) (model.Template, error) {
	v, err := parseTemplate(s, headerVars, headerValueChars)
	if err != nil {
		return nil, fmt.Errorf("%w (variables allowed: $%s)", err, strings.Join(headerVarNames, ", $"))
	}
	return v, nil
}

// expires reads "off", "epoch", "max" or "[modified] TIME", TIME being an
// optionally negative whole number with an nginx unit.
func expires(args []snippetToken) (string, error) {
	last := args[len(args)-1]
	if len(args) == 2 && args[0].text != "modified" {
		return "", args[0].refused(`the first of two expires arguments can only be "modified"`)
	}
	switch last.text {
	case "off", "epoch", "max":
		if len(args) == 1 {
			return last.text, nil
		}
	}
	digits := strings.TrimPrefix(last.text, "-")
	digits = strings.TrimRight(digits, "smhdwMy")
	unit := strings.TrimPrefix(last.text, "-")[len(digits):]
	if _, err := strconv.Atoi(digits); err != nil || len(digits) > 6 || len(unit) > 1 || strings.Trim(digits, "0123456789") != "" {
		return "", last.refused(`want off, epoch, max or a time such as 1h, 30d or -1`)
	}
	if len(args) == 2 {
		return "modified " + last.text, nil
	}
	return last.text, nil
}

// redirectCodes are the return codes that take a redirect target.
var redirectCodes = map[int]bool{301: true, 302: true, 303: true, 307: true, 308: true}

// returnArgs reads "CODE [URL]" for a redirect, "CODE [TEXT]" otherwise.
func returnArgs(d *model.Directive, args []snippetToken) error {
	code, err := statusCode(200, 599)(args[0].text)
	if err != nil {
		return args[0].refused("want a status code from 200 to 599 first (%v)", err)
	}
	d.Code = code
	switch {
	case redirectCodes[code] && len(args) == 1:
		return args[0].refused("a redirect needs its target")
	case redirectCodes[code]:
		d.URL, err = redirectTarget(args[1].text, headerVars)
		if err != nil {
			return args[1].refused("%v", err)
		}
	case len(args) == 2:
		if d.Text, err = realm(args[1].text); err != nil {
			return args[1].refused("response text: %v", err)
		}
	}
	return nil
}

// redirectTarget accepts an absolute http(s) URL or a path, either of
// which may use the variables vars accepts.
func redirectTarget(s string, vars func(string) bool) (model.Template, error) {
	if strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "$scheme://") {
		return redirectURL(vars)(s)
	}
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") {
		return nil, errors.New("want an http:// or https:// URL, or a path beginning with a single /")
	}
	return parseTemplate(s, vars, grammar.URLChars)
}

// rewriteArgs reads "REGEX REPLACEMENT [FLAG]".
func rewriteArgs(d *model.Directive, args []snippetToken) error {
	re, ok := strings.CutPrefix(args[0].text, "^")
	if !ok {
		return args[0].refused(`a rewrite regex must be anchored: begin it with "^/"`)
	}
	if err := grammar.CheckRegex(re); err != nil {
		return args[0].refused("%v", err)
	}
	d.Regex = re
	var err error
	withGroups := func(v string) bool { return headerVars(v) || captureGroup(v) }
	if d.URL, err = redirectTarget(args[1].text, withGroups); err != nil {
		return args[1].refused("%v", err)
	}
	groups := grammar.RegexGroups(re)
	for _, part := range d.URL {
		if captureGroup(part.Var) && int(part.Var[0]-'0') > groups {
			return args[1].refused("it uses $%s, but the regex has %d capture groups", part.Var, groups)
		}
	}
	if len(args) == 3 {
		switch f := args[2].text; f {
		case "last", "break", "redirect", "permanent":
			d.Flag = f
		default:
			return args[2].refused("a rewrite flag is last, break, redirect or permanent")
		}
	}
	if (d.Flag == "" || d.Flag == "last") && mayBeInternal(d.URL) {
		return args[1].refused("with last or no flag nginx searches the locations again, and the result could be one of archway's own (%s/...), "+
			"which only archway may send requests to: begin the replacement with a literal first path segment, such as /app/$1", model.InternalPath)
	}
	return nil
}

// mayBeInternal reports whether a path template could give a path under
// model.InternalPath.
func mayBeInternal(t model.Template) bool {
	lead := ""
	if len(t) > 0 && t[0].Var == "" {
		lead = t[0].Text
	}
	if len(t) == 1 {
		return model.Internal(lead)
	}
	return model.Internal(lead) || strings.HasPrefix(model.InternalPath, lead)
}
