package render

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
)

// policyView is what location_policy.tmpl prints for the model.Policy of
// a location. Every string is a finished nginx token, or tokens Go built
// from validated parts; "" and nil print nothing.
type policyView struct {
	// Module is "proxy" or "grpc", the prefix of the backend directives.
	Module string
	// Rewrite phase, in the order printed.
	// Trace is $archway_trace: "on" or "trust" (tracing.go).
	Trace string
	// HTTPSRedirect is the target of plain HTTP requests, with the status
	// HTTPSRedirectCode.
	HTTPSRedirect     string
	HTTPSRedirectCode int
	// HTTPSOnly answers plain HTTP requests (that HTTPSRedirect did not
	// redirect) 403: the server requires a client certificate.
	HTTPSOnly     bool
	SetEscapedURI bool // defines $archway_escaped_request_uri
	CORS          *corsView
	AppRoot       string // redirect target of requests for "/"
	// RedirectPath is "REGEX TARGET", the rewrite that makes the path of
	// Return's URL ($archway_redirect_path, escaped).
	RedirectPath string
	Return       string // "CODE URL": the location only redirects
	// Snippet holds the directives of a configuration-snippet but
	// proxy_set_header (see Headers), without their ";". location.tmpl
	// prints them after the location sets $archway_backend, as Rewrite,
	// since a rewrite's "break" ends the rewrite directives.
	Snippet []string
	// Rewrite is "REGEX TARGET"; it is printed last, after the location
	// sets $archway_backend, because "break" ends the rewrite directives.
	Rewrite string
	// Access phase. Deny and Allow are quoted CIDRs, checked in that
	// order; with Allow, all other clients are denied.
	Deny, Allow []string
	LimitConn   string
	LimitReq    []string
	BasicAuth   *basicAuthView
	Auth        *authView
	// Body, buffers, timeouts and retries.
	ClientMaxBodySize, ClientBodyBufferSize  string
	Buffering, RequestBuffering              string
	BufferSize, Buffers, BusyBuffersSize     string
	MaxTempFileSize                          string
	ConnectTimeout, ReadTimeout, SendTimeout string
	NextUpstream, NextUpstreamTimeout        string
	NextUpstreamTries                        string
	HTTPVersion                              string
	// Headers, when set, replace every inherited proxy_set_header.
	Headers []headerView
	// ResponseHeaders are the lines that set, add and remove response
	// headers (custom-headers, an HTTPRoute's ResponseHeaderModifier).
	ResponseHeaders                         []string
	ProxyRedirect, CookieDomain, CookiePath string
	SSL                                     *sslView
	InterceptErrors                         bool
	ErrorPages                              []string // "CODE = @NAME"
	// MetricsLog is the access_log of the request metrics alone, for
	// locations whose Ingress turned its access log off.
	MetricsLog string
	WAF        *wafLocationView
}

// sslView configures TLS to the backend.
type sslView struct {
	Certificate, Key, Trusted string // quoted paths
	Verify, VerifyDepth       string
	Name, ServerName          string
}

type basicAuthView struct{ Realm, File string }

// locationPolicy returns r with the policy view of l (nil for the zero
// Policy on a server without client certificates), proxying in the
// backend's protocol.
func (p *policies) locationPolicy(l *model.Location, r route) (route, error) {
	if l.Policy.IsZero() {
		if p.clientAuth == nil {
			return r, nil
		}
		if l.Policy == nil { // the steps read the zero Policy
			asksNothing := *l
			asksNothing.Policy = &model.Policy{}
			l = &asksNothing
		}
	}
	scheme, module, err := protocolScheme(l.Policy.Protocol)
	if err != nil {
		return r, err
	}
	v := &policyView{Module: module}
	steps := []func(*policyView, model.Location) error{
		p.rewriteView, p.proxyView, p.headersView, p.sslView, p.limitView, p.basicAuthView,
		p.externalAuthView, p.corsView, p.errorsView, p.accessView, p.snippetView, p.responseHeadersView, p.wafView, metricsLogOnly, traceView,
	}
	for _, step := range steps {
		if err := step(v, *l); err != nil {
			return r, err
		}
	}
	if r.proxyPass != "" {
		upstream, ok := strings.CutPrefix(r.proxyPass, "http://")
		if !ok {
			return r, fmt.Errorf("proxy_pass %q is not http://", r.proxyPass)
		}
		if scheme != "http" || v.SSL != nil {
			upstream = p.pool(scheme, v.SSL)
		}
		r.proxyPass = scheme + "://" + upstream
	}
	r.policy = v
	return r, nil
}

// protocolScheme returns the scheme that proxies in protocol and the
// module that speaks it.
func protocolScheme(protocol model.BackendProtocol) (string, string, error) {
	switch protocol {
	case "", model.ProtocolHTTP:
		return "http", "proxy", nil
	case model.ProtocolHTTPS:
		return "https", "proxy", nil
	case model.ProtocolAutoHTTP:
		return "$scheme", "proxy", nil
	case model.ProtocolGRPC:
		return "grpc", "grpc", nil
	case model.ProtocolGRPCS:
		return "grpcs", "grpc", nil
	}
	return "", "", fmt.Errorf("unknown backend protocol %q", protocol)
}

// pool returns the balancer upstream for a protocol and TLS settings
// other than plain HTTP. nginx keeps idle connections per upstream and
// peer: a TLS connection verified (or authenticated with a client
// certificate) for one location must never be reused by a location with
// other settings, nor an HTTP/2 (gRPC) one by HTTP/1.1, so each distinct
// setting gets its own upstream.
func (p *policies) pool(scheme string, ssl *sslView) string {
	settings := ""
	if ssl != nil {
		settings = fmt.Sprint(*ssl)
	}
	name := "archway_pool_" + shortHash(scheme, settings)
	if p.once(name) {
		p.http.Pools = append(p.http.Pools, name)
	}
	return name
}

func (p *policies) rewriteView(v *policyView, l model.Location) error {
	pol := l.Policy
	var err error
	if pol.Redirect != nil {
		if pol.Redirect.Code < 300 || pol.Redirect.Code > 308 {
			return fmt.Errorf("redirect code %d", pol.Redirect.Code)
		}
		url, err := templateToken(pol.Redirect.URL, p.redirectVar)
		if err != nil {
			return fmt.Errorf("redirect: %w", err)
		}
		v.Return = strconv.Itoa(pol.Redirect.Code) + " " + url
		if pol.ReplacePrefix != nil {
			if v.RedirectPath, err = replacePrefix(l, *pol.ReplacePrefix); err != nil {
				return err
			}
		}
	}
	if pol.AppRoot != "" && l.Path == "/" && l.Match != model.MatchRegex {
		if v.AppRoot, err = templateToken(model.Template{{Var: "scheme"}, {Text: "://"}, {Var: "http_host"}, {Text: pol.AppRoot}}, plainVar); err != nil {
			return fmt.Errorf("app-root: %w", err)
		}
	}
	if pol.RewriteTarget != nil {
		target, err := templateToken(pol.RewriteTarget, captureVar)
		if err != nil {
			return fmt.Errorf("rewrite-target: %w", err)
		}
		// A literal path has no groups: any match replaces the whole URI.
		regex := `"^"`
		if l.Match == model.MatchRegex {
			if regex, err = regexToken(l.Path, "(?i)"); err != nil {
				return err
			}
		}
		v.Rewrite = regex + " " + target
	}
	if pol.ReplacePrefix != nil && pol.Redirect == nil {
		v.Rewrite, err = replacePrefix(l, *pol.ReplacePrefix)
	}
	return err
}

// replacePrefix returns the "REGEX TARGET" of a rewrite that replaces the
// path of Prefix location l with prefix: whole path elements (the
// location matched them), a trailing "/" of prefix ignored, and never an
// empty path. The path grammar leaves "." the one regex metacharacter,
// written "[.]".
func replacePrefix(l model.Location, prefix string) (string, error) {
	if l.Match != model.MatchPrefix {
		return "", fmt.Errorf("ReplacePrefix on a %s location", l.Match)
	}
	matched := strings.TrimSuffix(l.Path, "/")
	for _, path := range []string{matched, prefix} {
		if err := grammar.OnlyChars(path, grammar.PathChars, 1024); path != "" && err != nil {
			return "", fmt.Errorf("path %q: %w", path, err)
		}
	}
	rest := "(.*)$"
	if prefix = strings.TrimSuffix(prefix, "/"); prefix == "" {
		rest, prefix = "/?(.*)$", "/"
	}
	regex, err := regexToken(strings.ReplaceAll(matched, ".", "[.]")+rest, "")
	if err != nil {
		return "", err
	}
	target, err := templateToken(model.Template{{Text: prefix}, {Var: "1"}}, captureVar)
	return regex + " " + target, err
}

// redirectVar is plainVar, with model.Redirect's own variables.
func (p *policies) redirectVar(v string) (string, bool) {
	switch v {
	case "escaped_uri":
		return "${archway_redirect_path}", true
	case "port_80", "port_443":
		p.http.SchemePorts = true
		return "${archway_" + v + "}", true
	}
	return plainVar(v)
}

func (p *policies) proxyView(v *policyView, l model.Location) error {
	px := l.Policy.Proxy
	size := func(s *model.Size) string {
		if s == nil {
			return ""
		}
		return nginxSize(*s)
	}
	v.ClientMaxBodySize, v.ClientBodyBufferSize = size(px.BodySize), size(px.ClientBodyBufferSize)
	v.ConnectTimeout, v.ReadTimeout, v.SendTimeout = nginxTime(px.ConnectTimeout), nginxTime(px.ReadTimeout), nginxTime(px.SendTimeout)
	if px.NextUpstream != nil {
		words := make([]string, len(px.NextUpstream))
		for i, w := range px.NextUpstream {
			if !isWord(string(w)) {
				return fmt.Errorf("proxy_next_upstream condition %q", w)
			}
			words[i] = string(w)
		}
		v.NextUpstream = strings.Join(words, " ")
	}
	if px.NextUpstreamTimeout != nil {
		v.NextUpstreamTimeout = cmp.Or(nginxTime(*px.NextUpstreamTimeout), "0")
	}
	if px.NextUpstreamTries != nil {
		v.NextUpstreamTries = strconv.Itoa(max(*px.NextUpstreamTries, 0))
	}
	if px.BufferSize != nil || px.BuffersNumber > 0 || px.BusyBuffersSize != nil {
		buffer := model.Size(defaultBufferSize)
		if px.BufferSize != nil {
			buffer = *px.BufferSize
		}
		v.BufferSize = nginxSize(buffer)
		if v.Module == "proxy" {
			n := model.Size(cmp.Or(px.BuffersNumber, defaultBuffersNumber))
			// nginx wants busy buffers of at least one buffer and at most
			// all buffers but one; its default is two buffers.
			v.Buffers = strconv.Itoa(int(n)) + " " + v.BufferSize
			busy := min(2, n-1) * buffer
			if px.BusyBuffersSize != nil {
				busy = *px.BusyBuffersSize // build checked it against the buffers
			}
			v.BusyBuffersSize = nginxSize(busy)
		}
	}
	if v.Module != "proxy" {
		return nil // gRPC has no response buffering, HTTP version or redirects
	}
	onOff := func(b *bool) string {
		switch {
		case b == nil:
			return ""
		case *b:
			return "on"
		}
		return "off"
	}
	v.Buffering, v.RequestBuffering, v.MaxTempFileSize = onOff(px.Buffering), onOff(px.RequestBuffering), size(px.MaxTempFileSize)
	switch px.HTTPVersion {
	case "", "1.0", "1.1":
		v.HTTPVersion = string(px.HTTPVersion)
	default:
		return fmt.Errorf("HTTP version %q", px.HTTPVersion)
	}
	var err error
	if r := px.Redirect; r != nil {
		v.ProxyRedirect = "default"
		if r.From != "" {
			v.ProxyRedirect, err = quotePair(r.From, r.To)
		}
	}
	for _, c := range []struct {
		r   *model.Replace
		dst *string
	}{{px.CookieDomain, &v.CookieDomain}, {px.CookiePath, &v.CookiePath}} {
		if c.r != nil && err == nil {
			*c.dst, err = quotePair(c.r.From, c.r.To)
		}
	}
	return err
}

// The http block's proxy_buffer_size and proxy_buffers number.
const (
	defaultBufferSize    = 4 << 10
	defaultBuffersNumber = 4
)

// headersView sets the whole header list when the policy changes any
// request header (see proxyHeaders), or the server adds the client
// certificate headers. gRPC locations always set it: the http block's
// proxy_set_header does not reach grpc_pass.
func (p *policies) headersView(v *policyView, l model.Location) error {
	px, auth := l.Policy.Proxy, l.Policy.ExternalAuth
	snip := l.Policy.Snippet
	changes := l.Policy.RequestHeaders
	changed := px.Host != "" || px.Connection != "" || px.ForwardedPrefix != "" || auth != nil && len(auth.ResponseHeaders) > 0 ||
		len(changes.Set)+len(changes.Add)+len(changes.Remove) > 0 ||
		snip != nil && slices.ContainsFunc(snip.Directives, func(d model.Directive) bool { return d.Kind == model.ProxySetHeader })
	if !changed && v.Module != "grpc" && p.clientAuth == nil {
		return nil
	}
	var q quoter
	headers := append(p.proxyHeaders(), clientCertificateHeaders(p.clientAuth)...)
	if px.Host != "" {
		headers = setHeader(headers, "Host", q.quote(px.Host))
	}
	if px.Connection != "" {
		headers = setHeader(headers, "Connection", q.quote(px.Connection))
	}
	if px.ForwardedPrefix != "" {
		headers = setHeader(headers, "X-Forwarded-Prefix", q.quote(px.ForwardedPrefix))
	}
	if auth != nil {
		for _, name := range auth.ResponseHeaders {
			variable, err := authHeaderVar(name)
			if err != nil {
				return err
			}
			headers = setHeader(headers, q.quote(name), variable)
		}
	}
	if snip != nil {
		var err error
		if headers, err = proxySetHeaders(&q, headers, snip); err != nil {
			return fmt.Errorf("configuration-snippet: %w", err)
		}
	}
	headers, err := p.changeHeaders(headers, changes)
	if err != nil {
		return err
	}
	if v.Module == "grpc" {
		headers = hopByHop(headers)
	}
	v.Headers = headers
	return q.err
}

// nginxSize writes a size in the largest unit that divides it, never in
// "g": nginx reads "g" only in offsets (client_max_body_size), never in
// sizes (proxy_buffer_size 1g fails nginx -t).
func nginxSize(s model.Size) string {
	for _, u := range []struct {
		suffix string
		size   model.Size
	}{{"m", 1 << 20}, {"k", 1 << 10}} {
		if s != 0 && s%u.size == 0 {
			return strconv.FormatInt(int64(s/u.size), 10) + u.suffix
		}
	}
	return strconv.FormatInt(int64(s), 10)
}

// seconds writes a whole number of seconds, rounded up.
func seconds(d time.Duration) string {
	return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)
}

// isWord reports whether s is a non-empty lowercase word of [a-z0-9_].
func isWord(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_'
	}) < 0
}

// quotePair quotes two strings for a two-argument directive.
func quotePair(a, b string) (string, error) {
	var q quoter
	out := q.quote(a) + " " + q.quote(b)
	return out, q.err
}
