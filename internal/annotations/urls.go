package annotations

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
)

// Variables a template may name. Redirect and sign-in URLs may rebuild
// the request's own URL from variables that cannot hold CR or LF: nginx
// keeps $request_uri and $args as the client sent them (still
// percent-encoded), checks the Host header, and takes a method of letters
// only. Never $uri: nginx decodes it, so "/x%0d%0aSet-Cookie:..." would add
// a header to the redirect. Cache keys may also read request headers and
// cookies. $best_http_host is ingress-nginx's: the host a trusted peer
// forwarded, else the Host header, in host characters only (render
// defines it). An auth URL may name the scheme and the request's host
// only, so the client cannot steer its path. docs/annotations.md lists
// urlVarNames (redirectSyntax).
var (
	urlVarNames  = []string{"scheme", "host", "http_host", "best_http_host", "server_port", "request_uri", "args", "is_args", "request_method"}
	redirectVars = wordSet(urlVarNames...)
	signInVars   = wordSet(append(urlVarNames, "escaped_request_uri")...)
	authURLVars  = wordSet("scheme", "host", "best_http_host")
)

func wordSet(words ...string) func(string) bool {
	return func(s string) bool {
		for _, w := range words {
			if s == w {
				return true
			}
		}
		return false
	}
}

func captureGroup(s string) bool { return len(s) == 1 && '1' <= s[0] && s[0] <= '9' }

func cacheKeyVar(s string) bool {
	if wordSet("remote_user", "remote_addr", "host", "request_uri", "uri", "args", "scheme")(s) {
		return true
	}
	for _, prefix := range []string{"http_", "cookie_"} {
		if rest, ok := strings.CutPrefix(s, prefix); ok && rest != "" {
			return strings.IndexFunc(rest, func(r rune) bool {
				return (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_'
			}) < 0
		}
	}
	return false
}

// parseTemplate splits s into literal text, whose bytes must be letters,
// digits or in extra, and variables ("$name", "${name}" or a capture
// "$1") that allowed accepts.
func parseTemplate(s string, allowed func(string) bool, extra string) (model.Template, error) {
	if s == "" || len(s) > 2048 {
		return nil, errors.New("want 1 to 2048 characters")
	}
	var t model.Template
	for s != "" {
		if s[0] != '$' {
			n := strings.IndexByte(s, '$')
			if n < 0 {
				n = len(s)
			}
			if err := grammar.OnlyChars(s[:n], extra, len(s)); err != nil {
				return nil, err
			}
			t = append(t, model.TemplatePart{Text: s[:n]})
			s = s[n:]
			continue
		}
		name, n := readVar(s)
		if name == "" || !allowed(name) {
			return nil, fmt.Errorf("variable %q is not allowed here", s[:max(n, 1)])
		}
		t = append(t, model.TemplatePart{Var: name})
		s = s[n:]
	}
	return t, nil
}

// readVar reads the variable at the start of s ("$name", "${name}", or a
// one-digit capture "$1" as nginx reads them) and returns its name and
// length; the name is "" when there is none.
func readVar(s string) (string, int) {
	if strings.HasPrefix(s, "${") {
		end := strings.IndexByte(s, '}')
		if end < 0 {
			return "", len(s)
		}
		return lowerName(s[2:end]), end + 1
	}
	if len(s) > 1 && '0' <= s[1] && s[1] <= '9' {
		return s[1:2], 2
	}
	n := 1
	for n < len(s) && (s[n] == '_' || 'a' <= s[n] && s[n] <= 'z' || '0' <= s[n] && s[n] <= '9') {
		n++
	}
	return s[1:n], n
}

// lowerName returns s if it is a lowercase variable name, else "".
func lowerName(s string) string {
	if s == "" || strings.IndexFunc(s, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_'
	}) >= 0 {
		return ""
	}
	return s
}

// rewriteTarget accepts a path that may use the capture groups $1..$9 of
// the location's path and may carry a query: "/$2", "/api/$1?x=1".
func rewriteTarget(s string) (model.Template, error) {
	if !strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "$") {
		return nil, errors.New("must begin with / or a capture group such as $1")
	}
	return parseTemplate(s, captureGroup, grammar.PathChars+"%!*()+,=:@&?")
}

// redirectURL accepts an absolute http or https URL that may rebuild parts
// of the request's URL: "https://example.com$request_uri".
func redirectURL(vars func(string) bool) func(string) (model.Template, error) {
	return func(s string) (model.Template, error) {
		t, err := parseTemplate(s, vars, grammar.URLChars)
		if err != nil {
			return nil, err
		}
		// Check the shape with stand-ins for the variables.
		var probe strings.Builder
		for _, p := range t {
			switch p.Var {
			case "":
				probe.WriteString(p.Text)
			case "scheme":
				probe.WriteString("http")
			case "host", "http_host", "best_http_host":
				probe.WriteString("host.invalid")
			case "server_port":
				probe.WriteString("80")
			default:
				probe.WriteString("/x")
			}
		}
		if _, err := grammar.AbsoluteURL(probe.String()); err != nil {
			return nil, err
		}
		return t, nil
	}
}

// upstreamVhost accepts a host[:port] that may name $service_name and
// $namespace, which build fills in for each path (with DNS labels, so the
// result is still a host), as ingress-nginx set them in every location.
func upstreamVhost(s string) (string, error) {
	t, err := parseTemplate(s, wordSet("service_name", "namespace"), ".-:[]")
	if err != nil {
		return "", err
	}
	var probe strings.Builder
	for _, p := range t {
		probe.WriteString(cmp.Or(p.Text, "a"))
	}
	if _, err := grammar.HostPort(probe.String()); err != nil {
		return "", err
	}
	return s, nil
}

// origins accepts "*" or a list of origins such as "https://example.com",
// "http://example.com:8080" or "https://*.example.com" (one extra label).
func origins(s string) (model.CORS, error) {
	items, err := grammar.List(origin)(s)
	if err != nil {
		return model.CORS{}, err
	}
	var c model.CORS
	for _, o := range items {
		if o.Host == "*" {
			c.AnyOrigin = true
			continue
		}
		c.AllowOrigins = append(c.AllowOrigins, o)
	}
	if c.AnyOrigin {
		c.AllowOrigins = nil
	}
	return c, nil
}

func origin(s string) (model.Origin, error) {
	if s == "*" {
		return model.Origin{Host: "*"}, nil
	}
	scheme, rest, ok := strings.Cut(strings.ToLower(s), "://")
	if !ok || scheme != "http" && scheme != "https" {
		return model.Origin{}, errors.New("want http://host[:port] or https://host[:port]")
	}
	o := model.Origin{Scheme: scheme, Host: rest}
	if h, p, ok := strings.Cut(rest, ":"); ok {
		port, err := grammar.IntRange(1, 65535)(p)
		if err != nil {
			return model.Origin{}, fmt.Errorf("port: %w", err)
		}
		o.Host, o.Port = h, port
	}
	if a, err := netip.ParseAddr(o.Host); err == nil && a.Is4() {
		return o, nil
	}
	if err := grammar.CheckDNSName(o.Host, true); err != nil {
		return model.Origin{}, fmt.Errorf("host %q is %w", o.Host, err)
	}
	return o, nil
}

// cacheValid reads auth-cache-duration: groups separated by commas, each
// made of status codes (or "any") then a duration: "200 202 10m, 401 5m".
func cacheValid(s string) ([]model.CacheValid, error) {
	groups, err := grammar.List(func(g string) (model.CacheValid, error) {
		fields := strings.Fields(g)
		d, err := grammar.Durations(1, 365*24*time.Hour)(fields[len(fields)-1])
		if err != nil {
			return model.CacheValid{}, err
		}
		v := model.CacheValid{Duration: d}
		for _, f := range fields[:len(fields)-1] {
			if f == "any" {
				continue
			}
			code, err := statusCode(100, 599)(f)
			if err != nil {
				return model.CacheValid{}, fmt.Errorf("code %q: %w", f, err)
			}
			v.Codes = append(v.Codes, code)
		}
		return v, nil
	})(s)
	return groups, err
}

// SecretRef names a Secret; Namespace is "" for the Ingress's own.
type SecretRef struct {
	Namespace, Name string
}

// secretRef accepts "name" or "namespace/name".
func secretRef(s string) (SecretRef, error) {
	ns, name, ok := strings.Cut(s, "/")
	if !ok {
		ns, name = "", s
	} else if len(validation.IsDNS1123Label(ns)) > 0 {
		return SecretRef{}, errors.New("namespace is not a lowercase DNS label")
	}
	if len(validation.IsDNS1123Subdomain(name)) > 0 {
		return SecretRef{}, errors.New(`want a Secret name or "namespace/name"`)
	}
	return SecretRef{Namespace: ns, Name: name}, nil
}

// serviceName accepts the name of a Service in the Ingress's namespace.
func serviceName(s string) (string, error) {
	if len(validation.IsDNS1035Label(s)) > 0 {
		return "", errors.New("not a Service name (a lowercase DNS label)")
	}
	return s, nil
}

// replacePair accepts "off" (nil) or two words "FROM TO" made of letters,
// digits and extra.
func replacePair(extra string) func(string) (*model.Replace, error) {
	return func(s string) (*model.Replace, error) {
		if s == "off" {
			return nil, nil
		}
		fields := strings.Fields(s)
		if len(fields) != 2 {
			return nil, errors.New(`want "off" or two values separated by a space`)
		}
		for _, f := range fields {
			if err := grammar.OnlyChars(f, extra, 256); err != nil {
				return nil, fmt.Errorf("%q: %w", f, err)
			}
		}
		return &model.Replace{From: fields[0], To: fields[1]}, nil
	}
}

// redirectText accepts one word of a proxy_redirect rule: URL characters,
// never a leading "~" (nginx would read a regex).
func redirectText(s string) (string, error) {
	if strings.HasPrefix(s, "~") {
		return "", errors.New("must not begin with ~ (regexes are not supported)")
	}
	if err := grammar.OnlyChars(s, grammar.URLChars, 1024); err != nil {
		return "", err
	}
	return s, nil
}
