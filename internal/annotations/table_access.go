package annotations

import (
	"net/netip"

	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
)

// accessSpecs are the annotations of HTTPS redirects and client address
// lists. The client address is the real one (see the ConfigMap's
// use-forwarded-headers and use-proxy-protocol).
func accessSpecs() []Spec {
	const g = "HTTPS redirects and client access"
	ranges := func(field func(*Location) *[]netip.Prefix) func(string, *Parsed) error {
		return set(grammar.List(grammar.CIDR), func(p *Parsed, v []netip.Prefix) { *field(&p.Location) = v })
	}
	return []Spec{
		{Key: "ssl-redirect", Group: g, Scope: ScopeLocation, Syntax: boolSyntax, Default: "true", seed: true,
			Doc:   "On a host with a `tls` section, plain HTTP requests get a 308 to HTTPS; paths under the ConfigMap's `no-tls-redirect-locations` (by default `/.well-known/acme-challenge`) are never redirected.",
			apply: set(grammar.Bool, func(p *Parsed, v bool) { p.Location.SSLRedirect = v })},
		{Key: "force-ssl-redirect", Group: g, Scope: ScopeLocation, Syntax: boolSyntax, Default: "false",
			Doc:   "Redirects plain HTTP requests to HTTPS even without a `tls` section (TLS terminated by a load balancer that sends X-Forwarded-Proto).",
			apply: set(grammar.Bool, func(p *Parsed, v bool) { p.Location.ForceSSLRedirect = v })},
		{Key: "preserve-trailing-slash", Group: g, Scope: ScopeLocation, Syntax: boolSyntax, Default: "false",
			Doc:   "Keeps a trailing `/` of the request URI in HTTPS redirects, which drop it otherwise, as in ingress-nginx (`/a/` goes to `https://<host>/a`).",
			apply: set(grammar.Bool, func(p *Parsed, v bool) { p.Location.PreserveTrailingSlash = v })},
		{Key: "allowlist-source-range", Group: g, Scope: ScopeLocation, Syntax: cidrSyntax,
			Doc:   "Only these client networks may use the Ingress's paths; others get 403. Wins over whitelist-source-range.",
			apply: ranges(func(l *Location) *[]netip.Prefix { return &l.AllowSourceRange })},
		{Key: "whitelist-source-range", Group: g, Scope: ScopeLocation, Syntax: cidrSyntax,
			Doc:   "The older name of allowlist-source-range.",
			apply: ranges(func(l *Location) *[]netip.Prefix { return &l.WhitelistSourceRange })},
		{Key: "denylist-source-range", Group: g, Scope: ScopeLocation, Syntax: cidrSyntax,
			Doc:   "These client networks get 403, whatever the allowlist says.",
			apply: ranges(func(l *Location) *[]netip.Prefix { return &l.DenySourceRange })},
		{Key: "ssl-passthrough", Group: g, Scope: ScopeServer, Syntax: boolSyntax, Default: "false",
			Doc:   "With `--enable-ssl-passthrough`, TLS connections to the Ingress's hosts go unopened to the backend of its path `/` (its other paths and annotations are not used, and plain HTTP is not routed); the backend presents its own certificate. Ignored, and reported, without the flag.",
			apply: set(grammar.Bool, func(p *Parsed, v bool) { p.Server.SSLPassthrough = v })},
		{Key: "ssl-passthrough-proxy-protocol", Group: g, Scope: ScopeServer, Syntax: boolSyntax, Default: "false",
			Doc:   "archway's own: passthrough connections start with a PROXY protocol v1 header naming the client, for backends that read it (without it they see nginx's address).",
			apply: set(grammar.Bool, func(p *Parsed, v bool) { p.Server.PassthroughProxyProtocol = v })},
	}
}

// access returns the location's client address lists, nil when none is
// set.
func (l Location) access() *model.Access {
	allow := l.AllowSourceRange
	if allow == nil {
		allow = l.WhitelistSourceRange
	}
	if allow == nil && l.DenySourceRange == nil {
		return nil
	}
	return &model.Access{Allow: allow, Deny: l.DenySourceRange}
}
