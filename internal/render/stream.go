package render

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/archway-ingress/archway/internal/model"
)

// streamView is one server of the stream {} block (stream.tmpl): a TCP or
// UDP port forwarded to the endpoints of a Service port.
type streamView struct {
	// Upstream names the upstream block: "<protocol>_<port>", unique.
	Upstream string
	// Listen holds the parameters of each listen directive, one per
	// address.
	Listen []string
	// Servers are the upstream's "address:port"s; empty gives the upstream
	// one server marked down, as nginx wants one (connections are closed).
	Servers []string
	// DecodeProxyProtocol trusts the client address of the PROXY header
	// every connection starts with; SendProxyProtocol sends one on.
	DecodeProxyProtocol, SendProxyProtocol bool
	UDP                                    bool
}

// streamViews checks the stream servers once more (build has) and turns
// them into views listening on addresses (listenAddresses).
func streamViews(streams []model.StreamServer, addresses []string) ([]streamView, []StreamPort, error) {
	views := make([]streamView, 0, len(streams))
	ports := make([]StreamPort, 0, len(streams))
	for _, s := range streams {
		if s.Port < 1 || s.Port > 65535 {
			return nil, nil, fmt.Errorf("stream port %d out of range", s.Port)
		}
		var params string
		v := streamView{DecodeProxyProtocol: s.DecodeProxyProtocol, SendProxyProtocol: s.SendProxyProtocol}
		switch {
		case s.Protocol == model.UDP && (s.DecodeProxyProtocol || s.SendProxyProtocol):
			return nil, nil, fmt.Errorf("UDP port %d: the PROXY protocol is for TCP only", s.Port)
		case s.Protocol == model.UDP:
			v.Upstream, params, v.UDP = fmt.Sprintf("udp_%d", s.Port), " udp", true
		case s.Protocol == model.TCP:
			v.Upstream = fmt.Sprintf("tcp_%d", s.Port)
		default:
			return nil, nil, fmt.Errorf("stream port %d: unknown protocol %q", s.Port, s.Protocol)
		}
		if s.DecodeProxyProtocol {
			params += " proxy_protocol"
		}
		v.Listen = listens(addresses, s.Port, params)
		for _, e := range s.Endpoints {
			addr, err := netip.ParseAddr(e.Address)
			if err != nil || e.Port < 1 || e.Port > 65535 {
				return nil, nil, fmt.Errorf("%s: endpoint %q port %d is not an IP address and port", v.Upstream, e.Address, e.Port)
			}
			v.Servers = append(v.Servers, netip.AddrPortFrom(addr, uint16(e.Port)).String())
		}
		views = append(views, v)
		ports = append(ports, StreamPort{Network: strings.ToLower(string(s.Protocol)), Port: s.Port})
	}
	return views, ports, nil
}
