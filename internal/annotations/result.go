package annotations

import (
	"cmp"
	"fmt"
	"net/http"
	"net/netip"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// Parsed holds the typed values of one Ingress's annotations.
type Parsed struct {
	Server   Server
	Location Location
}

// Server holds the server-scoped values: they apply to every host the
// Ingress names.
type Server struct {
	// Aliases are more names for the Ingress's hosts (server-alias).
	Aliases []string
	// FromToWWW redirects "www.<host>" to "<host>", or "<host>" to
	// "www.<host>" when the host starts with "www.".
	FromToWWW bool
	// ClientAuth holds the auth-tls-* values.
	ClientAuth ClientAuth
	// SSLPassthrough passes the hosts' TLS connections on unopened;
	// PassthroughProxyProtocol sends them a PROXY header first.
	SSLPassthrough, PassthroughProxyProtocol bool
}

// Location holds the location-scoped values: they apply to every path of
// the Ingress. Values that name other objects (Secrets, Services) are
// references, which package builder resolves.
type Location struct {
	Proxy          model.Proxy
	Protocol       model.BackendProtocol
	SecureBackends bool
	// BackendTLS holds the proxy-ssl-* settings, nil when none is set;
	// ProxySSLSecret names the Secret with its certificates.
	BackendTLS     *model.BackendTLS
	ProxySSLSecret *SecretRef
	// ProxyRedirectFrom is "off", "default" or the text that
	// ProxyRedirectTo replaces in Location headers.
	ProxyRedirectFrom, ProxyRedirectTo string
	// UseRegex makes the Ingress's ImplementationSpecific paths regular
	// expressions; a rewrite-target does too, as in ingress-nginx.
	UseRegex      bool
	RewriteTarget model.Template
	AppRoot       string
	// Redirects: TemporalRedirect wins over PermanentRedirect.
	PermanentRedirect     model.Template
	PermanentRedirectCode int
	TemporalRedirect      model.Template
	AccessLog             *bool
	// Basic authentication: AuthType is "basic" or "".
	AuthType       string
	AuthSecret     *SecretRef
	AuthSecretType AuthSecretType
	AuthRealm      string
	// CustomHeaders names the ConfigMap of response headers (custom-headers).
	CustomHeaders *SecretRef
	// ExternalAuth is on when its URL is set.
	ExternalAuth model.ExternalAuth
	// GlobalAuth (enable-global-auth, default true) lets the ConfigMap's
	// external auth apply to the Ingress's paths when ExternalAuth is off.
	GlobalAuth bool
	// RateLimit is on when any of its limits is above 0.
	RateLimit model.RateLimit
	// CORS is on when EnableCORS is set.
	EnableCORS bool
	CORS       model.CORS
	// CustomHTTPErrors go to DefaultBackend (a Service of the Ingress's
	// namespace) or the instance's default backend.
	CustomHTTPErrors []int
	DefaultBackend   string
	// ServiceUpstream proxies to the Service's cluster IP instead of its
	// endpoints.
	ServiceUpstream bool
	// SSLRedirect (default true) redirects plain HTTP to HTTPS on hosts
	// with TLS; ForceSSLRedirect on every host. Package build decides,
	// since it knows which hosts have TLS.
	SSLRedirect, ForceSSLRedirect bool
	PreserveTrailingSlash         bool
	// Client address lists; AllowSourceRange wins over its older name.
	AllowSourceRange, WhitelistSourceRange, DenySourceRange []netip.Prefix
	// Balancing of the Ingress's backends; Cookie applies when Affinity
	// is set, CookieExpires when Cookie.MaxAge is 0.
	Balance       model.Balancing
	Affinity      bool
	Cookie        model.CookieAffinity
	CookieExpires int
	// Canary holds the canary-* values.
	Canary Canary
	// WAF holds the ModSecurity values.
	WAF WAF
	// Tracing holds the OpenTelemetry values.
	Tracing Tracing
}

// Balancing returns how the Ingress's backends pick endpoints.
func (l *Location) Balancing() model.Balancing {
	b := l.Balance
	if l.Affinity {
		c := l.Cookie
		if c.MaxAge == 0 {
			c.MaxAge = l.CookieExpires
		}
		b.Cookie = &c
	}
	return b
}

// AuthSecretType is how an auth-secret holds its users.
type AuthSecretType string

// The auth-secret-type values.
const (
	// AuthFile: an htpasswd file in the Secret's key "auth".
	AuthFile AuthSecretType = "auth-file"
	// AuthMap: one key per user, whose value is the password hash.
	AuthMap AuthSecretType = "auth-map"
)

// Policy returns the location policy that needs no lookup; package builder
// adds BasicAuth, the certificates of BackendTLS and Errors.
func (l *Location) Policy() model.Policy {
	p := model.Policy{
		Proxy:                 l.Proxy,
		Protocol:              l.Protocol,
		RewriteTarget:         l.RewriteTarget,
		AppRoot:               l.AppRoot,
		AccessLog:             l.AccessLog,
		Access:                l.access(),
		PreserveTrailingSlash: l.PreserveTrailingSlash,
	}
	if p.Protocol == "" && l.SecureBackends {
		p.Protocol = model.ProtocolHTTPS
	}
	switch l.ProxyRedirectFrom {
	case "", "off":
	case "default":
		p.Proxy.Redirect = &model.Replace{}
	default:
		p.Proxy.Redirect = &model.Replace{From: l.ProxyRedirectFrom, To: l.ProxyRedirectTo}
	}
	if l.BackendTLS != nil {
		tls := *l.BackendTLS
		p.BackendTLS = &tls
	}
	switch {
	case l.TemporalRedirect != nil:
		p.Redirect = &model.Redirect{Code: http.StatusFound, URL: l.TemporalRedirect}
	case l.PermanentRedirect != nil:
		p.Redirect = &model.Redirect{Code: l.PermanentRedirectCode, URL: l.PermanentRedirect}
	}
	p.ExternalAuth = ExternalAuthPolicy(&l.ExternalAuth)
	if r := &l.RateLimit; r.RPS > 0 || r.RPM > 0 || r.Connections > 0 {
		limit := *r // only a rate limit in use is copied to the heap
		p.RateLimit = &limit
	}
	if l.EnableCORS {
		c := l.CORS
		p.CORS = &c
	}
	return p
}

// ExternalAuthPolicy returns the policy of the auth-* values in a: nil
// without a URL, and without cache durations when nothing is cached. Only
// an auth in use is copied to the heap.
func ExternalAuthPolicy(a *model.ExternalAuth) *model.ExternalAuth {
	if a.URL == nil {
		return nil
	}
	auth := *a
	if auth.CacheKey == nil {
		auth.CacheValid = nil
	}
	return &auth
}

// nginx.conf's proxy_buffer_size and proxy_max_temp_file_size.
const (
	defaultBufferSize      = 4 << 10
	defaultBuffersNumber   = 4
	defaultMaxTempFileSize = 1024 << 20
)

// check finds annotations that are valid alone but not together.
func (p *Parsed) check(annotations map[string]string, prefix string) []Problem {
	var problems []Problem
	invalid := func(name, format string, args ...any) {
		key := name
		if prefix != "" {
			key = prefix + "/" + name
		}
		value, ok := annotations[key]
		what := "value " + shorten(value)
		if !ok {
			what = "the default of the controller's ConfigMap"
		}
		problems = append(problems, Problem{Key: key, Reason: reason.InvalidAnnotation, Effect: Blocked,
			Message: what + ": " + fmt.Sprintf(format, args...)})
	}
	l := &p.Location
	if l.AuthType != "" && l.AuthSecret == nil {
		invalid("auth-type", "needs an auth-secret")
	}
	if from := l.ProxyRedirectFrom; from != "" && from != "off" && from != "default" && l.ProxyRedirectTo == "" {
		invalid("proxy-redirect-from", "needs a proxy-redirect-to")
	}
	buffer := model.Size(defaultBufferSize)
	if l.Proxy.BufferSize != nil {
		buffer = *l.Proxy.BufferSize
	}
	switch m := l.Proxy.MaxTempFileSize; {
	case m != nil && *m != 0 && *m < buffer:
		invalid("proxy-max-temp-file-size", "must be 0 or at least the proxy buffer size (%d bytes)", buffer)
	case m == nil && buffer > defaultMaxTempFileSize:
		invalid("proxy-buffer-size", "must be at most proxy-max-temp-file-size (%d bytes), or that must be 0", defaultMaxTempFileSize)
	}
	// nginx refuses busy buffers smaller than one buffer, or larger than
	// all buffers but one.
	if busy := l.Proxy.BusyBuffersSize; busy != nil {
		all := model.Size(cmp.Or(l.Proxy.BuffersNumber, defaultBuffersNumber)) * buffer
		if *busy < buffer || *busy > all-buffer {
			invalid("proxy-busy-buffers-size", "must be from one proxy buffer (%d bytes) to all proxy buffers but one (%d bytes)", buffer, all-buffer)
		}
	}
	if t := l.BackendTLS; t != nil && t.Verify && l.ProxySSLSecret == nil {
		invalid("proxy-ssl-verify", "needs a proxy-ssl-secret with ca.crt")
	}
	l.Canary.check(invalid)
	p.Server.ClientAuth.check(invalid)
	return problems
}
