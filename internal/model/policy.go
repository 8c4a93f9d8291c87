package model

import (
	"bytes"
	"net/netip"
	"reflect"
	"time"
	"unsafe"
)

// Size is a number of bytes.
type Size int64

// Policy is what an Ingress's annotations ask of its locations. The zero
// Policy asks nothing: the location keeps nginx.conf's defaults. Every
// value has passed a strict grammar in package annotations; unset
// optional values are nil, zero durations or empty strings.
type Policy struct {
	Proxy    Proxy
	Protocol BackendProtocol // "" means HTTP
	// BackendTLS configures TLS to HTTPS and GRPCS backends.
	BackendTLS *BackendTLS
	// RewriteTarget replaces the request URI before it is proxied; a
	// Template Var "1".."9" is a capture group of the location's path,
	// empty when the path has no such group (as nginx, and ingress-nginx,
	// do).
	RewriteTarget Template
	// ReplacePrefix, when not nil, replaces the path of a Prefix location
	// (whole path elements) at the start of the request path before it is
	// proxied or redirected (an HTTPRoute's ReplacePrefixMatch): at /foo,
	// "/xyz" turns /foo/bar into /xyz/bar. A trailing "/" of it is ignored,
	// and a path left empty is "/". Only with a nil RewriteTarget.
	ReplacePrefix *string
	// AppRoot redirects requests for "/" itself (302) to this path.
	AppRoot string
	// Redirect answers every request with a redirect instead of proxying.
	Redirect *Redirect
	// AccessLog false turns off the human access log of the locations.
	AccessLog    *bool
	BasicAuth    *BasicAuth
	ExternalAuth *ExternalAuth
	RateLimit    *RateLimit
	CORS         *CORS
	Errors       *ErrorPages
	// Access limits the client addresses (the allow- and denylist
	// annotations).
	Access *Access
	// HTTPSRedirect answers plain HTTP requests with a 308 to the same
	// URL over HTTPS, except ACME HTTP-01 challenges
	// (/.well-known/acme-challenge/). The redirect drops one trailing "/"
	// of the request URI, as ingress-nginx does, unless
	// PreserveTrailingSlash.
	HTTPSRedirect         bool
	PreserveTrailingSlash bool
	// Snippet holds the directives of a configuration-snippet (see
	// Snippet), nil without one.
	Snippet *Snippet
	// ResponseHeaders are set on every response of the location, error
	// responses included (custom-headers).
	ResponseHeaders []Header
	// RequestHeaders change the headers of the requests sent to the
	// backend (an HTTPRoute's RequestHeaderModifier).
	RequestHeaders HeaderChanges
	// AddResponseHeaders are added to every response of the location,
	// after the backend's headers of the same name, and
	// RemoveResponseHeaders removed (an HTTPRoute's
	// ResponseHeaderModifier; its set is ResponseHeaders).
	AddResponseHeaders    []Header
	RemoveResponseHeaders []string
	// WAF runs ModSecurity; nil leaves it off.
	WAF *WAF
	// Trace is the trace context of the locations' requests; nil traces
	// none.
	Trace *Trace
}

// IsZero reports whether p asks nothing: p is nil or the zero Policy.
// reflect.Value.IsZero would check field by field (slices make the type
// incomparable): memory of zero bytes only is the zero value, and a
// value with another byte (perhaps in padding) takes reflect's answer.
func (p *Policy) IsZero() bool {
	if p == nil {
		return true
	}
	var zero Policy
	size := unsafe.Sizeof(zero)
	if bytes.Equal(unsafe.Slice((*byte)(unsafe.Pointer(p)), size), unsafe.Slice((*byte)(unsafe.Pointer(&zero)), size)) {
		return true
	}
	return reflect.ValueOf(p).Elem().IsZero()
}

// Proxy holds the proxy settings of a location.
type Proxy struct {
	BodySize             *Size // 0 means unlimited
	ClientBodyBufferSize *Size
	Buffering            *bool
	RequestBuffering     *bool
	BufferSize           *Size
	BuffersNumber        int // 0: unset
	// BusyBuffersSize is how much of the buffers may be busy sending to
	// the client; nil: two buffers, nginx's default.
	BusyBuffersSize *Size
	MaxTempFileSize *Size
	// Timeouts; 0 means unset.
	ConnectTimeout, ReadTimeout, SendTimeout time.Duration
	NextUpstream                             []NextUpstream
	NextUpstreamTimeout                      *time.Duration // 0 means no limit
	NextUpstreamTries                        *int           // 0 means no limit
	HTTPVersion                              HTTPVersion
	// Host replaces the Host header sent to the backend; "" keeps the
	// request's. A DNS name or IP literal, optionally with ":port".
	Host string
	// Connection replaces the Connection header sent to the backend.
	Connection string
	// ForwardedPrefix is sent as X-Forwarded-Prefix when not "".
	ForwardedPrefix string
	// Redirect rewrites Location and Refresh headers of responses; an
	// empty From means nginx's default rewriting.
	Redirect *Replace
	// CookieDomain and CookiePath rewrite Set-Cookie attributes.
	CookieDomain, CookiePath *Replace
}

// HeaderChanges set, add and remove headers. Names are unique, in any
// case, across the three lists; values are literal text.
type HeaderChanges struct {
	// Set replaces the request's header of the name; Add adds a line after
	// the request's own.
	Set, Add []Header
	Remove   []string
}

// Replace turns the text From into To.
type Replace struct{ From, To string }

// NextUpstream is a condition on which a request goes to another endpoint.
type NextUpstream string

// HTTPVersion is the HTTP version spoken to backends: "1.0" or "1.1".
type HTTPVersion string

// BackendProtocol is how a location talks to its backend.
type BackendProtocol string

// The backend protocols.
const (
	ProtocolHTTP  BackendProtocol = "HTTP"
	ProtocolHTTPS BackendProtocol = "HTTPS"
	ProtocolGRPC  BackendProtocol = "GRPC"
	ProtocolGRPCS BackendProtocol = "GRPCS"
	// ProtocolAutoHTTP speaks HTTPS to the backend when the client spoke
	// HTTPS, and HTTP otherwise.
	ProtocolAutoHTTP BackendProtocol = "AUTO_HTTP"
)

// BackendTLS is how nginx authenticates itself to, and verifies, a TLS
// backend. The PEM blocks come from a validated Secret.
type BackendTLS struct {
	// ClientCertificate and ClientKey (PEM) authenticate nginx; both or
	// neither are set.
	ClientCertificate, ClientKey []byte
	// TrustedCA (PEM) verifies the backend when Verify is set.
	TrustedCA   []byte
	Verify      bool
	VerifyDepth int // 0: nginx's default
	// ServerName is the name verified and, with SNI, sent; "" means the
	// upstream's name.
	ServerName string
	SNI        bool
}

// Template is text with variables, such as a redirect URL.
type Template []TemplatePart

// TemplatePart is literal Text, or a variable when Var is not "": a
// lowercase variable name ("request_uri") or a capture group ("1").
type TemplatePart struct {
	Text string
	Var  string
}

// NamesRequestHost reports whether t uses the host the request named.
func (t Template) NamesRequestHost() bool {
	for _, p := range t {
		if p.Var == "host" || p.Var == "best_http_host" || p.Var == "http_host" {
			return true
		}
	}
	return false
}

// Redirect answers with Code and a Location made from URL. Besides nginx's
// variables, its Var "escaped_uri" is the request path as the location's
// ReplacePrefix changed it, escaped for a URL, and "port_80" ("port_443")
// is ":80" (":443") unless the request's scheme is http (https).
type Redirect struct {
	Code int
	URL  Template
}

// BasicAuth asks for a user and password from Credentials.
type BasicAuth struct {
	Realm       string
	Credentials []Credential // sorted by User, users unique
}

// Credential is one user of an htpasswd file.
type Credential struct {
	User string
	Hash string // a crypt(3), {SHA}, {SSHA} or $apr1$ hash
}

// ExternalAuth asks an HTTP service whether to let each request through:
// 2xx allows it, 401 and 403 deny it.
type ExternalAuth struct {
	// URL is an http or https URL. Its host may be the request's
	// ($host, $best_http_host: NamesRequestHost), which build allows only
	// on rules with a host.
	URL    Template
	Method string // "" means the request's method
	// SignIn is where a 401 redirects the client; empty: answer 401.
	// SignInRedirectParam names the query parameter with the request's
	// URL that is added to it unless present; empty: "rd".
	SignIn              Template
	SignInRedirectParam string
	// The auth response's Set-Cookie is passed to the client on success,
	// and on every answer with AlwaysSetCookie.
	AlwaysSetCookie bool
	// ResponseHeaders are copied from the auth response to the request
	// sent to the backend.
	ResponseHeaders []string
	// RequestRedirect is sent to the auth service as
	// X-Auth-Request-Redirect; empty: the request URI.
	RequestRedirect string
	// CacheKey, when not empty, caches auth responses under this key for
	// CacheValid.
	CacheKey   Template
	CacheValid []CacheValid
}

// CacheValid keeps responses with Codes (nil: any code) for Duration.
type CacheValid struct {
	Codes    []int
	Duration time.Duration
}

// RateLimit limits requests per client address, per nginx replica. Zero
// values are off.
type RateLimit struct {
	RPS, RPM, Connections int
	// BurstMultiplier times the rate is the burst allowed.
	BurstMultiplier int
	// Allow lists the client networks that are never limited.
	Allow []netip.Prefix
}

// CORS answers preflight requests and adds CORS headers to responses.
type CORS struct {
	// AnyOrigin allows every origin ("*"); otherwise AllowOrigins.
	AnyOrigin        bool
	AllowOrigins     []Origin
	AllowMethods     []string
	AllowHeaders     []string
	ExposeHeaders    []string
	AllowCredentials bool
	MaxAge           time.Duration
}

// Origin is an allowed CORS origin. Host may start with "*." for any one
// extra label; Port 0 means the scheme's default.
type Origin struct {
	Scheme string // "http" or "https"
	Host   string
	Port   int
}

// ErrorPages sends some responses to another backend.
type ErrorPages struct {
	// Codes are backend response statuses answered by the error backend
	// instead.
	Codes []int
	// Backend is a Backend.Name that answers Codes and the location's own
	// 502, 503 and 504 errors (no endpoint, no Service); "" means
	// Config.DefaultBackend answers Codes.
	Backend string
}
