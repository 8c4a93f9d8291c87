package render

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
)

// templateToken returns t as one quoted nginx string. Text parts follow
// the rules of quote; each variable goes through name, which returns its
// nginx spelling or false when the variable may not appear here.
func templateToken(t model.Template, name func(string) (string, bool)) (string, error) {
	var b strings.Builder
	b.WriteByte('"')
	for _, part := range t {
		if part.Var == "" {
			q, err := quote(part.Text)
			if err != nil {
				return "", err
			}
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		n, ok := name(part.Var)
		if !ok {
			return "", fmt.Errorf("variable %q is not allowed here", part.Var)
		}
		b.WriteString(n)
	}
	b.WriteByte('"')
	return b.String(), nil
}

// plainVar spells a lowercase nginx variable name as "${name}", which no
// following text can extend. ingress-nginx's $best_http_host is
// http_clients.tmpl's $archway_best_http_host.
func plainVar(v string) (string, bool) {
	if !isWord(v) || v[0] < 'a' || v[0] > 'z' {
		return "", false
	}
	if v == "best_http_host" {
		v = "archway_best_http_host"
	}
	return "${" + v + "}", true
}

// captureVar spells a capture group "1".."9" as "$1".."$9"; nginx reads a
// single digit after "$", so following text cannot extend it.
func captureVar(v string) (string, bool) {
	if len(v) != 1 || v[0] < '1' || v[0] > '9' {
		return "", false
	}
	return "$" + v, true
}

// escapedRequestURI is the variable a location defines (with Lua, see
// location_policy.tmpl) for ingress-nginx's $escaped_request_uri.
const escapedRequestURI = "archway_escaped_request_uri"

// signInVar is plainVar, with $escaped_request_uri defined by the
// location.
func signInVar(v string) (string, bool) {
	if v == "escaped_request_uri" {
		v = escapedRequestURI
	}
	return plainVar(v)
}

// regexToken returns a regex path quoted, anchored at the start and
// bounded by grammar.RegexMatchLimit. flags ("(?i)" or "") come after the
// bound: PCRE reads "(*LIMIT_MATCH=n)" only at the very start.
func regexToken(path, flags string) (string, error) {
	if err := grammar.CheckRegex(path); err != nil {
		return "", err
	}
	return `"` + regexLimit + flags + "^" + path + `"`, nil
}

var regexLimit = "(*LIMIT_MATCH=" + strconv.Itoa(grammar.RegexMatchLimit) + ")"
