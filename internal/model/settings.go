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
	HTTP             HTTPSettings
	TLS              TLSSettings
	Clients          ClientSettings
	Headers          HeaderSettings
	AccessLog        AccessLog
	WAF              WAFSettings
	Tracing          Tracing
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
