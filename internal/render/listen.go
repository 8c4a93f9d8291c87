package render

import (
	"fmt"
	"net/netip"
	"strconv"

	"github.com/archway-ingress/archway/internal/model"
)

// listenAddresses returns the address part of the listen directives of
// the HTTP and HTTPS ports and of the TCP and UDP services: every IPv4 address ("") and, unless disable-ipv6, every
// IPv6 one, as ingress-nginx listens; or exactly the bind addresses, of
// either family, when there are any. noIPv6 is Options.NoIPv6.
func listenAddresses(s model.Settings, noIPv6 bool) ([]string, error) {
	if len(s.BindAddresses) == 0 {
		if s.DisableIPv6 || noIPv6 {
			return []string{""}, nil
		}
		return []string{"", "[::]:"}, nil
	}
	var out []string
	seen := map[netip.Addr]bool{}
	for _, a := range s.BindAddresses {
		if !a.IsValid() || a.Zone() != "" || a.Is4In6() {
			return nil, fmt.Errorf("bind address %v is not an unzoned, unmapped IP address", a)
		}
		if seen[a] {
			continue // nginx refuses a duplicate listen
		}
		seen[a] = true
		// AddrPort's form brackets IPv6; the port goes after the colon.
		ap := netip.AddrPortFrom(a, 0).String()
		out = append(out, ap[:len(ap)-1])
	}
	return out, nil
}

// listens returns the parameters of one listen directive per address for
// port.
func listens(addresses []string, port int, params string) []string {
	out := make([]string, 0, len(addresses))
	for _, a := range addresses {
		out = append(out, a+strconv.Itoa(port)+params)
	}
	return out
}
