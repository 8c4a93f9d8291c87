package grammar

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// CIDR accepts an IP address or a CIDR and returns it as a masked prefix;
// an IPv4-mapped IPv6 address becomes the IPv4 address it maps, because
// nginx matches IPv4-mapped clients against its IPv4 rules (allow, deny,
// set_real_ip_from, geo) and would never match a mapped one. A mapped
// network is refused for the same reason, naming its IPv4 form.
func CIDR(s string) (netip.Prefix, error) {
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, errors.New("want an IP address or CIDR such as 10.0.0.0/8")
	}
	if p.Addr().Is4In6() {
		if p.Bits() >= 96 {
			return netip.Prefix{}, fmt.Errorf("an IPv4-mapped network: write %v", netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96).Masked())
		}
		return netip.Prefix{}, errors.New("an IPv4-mapped network: write it as an IPv4 CIDR")
	}
	return p.Masked(), nil
}

// ListenAddr accepts an IPv4 or IPv6 address nginx can listen on
// (bind-address): no zone, and an IPv4-mapped one becomes its IPv4 form,
// as nginx's IPv6 sockets are IPv6-only.
func ListenAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, errors.New("want an IPv4 or IPv6 address without a zone")
	}
	return a.Unmap(), nil
}

// CheckPrefix accepts what CIDR returns: a valid, masked prefix of an
// address that is not IPv4-mapped. Render checks the model's prefixes
// with it before it prints one.
func CheckPrefix(p netip.Prefix) error {
	if !p.IsValid() {
		return errors.New("invalid prefix")
	}
	if p != p.Masked() || p.Addr().Is4In6() || p.Addr().Zone() != "" {
		return fmt.Errorf("%v is not a masked CIDR", p)
	}
	return nil
}

// HostPort accepts a DNS name or IP literal with an optional port, as a
// Host header value: "api.internal", "10.0.0.1:8080", "[fd00::1]:80".
func HostPort(s string) (string, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		if ap.Port() == 0 || ap.Addr().Zone() != "" {
			return "", errors.New("bad port or zoned address")
		}
		return s, nil
	}
	host, port, hasPort := strings.Cut(s, ":")
	if hasPort {
		if _, err := IntRange(1, 65535)(port); err != nil {
			return "", fmt.Errorf("port: %w", err)
		}
	}
	if a, err := netip.ParseAddr(host); err == nil && a.Is4() {
		return s, nil
	}
	if _, err := DNSName(host); err != nil {
		return "", errors.New("want a lowercase DNS name or IP address, optionally with :port")
	}
	return s, nil
}
