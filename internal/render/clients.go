package render

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
)

// clientsView is what http_clients.tmpl prints: how nginx finds the real
// client address, which peers' X-Forwarded-* claims it believes, and the
// variables that proxyHeaders send to backends.
type clientsView struct {
	// RealIP, when set, replaces the peer address by the one a trusted
	// peer claims.
	RealIP *realIPView
	// Trusted are the peers (quoted CIDRs) whose X-Forwarded-* headers and
	// X-Request-ID are passed on; none unless use-forwarded-headers.
	Trusted []string
	// FullForwardedFor appends the peer to a trusted X-Forwarded-For;
	// Peer is the variable holding the address to append.
	FullForwardedFor bool
	Peer             string
	// ServerPort is the variable of the port the client connected to.
	// PortFromProxyProtocol defines it ($archway_server_port): the PROXY
	// header's port where there is one (the passthrough front's), else
	// the listener's.
	ServerPort            string
	PortFromProxyProtocol bool
	// Allow are the quoted CIDRs of the instance-wide allow-list.
	Allow []string
	// NoRedirect are the quoted map keys of "$scheme:$uri" that
	// no-tls-redirect-locations keeps from the HTTPS redirect.
	NoRedirect []string
}

type realIPView struct {
	From   []string // quoted CIDRs
	Header string   // the quoted header name, or proxy_protocol
}

// newClientsView returns the view of c; with passthrough, the HTTPS
// listener is behind the passthrough front, whose PROXY header names the
// client (a "unix:" peer).
func newClientsView(c model.ClientSettings, noRedirect []string, passthrough bool) (clientsView, error) {
	var err error
	v := clientsView{FullForwardedFor: c.ComputeFullForwardedFor, Peer: "$realip_remote_addr", ServerPort: "$server_port"}
	if v.NoRedirect, err = noRedirectKeys(noRedirect); err != nil {
		return v, fmt.Errorf("no-tls-redirect-locations: %w", err)
	}
	if v.Allow, err = quotePrefixes(geoPrefixes(c.Allow)); err != nil {
		return v, fmt.Errorf("whitelist-source-range: %w", err)
	}
	const front = `"unix:"`
	switch {
	case passthrough && !c.UseProxyProtocol && (c.UseForwardedHeaders || c.RealIP):
		// nginx takes the client address from one header only.
		return v, fmt.Errorf("use-forwarded-headers or enable-real-ip with ssl passthrough needs use-proxy-protocol")
	case passthrough && !c.UseProxyProtocol:
		v.RealIP = &realIPView{From: []string{front}, Header: "proxy_protocol"}
		v.ServerPort, v.PortFromProxyProtocol = "$archway_server_port", true
		return v, nil
	case !c.UseProxyProtocol && !c.UseForwardedHeaders && !c.RealIP:
		return v, nil
	}
	from, err := quotePrefixes(c.TrustedProxies)
	if err != nil {
		return v, fmt.Errorf("proxy-real-ip-cidr: %w", err)
	}
	if len(from) == 0 {
		return v, fmt.Errorf("proxy-real-ip-cidr is empty")
	}
	v.RealIP = &realIPView{From: from}
	switch {
	case c.UseProxyProtocol:
		// The PROXY header's address is the client, and the peer (the
		// load balancer) adds nothing to X-Forwarded-For.
		v.RealIP.Header, v.Peer, v.ServerPort = "proxy_protocol", "$remote_addr", "$proxy_protocol_server_port"
		if passthrough {
			v.RealIP.From = append(v.RealIP.From, front)
		}
	default:
		if _, err := grammar.HeaderName(c.ForwardedForHeader); err != nil {
			return v, fmt.Errorf("forwarded-for-header %q: %w", c.ForwardedForHeader, err)
		}
		if v.RealIP.Header, err = quote(c.ForwardedForHeader); err != nil {
			return v, err
		}
	}
	if c.UseForwardedHeaders {
		v.Trusted, err = quotePrefixes(geoPrefixes(c.TrustedProxies))
	}
	return v, err
}

// geoPrefixes returns prefixes as the lines of a geo block: each once, in
// order, and 0.0.0.0/0 and ::/0 as their two halves. nginx's geo keeps
// its default in those two networks and warns when a line repeats a
// network, so a list such as "0.0.0.0/0, ::/0" (proxy-real-ip-cidr's
// default) would make nginx -t warn.
func geoPrefixes(prefixes []netip.Prefix) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(prefixes))
	for _, p := range prefixes {
		halves := []netip.Prefix{p}
		if p.IsValid() && p.Bits() == 0 {
			b := p.Addr().AsSlice()
			b[0] = 0x80
			high, _ := netip.AddrFromSlice(b)
			halves = []netip.Prefix{netip.PrefixFrom(p.Addr(), 1), netip.PrefixFrom(high, 1)}
		}
		for _, h := range halves {
			if !slices.Contains(out, h) {
				out = append(out, h)
			}
		}
	}
	return out
}

// quotePrefixes quotes prefixes that grammar.CIDR could have returned.
func quotePrefixes(prefixes []netip.Prefix) ([]string, error) {
	out := make([]string, 0, len(prefixes))
	for _, p := range prefixes {
		if err := grammar.CheckPrefix(p); err != nil {
			return nil, err
		}
		q, err := quote(p.String())
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, nil
}

// noRedirectKeys returns the map keys matching plain HTTP requests for
// each path prefix of paths, a whole segment at a time: the path itself
// (an exact key) and the paths under it (a regex, "." escaped; paths hold
// no other regex syntax).
func noRedirectKeys(paths []string) ([]string, error) {
	if paths == nil {
		paths = []string{model.DefaultNoTLSRedirectLocations}
	}
	var q quoter
	var keys []string
	for _, p := range paths {
		if _, err := grammar.URLPath(p); err != nil {
			return nil, fmt.Errorf("%q: %w", p, err)
		}
		if !strings.HasSuffix(p, "/") {
			keys = append(keys, q.join("http:", p))
			p += "/"
		}
		keys = append(keys, q.join("~^http:", strings.ReplaceAll(p, ".", "[.]")))
	}
	return keys, q.err
}
