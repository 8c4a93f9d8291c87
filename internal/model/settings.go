package model

import (
	"net/netip"
	"time"
)

// Settings are the instance-wide nginx settings from the controller's
// ConfigMap. Zero values leave nginx's own defaults.
type Settings struct {
	// WorkerShutdownTimeout bounds how long the workers of a replaced
	// configuration may keep serving their requests after a reload; zero
	// means no bound.
	WorkerShutdownTimeout time.Duration
	// SafeSnippets applies the configuration- and server-snippets that
	// the safe subset covers (docs/snippets.md).
	SafeSnippets bool
	// DisableIPv6 drops the IPv6 listeners beside the IPv4 ones.
	DisableIPv6 bool
	// BindAddresses, when not empty, are the only addresses the HTTP and
	// HTTPS listeners bind, of either family; empty binds every address.
	BindAddresses []netip.Addr
	// LocationDefaults are the ConfigMap's defaults of location
	// annotations, by annotation name (without prefix): package builder
	// applies each Ingress's annotations over them.
	LocationDefaults map[string]string
	// GlobalAuth is the external auth of every Ingress path that has
	// none of its own (global-auth-*).
	GlobalAuth GlobalAuth
	HTTP       HTTPSettings
	TLS        TLSSettings
	Clients    ClientSettings
	Headers    HeaderSettings
	AccessLog  AccessLog
	WAF        WAFSettings
	Tracing    Tracing
}

// GlobalAuth is the ConfigMap's external auth: Auth, when its URL is set,
// applies to every Ingress path without an auth-url of its own, unless the
// Ingress turns it off (enable-global-auth) or the path is under one of
// NoAuthLocations (path prefixes, whole segments).
type GlobalAuth struct {
	Auth            ExternalAuth
	NoAuthLocations []string
}

// HeaderSettings are the headers added to and removed from every request
// and response.
type HeaderSettings struct {
	// OriginalURI sends backends the request URI as X-Original-URI.
	OriginalURI bool
	// Request are set on every request to a backend (proxy-set-headers),
	// Response on every response, error responses included (add-headers).
	// RequestFrom and ResponseFrom name the ConfigMaps they are read from.
	Request, Response         []Header
	RequestFrom, ResponseFrom *Ref
	// Hide are backend response headers not passed to clients.
	Hide []string
	// AllowedResponse are the header names, in lower case, that the
	// custom-headers annotation may set.
	AllowedResponse []string
}
