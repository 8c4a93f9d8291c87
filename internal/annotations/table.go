package annotations

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
)

// Grammars shown in the docs.
const (
	sizeSyntax     = "size: bytes, or a number with `k`, `m` or `g` (`512`, `8k`, `16m`)"
	boolSyntax     = "`true` or `false` (or `1`, `0`: see Value grammars)"
	onOffSyntax    = "`on` or `off`"
	secondsSyntax  = "seconds (`60`), or a number with `ms`, `s`, `m`, `h` or `d` (`1500ms`, `5m`)"
	pathSyntax     = "an absolute path of letters, digits and `-._~/`"
	redirectSyntax = "an `http://` or `https://` URL; may use `$scheme`, `$host`, `$http_host`, `$best_http_host`, `$server_port`, `$request_uri`, `$args`, `$is_args`, `$request_method`"
	// noURI ends the syntax of every redirect.
	noURI        = " (never `$uri`: nginx decodes it, so it could carry CR LF into the response's headers)"
	cidrSyntax   = "comma-separated IP addresses or CIDRs (`10.0.0.0/8, 192.168.1.1`)"
	secretSyntax = "a Secret name, or `namespace/name` with the Ingress's own namespace"
)

// Specs returns the annotation table, sorted by group and key as the docs
// list it.
func Specs() []Spec {
	return slices.Concat(proxySpecs(), backendSpecs(), rewriteSpecs(), authSpecs(), clientAuthSpecs(), trafficSpecs(),
		balancingSpecs(), canarySpecs(), accessSpecs(), wafSpecs(), tracingSpecs())
}

func proxySpecs() []Spec {
	const g = "Body, buffering and timeouts"
	size := func(f func(*Parsed) **model.Size) func(*Parsed, model.Size) {
		return func(p *Parsed, v model.Size) { *f(p) = &v }
	}
	onOff := func(f func(*Parsed) **bool) func(string, *Parsed) error {
		return set(grammar.OnOff, func(p *Parsed, v bool) { *f(p) = &v })
	}
	timeout := func(f func(*Parsed) *time.Duration) func(string, *Parsed) error {
		return set(grammar.Durations(time.Millisecond, 7*24*time.Hour), func(p *Parsed, v time.Duration) { *f(p) = v })
	}
	px := func(p *Parsed) *model.Proxy { return &p.Location.Proxy }
	return []Spec{
		{Key: "proxy-body-size", Group: g, Scope: ScopeLocation, Syntax: sizeSyntax + "; `0` is unlimited", Default: "1m",
			Doc:   "Largest request body accepted; larger ones get 413.",
			apply: set(grammar.Size[model.Size], size(func(p *Parsed) **model.Size { return &px(p).BodySize }))},
		{Key: "client-body-buffer-size", Group: g, Scope: ScopeLocation, Syntax: sizeSyntax, Default: "8k",
			Doc:   "Memory buffer for a request body; larger bodies go to a temporary file.",
			apply: set(grammar.PositiveSize[model.Size], size(func(p *Parsed) **model.Size { return &px(p).ClientBodyBufferSize }))},
		{Key: "proxy-buffering", Group: g, Scope: ScopeLocation, Syntax: onOffSyntax, Default: "off",
			Doc:   "Buffer responses from the backend instead of streaming them.",
			apply: onOff(func(p *Parsed) **bool { return &px(p).Buffering })},
		{Key: "proxy-buffer-size", Group: g, Scope: ScopeLocation, Syntax: sizeSyntax, Default: "4k",
			Doc:   "Buffer for the response headers, and the size of each response buffer.",
			apply: set(grammar.PositiveSize[model.Size], size(func(p *Parsed) **model.Size { return &px(p).BufferSize }))},
		{Key: "proxy-buffers-number", Group: g, Scope: ScopeLocation, Syntax: "a number from 2 to 1024", Default: "4",
			Doc:   "Number of response buffers.",
			apply: set(grammar.IntRange(2, 1024), func(p *Parsed, v int) { px(p).BuffersNumber = v })},
		{Key: "proxy-busy-buffers-size", Group: g, Scope: ScopeLocation, Syntax: sizeSyntax + "; from one buffer to all buffers but one", Default: "8k",
			Doc:   "How much of the response buffers may be busy sending to the client while the response is still being read.",
			apply: set(grammar.PositiveSize[model.Size], size(func(p *Parsed) **model.Size { return &px(p).BusyBuffersSize }))},
		{Key: "proxy-request-buffering", Group: g, Scope: ScopeLocation, Syntax: onOffSyntax, Default: "on",
			Doc:   "Read the whole request body before proxying it.",
			apply: onOff(func(p *Parsed) **bool { return &px(p).RequestBuffering })},
		{Key: "proxy-max-temp-file-size", Group: g, Scope: ScopeLocation, Syntax: sizeSyntax + "; `0` or at least the buffer size", Default: "1024m",
			Doc:   "Largest temporary file for a buffered response; `0` turns temporary files off.",
			apply: set(grammar.Size[model.Size], size(func(p *Parsed) **model.Size { return &px(p).MaxTempFileSize }))},
		{Key: "proxy-connect-timeout", Group: g, Scope: ScopeLocation, Syntax: secondsSyntax, Default: "5",
			Doc:   "Time to connect to the backend.",
			apply: timeout(func(p *Parsed) *time.Duration { return &px(p).ConnectTimeout })},
		{Key: "proxy-read-timeout", Group: g, Scope: ScopeLocation, Syntax: secondsSyntax, Default: "60",
			Doc:   "Longest wait between two reads from the backend (504 when exceeded); raise it for long polls and websockets.",
			apply: timeout(func(p *Parsed) *time.Duration { return &px(p).ReadTimeout })},
		{Key: "proxy-send-timeout", Group: g, Scope: ScopeLocation, Syntax: secondsSyntax, Default: "60",
			Doc:   "Longest wait between two writes to the backend.",
			apply: timeout(func(p *Parsed) *time.Duration { return &px(p).SendTimeout })},
		{Key: "proxy-next-upstream", Group: g, Scope: ScopeLocation,
			Syntax:  "space-separated: `error`, `timeout`, `invalid_header`, `http_500`, `http_502`, `http_503`, `http_504`, `http_403`, `http_404`, `http_429`, `non_idempotent`; or `off`",
			Default: "error timeout",
			Doc:     "When a request is retried on another endpoint.",
			apply:   set(parseNextUpstream, func(p *Parsed, v []model.NextUpstream) { px(p).NextUpstream = v })},
		{Key: "proxy-next-upstream-timeout", Group: g, Scope: ScopeLocation, Syntax: secondsSyntax, Default: "0",
			Doc:   "Time limit for retries; `0` is none.",
			apply: set(grammar.Durations(0, 7*24*time.Hour), func(p *Parsed, v time.Duration) { px(p).NextUpstreamTimeout = &v })},
		{Key: "proxy-next-upstream-tries", Group: g, Scope: ScopeLocation, Syntax: "a number from 0 to 100", Default: "3",
			Doc:   "Most attempts per request; `0` is no limit.",
			apply: set(grammar.IntRange(0, 100), func(p *Parsed, v int) { px(p).NextUpstreamTries = &v })},
		{Key: "proxy-http-version", Group: g, Scope: ScopeLocation, Syntax: "`1.0` or `1.1`", Default: "1.1",
			Doc:   "HTTP version spoken to the backend.",
			apply: set(grammar.OneOf[model.HTTPVersion]("1.0", "1.1"), func(p *Parsed, v model.HTTPVersion) { px(p).HTTPVersion = v })},
		{Key: "enable-access-log", Group: g, Scope: ScopeLocation, Syntax: boolSyntax, Default: "true",
			Doc:   "`false`: no access log line for the Ingress's paths; the request metrics still count them.",
			apply: set(grammar.Bool, func(p *Parsed, v bool) { p.Location.AccessLog = &v })},
	}
}

func backendSpecs() []Spec {
	const g = "Backend protocol and headers"
	tlsOnOff := func(store func(*model.BackendTLS, bool)) func(string, *Parsed) error {
		return set(grammar.OnOff, func(p *Parsed, v bool) { store(backendTLS(p), v) })
	}
	return []Spec{
		{Key: "backend-protocol", Group: g, Scope: ScopeLocation, Syntax: "`HTTP`, `HTTPS`, `GRPC`, `GRPCS` or `AUTO_HTTP` (the client's scheme)", Default: "HTTP",
			Doc: "Protocol spoken to the backend.",
			apply: set(grammar.OneOf(model.ProtocolHTTP, model.ProtocolHTTPS, model.ProtocolGRPC, model.ProtocolGRPCS, model.ProtocolAutoHTTP),
				func(p *Parsed, v model.BackendProtocol) { p.Location.Protocol = v })},
		{Key: "secure-backends", Group: g, Scope: ScopeLocation, Syntax: boolSyntax, Default: "false",
			Doc:   "Legacy: `true` means `backend-protocol: HTTPS` unless backend-protocol is set.",
			apply: set(grammar.Bool, func(p *Parsed, v bool) { p.Location.SecureBackends = v })},
		{Key: "proxy-ssl-secret", Group: g, Scope: ScopeLocation, Syntax: secretSyntax,
			Doc:   "Secret with `tls.crt` and `tls.key` (client certificate presented to the backend) and/or `ca.crt` (to verify it). The certificates of `tls.crt` are checked as for TLS Secrets (a key OpenSSL accepts: RSA of at least 2048 bits, ECDSA P-256, P-384 or P-521, or Ed25519; no MD5 or SHA-1 signature).",
			apply: set(secretRef, func(p *Parsed, v SecretRef) { backendTLS(p); p.Location.ProxySSLSecret = &v })},
		{Key: "proxy-ssl-verify", Group: g, Scope: ScopeLocation, Syntax: onOffSyntax, Default: "off",
			Doc:   "Verify the backend's certificate against `ca.crt` of proxy-ssl-secret.",
			apply: tlsOnOff(func(t *model.BackendTLS, v bool) { t.Verify = v })},
		{Key: "proxy-ssl-verify-depth", Group: g, Scope: ScopeLocation, Syntax: "a number from 1 to 100", Default: "1",
			Doc:   "Longest certificate chain accepted from the backend.",
			apply: set(grammar.IntRange(1, 100), func(p *Parsed, v int) { backendTLS(p).VerifyDepth = v })},
		{Key: "proxy-ssl-name", Group: g, Scope: ScopeLocation, Syntax: "a lowercase DNS name",
			Doc:   "Name verified in the backend's certificate and sent with SNI.",
			apply: set(grammar.DNSName, func(p *Parsed, v string) { backendTLS(p).ServerName = v })},
		{Key: "proxy-ssl-server-name", Group: g, Scope: ScopeLocation, Syntax: onOffSyntax, Default: "off",
			Doc:   "Send SNI to the backend.",
			apply: tlsOnOff(func(t *model.BackendTLS, v bool) { t.SNI = v })},
		{Key: "upstream-vhost", Group: g, Scope: ScopeLocation, Syntax: "a DNS name or IP address, optionally with `:port`; may use `$service_name` and `$namespace`",
			Doc:   "Host header sent to the backend instead of the request's; `$service_name` and `$namespace` are each path's backend Service and the Ingress's namespace (`$service_name.$namespace.svc.cluster.local`).",
			apply: set(upstreamVhost, func(p *Parsed, v string) { p.Location.Proxy.Host = v })},
		{Key: "connection-proxy-header", Group: g, Scope: ScopeLocation, Syntax: "one word of letters, digits and `-` (`keep-alive`, `close`)",
			Doc:   "Connection header sent to the backend instead of the upgrade-aware default.",
			apply: set(grammar.Token, func(p *Parsed, v string) { p.Location.Proxy.Connection = v })},
		{Key: "x-forwarded-prefix", Group: g, Scope: ScopeLocation, Syntax: pathSyntax,
			Doc:   "Sent to the backend as the X-Forwarded-Prefix header.",
			apply: set(grammar.URLPath, func(p *Parsed, v string) { p.Location.Proxy.ForwardedPrefix = v })},
		{Key: "custom-headers", Group: g, Scope: ScopeLocation, Syntax: "a ConfigMap name, or `namespace/name` with the Ingress's own namespace",
			Doc: "Response headers set on every answer of the Ingress's paths, error answers included: each key of the ConfigMap is a header name, its value the header's value (" +
				"the grammar of the ConfigMap's `add-headers`). Only the names the ConfigMap key `global-allowed-response-headers` lists are set; another key is skipped and reported. " +
				"A ConfigMap that does not exist makes the paths answer 503. Changes to the ConfigMap apply without a restart.",
			apply: set(secretRef, func(p *Parsed, v SecretRef) { p.Location.CustomHeaders = &v })},
		{Key: "proxy-redirect-from", Group: g, Scope: ScopeLocation, Syntax: "`off`, `default`, or URL text without spaces", Default: "off",
			Doc:   "Text replaced by proxy-redirect-to in the backend's Location and Refresh headers.",
			apply: set(redirectFrom, func(p *Parsed, v string) { p.Location.ProxyRedirectFrom = v })},
		{Key: "proxy-redirect-to", Group: g, Scope: ScopeLocation, Syntax: "URL text without spaces",
			Doc:   "Replacement for proxy-redirect-from.",
			apply: set(redirectText, func(p *Parsed, v string) { p.Location.ProxyRedirectTo = v })},
		{Key: "proxy-cookie-domain", Group: g, Scope: ScopeLocation, Syntax: "`off`, or `FROM TO`: two domains", Default: "off",
			Doc:   "Rewrites the domain attribute of the backend's Set-Cookie headers.",
			apply: set(replacePair(".-"), func(p *Parsed, v *model.Replace) { p.Location.Proxy.CookieDomain = v })},
		{Key: "proxy-cookie-path", Group: g, Scope: ScopeLocation, Syntax: "`off`, or `FROM TO`: two paths", Default: "off",
			Doc:   "Rewrites the path attribute of the backend's Set-Cookie headers.",
			apply: set(replacePair(grammar.PathChars), func(p *Parsed, v *model.Replace) { p.Location.Proxy.CookiePath = v })},
	}
}

// redirectFrom is "off", "default" or redirectText.
func redirectFrom(s string) (string, error) {
	if s == "off" || s == "default" {
		return s, nil
	}
	return redirectText(s)
}

func rewriteSpecs() []Spec {
	const g = "Rewrites, redirects and hosts"
	return []Spec{
		{Key: "rewrite-target", Group: g, Scope: ScopeLocation, Syntax: "a path that may use the path's capture groups `$1`..`$9` and a query (`/$2`, `/api/$1?v=1`)",
			Doc:   "Replaces the whole request path before proxying; makes the Ingress's ImplementationSpecific paths regexes.",
			apply: set(rewriteTarget, func(p *Parsed, v model.Template) { p.Location.RewriteTarget = v })},
		{Key: "use-regex", Group: g, Scope: ScopeLocation, Syntax: boolSyntax, Default: "false",
			Doc: "The Ingress's ImplementationSpecific paths are case-insensitive regexes, anchored at the start, in the syntax that nginx's PCRE and Go's RE2 share: " +
				"no named groups (use `$1`..`$9`), no repetition inside a repeated group (`(a+)+`), no POSIX classes; " +
				"a match that backtracks past PCRE's match limit answers 500 (see the README's routing rules).",
			apply: set(grammar.Bool, func(p *Parsed, v bool) { p.Location.UseRegex = v })},
		{Key: "app-root", Group: g, Scope: ScopeLocation, Syntax: pathSyntax,
			Doc:   "Requests for `/` itself are redirected (302) to this path.",
			apply: set(grammar.URLPath, func(p *Parsed, v string) { p.Location.AppRoot = v })},
		{Key: "permanent-redirect", Group: g, Scope: ScopeLocation, Syntax: redirectSyntax + noURI,
			Doc:   "Every request is redirected here instead of proxied.",
			apply: set(redirectURL(redirectVars), func(p *Parsed, v model.Template) { p.Location.PermanentRedirect = v })},
		{Key: "permanent-redirect-code", Group: g, Scope: ScopeLocation, Syntax: "a status from 300 to 308", Default: "301", seed: true,
			Doc:   "Status of permanent-redirect.",
			apply: set(statusCode(300, 308), func(p *Parsed, v int) { p.Location.PermanentRedirectCode = v })},
		{Key: "temporal-redirect", Group: g, Scope: ScopeLocation, Syntax: redirectSyntax + noURI,
			Doc:   "Every request is redirected here (302) instead of proxied; wins over permanent-redirect.",
			apply: set(redirectURL(redirectVars), func(p *Parsed, v model.Template) { p.Location.TemporalRedirect = v })},
		{Key: "from-to-www-redirect", Group: g, Scope: ScopeServer, Syntax: boolSyntax, Default: "false",
			Doc:   "Redirects (308) `www.<host>` to `<host>`, or `<host>` to `www.<host>` for a `www.` host, unless the other name is served.",
			apply: set(grammar.Bool, func(p *Parsed, v bool) { p.Server.FromToWWW = v })},
		{Key: "server-alias", Group: g, Scope: ScopeServer, Syntax: "comma-separated lowercase DNS names (labels of at most 63 bytes, at most 253 in all)",
			Doc:   "More names for the Ingress's hosts; a name served as a host or by an older alias is not added.",
			apply: set(grammar.List(grammar.DNSName), func(p *Parsed, v []string) { p.Server.Aliases = v })},
	}
}

func authSpecs() []Spec {
	const g = "Authentication"
	ext := func(p *Parsed) *model.ExternalAuth { return &p.Location.ExternalAuth }
	return []Spec{
		{Key: "auth-type", Group: g, Scope: ScopeLocation, Syntax: "`basic` (nginx has no digest authentication)",
			Doc:   "Asks for a user and password from auth-secret.",
			apply: set(authType, func(p *Parsed, v string) { p.Location.AuthType = v })},
		{Key: "auth-secret", Group: g, Scope: ScopeLocation, Syntax: secretSyntax,
			Doc:   "Secret with the users, as auth-secret-type says.",
			apply: set(secretRef, func(p *Parsed, v SecretRef) { p.Location.AuthSecret = &v })},
		{Key: "auth-secret-type", Group: g, Scope: ScopeLocation, Syntax: "`auth-file` (an htpasswd file in the key `auth`) or `auth-map` (one key per user, the value its hash)",
			Default: "auth-file", seed: true,
			Doc:   "How auth-secret holds its users.",
			apply: set(grammar.OneOf(AuthFile, AuthMap), func(p *Parsed, v AuthSecretType) { p.Location.AuthSecretType = v })},
		{Key: "auth-realm", Group: g, Scope: ScopeLocation, Syntax: "letters, digits, spaces and `-_.,:/()@!+=`", Default: "Authentication Required", seed: true,
			Doc:   "Realm shown by the browser's password prompt.",
			apply: set(realm, func(p *Parsed, v string) { p.Location.AuthRealm = v })},
		{Key: "auth-url", Group: g, Scope: ScopeLocation,
			Syntax: "an `http://` or `https://` URL; may use `$scheme`, `$host` and `$best_http_host` (the request's host; refused on rules without a host, where the client would choose it); the host `unix` is refused (nginx would read a socket path)",
			Doc:    "Each request is first sent (without its body) to this URL: 2xx lets it through, 401 and 403 are returned to the client.",
			apply:  set(redirectURL(authURLVars), func(p *Parsed, v model.Template) { ext(p).URL = v })},
		{Key: "auth-method", Group: g, Scope: ScopeLocation, Syntax: "an HTTP method in upper case",
			Doc:   "Method of the auth request; the client's by default.",
			apply: set(grammar.Method, func(p *Parsed, v string) { ext(p).Method = v })},
		{Key: "auth-signin", Group: g, Scope: ScopeLocation, Syntax: redirectSyntax + ", `$escaped_request_uri`" + noURI,
			Doc:   "Where a 401 from auth-url redirects the client; `rd=` with the request's URL is added unless present.",
			apply: set(redirectURL(signInVars), func(p *Parsed, v model.Template) { ext(p).SignIn = v })},
		{Key: "auth-signin-redirect-param", Group: g, Scope: ScopeLocation, Syntax: "a query parameter name: letters, digits, `-` and `_`", Default: "rd",
			Doc:   "The query parameter with the request's URL that is added to auth-signin unless present.",
			apply: set(redirectParam, func(p *Parsed, v string) { ext(p).SignInRedirectParam = v })},
		{Key: "auth-always-set-cookie", Group: g, Scope: ScopeLocation, Syntax: boolSyntax, Default: "false",
			Doc:   "Passes the auth response's Set-Cookie to the client on every answer (a 401 too), not only when the request is let through.",
			apply: set(grammar.Bool, func(p *Parsed, v bool) { ext(p).AlwaysSetCookie = v })},
		{Key: "auth-response-headers", Group: g, Scope: ScopeLocation, Syntax: "comma-separated header names",
			Doc:   "Headers of the auth response copied to the request sent to the backend.",
			apply: set(grammar.List(grammar.HeaderName), func(p *Parsed, v []string) { ext(p).ResponseHeaders = v })},
		{Key: "auth-request-redirect", Group: g, Scope: ScopeLocation, Syntax: "URL text without spaces or variables",
			Doc:   "Sent to auth-url as X-Auth-Request-Redirect; the request URI by default.",
			apply: set(redirectText, func(p *Parsed, v string) { ext(p).RequestRedirect = v })},
		{Key: "auth-cache-key", Group: g, Scope: ScopeLocation,
			Syntax: "variables `$remote_user`, `$remote_addr`, `$host`, `$request_uri`, `$uri`, `$args`, `$scheme`, `$http_NAME`, `$cookie_NAME` and the text `-_.:/`",
			Doc:    "Caches auth responses under this key (per location) for auth-cache-duration.",
			apply: set(func(s string) (model.Template, error) { return parseTemplate(s, cacheKeyVar, "-_.:/") },
				func(p *Parsed, v model.Template) { ext(p).CacheKey = v })},
		{Key: "auth-cache-duration", Group: g, Scope: ScopeLocation, Syntax: "comma-separated groups of status codes (or `any`) and a duration (`200 202 10m, 401 5m`)",
			Default: "200 202 401 5m", seed: true,
			Doc:   "How long cached auth responses are kept, by status.",
			apply: set(cacheValid, func(p *Parsed, v []model.CacheValid) { ext(p).CacheValid = v })},
		{Key: "enable-global-auth", Group: g, Scope: ScopeLocation, Syntax: boolSyntax, Default: "true", seed: true,
			Doc:   "`false` keeps the external auth of the controller's ConfigMap (`global-auth-url`) off this Ingress's paths only (as in ingress-nginx: it cannot open another Ingress's paths); an Ingress with its own auth-url uses that one instead.",
			apply: set(grammar.Bool, func(p *Parsed, v bool) { p.Location.GlobalAuth = v })},
	}
}

// redirectParam accepts a query parameter name of up to 64 letters,
// digits, "-" and "_".
func redirectParam(s string) (string, error) {
	if err := grammar.OnlyChars(s, "-_", 64); err != nil {
		return "", err
	}
	return s, nil
}

// authType accepts "basic"; "digest" is refused with its reason.
func authType(s string) (string, error) {
	switch s {
	case "basic":
		return s, nil
	case "digest":
		return "", errors.New("digest authentication is not supported: nginx has no digest module")
	}
	return "", errors.New(`want "basic"`)
}

func trafficSpecs() []Spec {
	const g = "Rate limits, CORS and errors"
	rl := func(p *Parsed) *model.RateLimit { return &p.Location.RateLimit }
	cors := func(p *Parsed) *model.CORS { return &p.Location.CORS }
	limit := grammar.IntRange(0, 1_000_000)
	return []Spec{
		{Key: "limit-rps", Group: g, Scope: ScopeLocation, Syntax: "a number from 0 to 1000000", Default: "0",
			Doc:   "Requests per second per client address, per replica; excess requests get 503.",
			apply: set(limit, func(p *Parsed, v int) { rl(p).RPS = v })},
		{Key: "limit-rpm", Group: g, Scope: ScopeLocation, Syntax: "a number from 0 to 1000000", Default: "0",
			Doc:   "Requests per minute per client address, per replica; excess requests get 503.",
			apply: set(limit, func(p *Parsed, v int) { rl(p).RPM = v })},
		{Key: "limit-connections", Group: g, Scope: ScopeLocation, Syntax: "a number from 0 to 1000000", Default: "0",
			Doc:   "Concurrent connections per client address, per replica; excess ones get 503.",
			apply: set(limit, func(p *Parsed, v int) { rl(p).Connections = v })},
		{Key: "limit-burst-multiplier", Group: g, Scope: ScopeLocation, Syntax: "a number from 1 to 1000", Default: "5", seed: true,
			Doc:   "Burst allowed above limit-rps and limit-rpm, as a multiple of the rate.",
			apply: set(grammar.IntRange(1, 1000), func(p *Parsed, v int) { rl(p).BurstMultiplier = v })},
		{Key: "limit-whitelist", Group: g, Scope: ScopeLocation, Syntax: cidrSyntax,
			Doc:   "Client networks the limits never apply to.",
			apply: set(grammar.List(grammar.CIDR), func(p *Parsed, v []netip.Prefix) { rl(p).Allow = v })},
		{Key: "enable-cors", Group: g, Scope: ScopeLocation, Syntax: boolSyntax, Default: "false",
			Doc:   "Answers CORS preflight requests (204) and adds CORS headers to responses.",
			apply: set(grammar.Bool, func(p *Parsed, v bool) { p.Location.EnableCORS = v })},
		{Key: "cors-allow-origin", Group: g, Scope: ScopeLocation, Syntax: "`*`, or comma-separated `http(s)://host[:port]` where host is an IPv4 address or a DNS name (as in `server-alias`) that may start with `*.` (one label)", Default: "*", seed: true,
			Doc: "Origins allowed; a matching Origin is echoed back.",
			apply: set(origins, func(p *Parsed, v model.CORS) {
				cors(p).AnyOrigin, cors(p).AllowOrigins = v.AnyOrigin, v.AllowOrigins
			})},
		{Key: "cors-allow-methods", Group: g, Scope: ScopeLocation, Syntax: "comma-separated HTTP methods", Default: "GET, PUT, POST, DELETE, PATCH, OPTIONS", seed: true,
			Doc:   "Access-Control-Allow-Methods of preflight responses.",
			apply: set(grammar.List(grammar.MethodAnyCase), func(p *Parsed, v []string) { cors(p).AllowMethods = v })},
		{Key: "cors-allow-headers", Group: g, Scope: ScopeLocation, Syntax: "comma-separated header names",
			Default: "DNT, X-CustomHeader, Keep-Alive, User-Agent, X-Requested-With, If-Modified-Since, Cache-Control, Content-Type, Authorization", seed: true,
			Doc:   "Access-Control-Allow-Headers of preflight responses.",
			apply: set(grammar.List(grammar.HeaderName), func(p *Parsed, v []string) { cors(p).AllowHeaders = v })},
		{Key: "cors-expose-headers", Group: g, Scope: ScopeLocation, Syntax: "comma-separated header names, or `*`",
			Doc:   "Access-Control-Expose-Headers of responses.",
			apply: set(grammar.List(exposedHeader), func(p *Parsed, v []string) { cors(p).ExposeHeaders = v })},
		{Key: "cors-allow-credentials", Group: g, Scope: ScopeLocation, Syntax: boolSyntax, Default: "true", seed: true,
			Doc:   "Sends Access-Control-Allow-Credentials: true.",
			apply: set(grammar.Bool, func(p *Parsed, v bool) { cors(p).AllowCredentials = v })},
		{Key: "cors-max-age", Group: g, Scope: ScopeLocation, Syntax: secondsSyntax, Default: "1728000", seed: true,
			Doc:   "How long browsers may cache a preflight response.",
			apply: set(grammar.Durations(0, 365*24*time.Hour), func(p *Parsed, v time.Duration) { cors(p).MaxAge = v })},
		{Key: "custom-http-errors", Group: g, Scope: ScopeLocation, Syntax: "comma-separated status codes from 400 to 599",
			Doc:   "Backend responses with these statuses are answered by default-backend, or the instance's default backend, instead.",
			apply: set(grammar.List(statusCode(400, 599)), func(p *Parsed, v []int) { p.Location.CustomHTTPErrors = v })},
		{Key: "default-backend", Group: g, Scope: ScopeLocation, Syntax: "a Service name in the Ingress's namespace (its first port)",
			Doc:   "Answers instead of the Ingress's backends when they have no endpoint (503), and answers custom-http-errors.",
			apply: set(serviceName, func(p *Parsed, v string) { p.Location.DefaultBackend = v })},
		{Key: "service-upstream", Group: g, Scope: ScopeLocation, Syntax: boolSyntax, Default: "false",
			Doc:   "Proxies to the Service's cluster IP instead of its endpoints (kube-proxy balances; no retries to other endpoints), for its paths and its `spec.defaultBackend`.",
			apply: set(grammar.Bool, func(p *Parsed, v bool) { p.Location.ServiceUpstream = v })},
	}
}

func balancingSpecs() []Spec {
	const g = "Load balancing"
	cookie := func(p *Parsed) *model.CookieAffinity { return &p.Location.Cookie }
	return []Spec{
		{Key: "load-balance", Group: g, Scope: ScopeLocation, Syntax: "`round_robin` or `ewma`", Default: "round_robin",
			Doc:   "How the Ingress's backends pick an endpoint; `ewma` prefers the fastest.",
			apply: set(grammar.OneOf(model.RoundRobin, model.EWMA), func(p *Parsed, v model.Algorithm) { p.Location.Balance.Algorithm = v })},
		{Key: "upstream-hash-by", Group: g, Scope: ScopeLocation, Syntax: "one nginx variable: `$request_uri`, `$remote_addr`, `$http_NAME`, `$cookie_NAME`, `$arg_NAME`...",
			Doc:   "Requests with the same value go to the same endpoint (consistent hashing); wins over load-balance.",
			apply: set(hashBy, func(p *Parsed, v string) { p.Location.Balance.HashBy = v })},
		{Key: "affinity", Group: g, Scope: ScopeLocation, Syntax: "`cookie`",
			Doc:   "Pins each client to an endpoint with a cookie; wins over upstream-hash-by.",
			apply: set(grammar.OneOf[string]("cookie"), func(p *Parsed, v string) { p.Location.Affinity = true })},
		{Key: "affinity-mode", Group: g, Scope: ScopeLocation, Syntax: "`balanced` or `persistent`", Default: "balanced",
			Doc:   "Accepted for compatibility; in both modes a client keeps its endpoint while that endpoint is ready.",
			apply: set(grammar.OneOf[string]("balanced", "persistent"), func(*Parsed, string) {})},
		{Key: "session-cookie-name", Group: g, Scope: ScopeLocation, Syntax: "letters, digits, `_` and `-`", Default: "INGRESSCOOKIE", seed: true,
			Doc:   "Name of the affinity cookie.",
			apply: set(cookieName, func(p *Parsed, v string) { cookie(p).Name = v })},
		{Key: "session-cookie-path", Group: g, Scope: ScopeLocation, Syntax: pathSyntax, Default: "/",
			Doc:   "Path attribute of the affinity cookie.",
			apply: set(grammar.URLPath, func(p *Parsed, v string) { cookie(p).Path = v })},
		{Key: "session-cookie-max-age", Group: g, Scope: ScopeLocation, Syntax: "seconds, from 0 to 315360000",
			Doc:   "Max-Age of the affinity cookie; without it (and session-cookie-expires) the cookie lasts the browser session.",
			apply: set(grammar.IntRange(0, 315360000), func(p *Parsed, v int) { cookie(p).MaxAge = v })},
		{Key: "session-cookie-expires", Group: g, Scope: ScopeLocation, Syntax: "seconds, from 0 to 315360000",
			Doc:   "Lifetime of the affinity cookie when session-cookie-max-age is not set.",
			apply: set(grammar.IntRange(0, 315360000), func(p *Parsed, v int) { p.Location.CookieExpires = v })},
		{Key: "session-cookie-samesite", Group: g, Scope: ScopeLocation, Syntax: "`None`, `Lax` or `Strict`",
			Doc:   "SameSite attribute of the affinity cookie.",
			apply: set(grammar.OneOf[string]("None", "Lax", "Strict"), func(p *Parsed, v string) { cookie(p).SameSite = v })},
		{Key: "session-cookie-secure", Group: g, Scope: ScopeLocation, Syntax: boolSyntax, Default: "false",
			Doc:   "Secure attribute of the affinity cookie (always HttpOnly).",
			apply: set(grammar.Bool, func(p *Parsed, v bool) { cookie(p).Secure = v })},
	}
}

// hashBy accepts one nginx variable, "$name" or "${name}", and returns
// its name.
func hashBy(s string) (string, error) {
	if !strings.HasPrefix(s, "$") {
		return "", errors.New("want one nginx variable such as $request_uri")
	}
	name, n := readVar(s)
	if n != len(s) || name == "" || name[0] >= '0' && name[0] <= '9' {
		return "", errors.New("want one nginx variable such as $request_uri (combinations are not supported)")
	}
	// The balancer's own grammar (a length limit) is checked here, so that
	// a value it refuses is reported under this annotation.
	if err := (model.Balancing{HashBy: name}).Validate(); err != nil {
		return "", err
	}
	return name, nil
}

// cookieName accepts a cookie name of letters, digits, "_" and "-".
func cookieName(s string) (string, error) {
	if err := grammar.OnlyChars(s, "_-", 256); err != nil {
		return "", err
	}
	return s, nil
}
