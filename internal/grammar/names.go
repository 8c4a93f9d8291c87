package grammar

import (
	"errors"
	"fmt"
	"strings"
)

// DNS name limits (RFC 1035), which resolvers, certificates and nginx's
// server names assume.
const (
	maxDNSLabel = 63
	maxDNSName  = 253
)

// CheckDNSName accepts a lowercase DNS name: at most 253 bytes of labels
// of 1 to 63 bytes of a-z, 0-9 and "-", neither first nor last; with
// wildcard, optionally after "*.", which counts in the 253 bytes as the
// API server counts it. Rule hosts, server-alias names, cors-allow-origin
// hosts and render's server names all pass here. Its errors complete
// "<name> is ...".
func CheckDNSName(name string, wildcard bool) error {
	if len(name) > maxDNSName {
		return fmt.Errorf("too long: a DNS name of %d bytes, at most %d are allowed", len(name), maxDNSName)
	}
	grammar := errNotDNSName
	if wildcard {
		grammar = errNotWildcardDNSName
		name, _ = strings.CutPrefix(name, "*.")
	}
	for label := range strings.SplitSeq(name, ".") {
		switch {
		case label == "" || label[0] == '-' || label[len(label)-1] == '-' || strings.ContainsFunc(label, notLabelRune):
			return grammar
		case len(label) > maxDNSLabel:
			return fmt.Errorf("too long: a DNS label of %d bytes, at most %d are allowed", len(label), maxDNSLabel)
		}
	}
	return nil
}

var (
	errNotDNSName         = errors.New("not a lowercase DNS name")
	errNotWildcardDNSName = errors.New(`not a lowercase DNS name, optionally after "*."`)
)

func notLabelRune(r rune) bool {
	return (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-'
}

// DNSName accepts a lowercase DNS name (CheckDNSName, no wildcard).
func DNSName(s string) (string, error) {
	return s, CheckDNSName(s, false)
}

// maxHeaderName bounds header names: far above any real one, and short
// enough for nginx's variable names ($http_<name>).
const maxHeaderName = 128

// HeaderName accepts an HTTP header name of 1 to 128 letters, digits, "-"
// and "_": the tokens of RFC 9110 that need no escaping in nginx.conf.
// "_" is accepted as ingress-nginx accepts it, although nginx ignores the
// client's headers whose names hold one (underscores_in_headers off).
func HeaderName(s string) (string, error) {
	if err := OnlyChars(s, "-_", maxHeaderName); err != nil {
		return "", fmt.Errorf("not a header name: %w", err)
	}
	return s, nil
}

// HeaderValueChars are the bytes of a header value besides letters and
// digits: printable ASCII but quotes, backslash, "$" and braces. ";" and
// "'" are common (HSTS, CSP) and harmless inside the quoted string package
// render writes.
const HeaderValueChars = " !#%&'()*+,-./:;<=>?@[]^_`|~"

// maxHeaderText bounds literal header values, as the Gateway API does.
const maxHeaderText = 4096

// HeaderText accepts a literal header value: 1 to 4096 letters, digits and
// HeaderValueChars, without a leading or trailing space. No line break,
// quote, backslash, brace or "$" (which nginx would read as a variable).
func HeaderText(s string) (string, error) {
	if err := OnlyChars(s, HeaderValueChars, maxHeaderText); err != nil {
		return "", fmt.Errorf("not a header value: %w", err)
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return "", errors.New("not a header value: leading or trailing space")
	}
	return s, nil
}

// Token accepts an HTTP header value made of one word: letters, digits and
// "-" (a Connection header value such as "keep-alive").
func Token(s string) (string, error) {
	if err := OnlyChars(s, "-", 64); err != nil {
		return "", err
	}
	return s, nil
}

// Method accepts an HTTP method name: 1 to 32 upper-case letters.
func Method(s string) (string, error) {
	if s == "" || len(s) > 32 || strings.IndexFunc(s, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0 {
		return "", errors.New("want an HTTP method such as GET, in upper case")
	}
	return s, nil
}

// MethodAnyCase is a Method written in any case, as CORS lists often are.
func MethodAnyCase(s string) (string, error) { return Method(strings.ToUpper(s)) }
