package render

import (
	"fmt"
	"net/netip"
	"path"
	"path/filepath"
	"strings"

	"github.com/archway-ingress/archway/internal/model"
)

// streamModule is the njs module that chooses each stream connection's
// endpoint, in the folder of the embedded njs files.
const streamModule = "archway/stream.js"

// streamBlockView is nginx.conf's stream {} block (stream.tmpl).
type streamBlockView struct {
	// Module is js_import's quoted path of streamModule; EndpointsDir the
	// quoted absolute path of StreamEndpointsDir, which it reads.
	Module, EndpointsDir string
	// AccessLog is the quoted destination of the records of the stream
	// metrics (StreamLogTag).
	AccessLog string
	Servers   []streamView
	// Passthrough is the HTTPS port's front (passthrough.go), nil
	// without --enable-ssl-passthrough.
	Passthrough *passthroughView
}

// streamView is one server of the stream {} block: a TCP or UDP port
// forwarded to the endpoints of a Service port.
type streamView struct {
	// Name is "<protocol>_<port>", unique: the name of its file of
	// endpoints in StreamEndpointsDir.
	Name string
	// Namespace and Service are the quoted names of its Service, for the
	// stream metrics.
	Namespace, Service string
	// Listen holds the parameters of each listen directive, one per
	// address.
	Listen []string
	// DecodeProxyProtocol trusts the client address of the PROXY header
	// every connection starts with; SendProxyProtocol sends one on.
	DecodeProxyProtocol, SendProxyProtocol bool
	UDP                                    bool
}

// streams is what render makes of the TCP and UDP services.
type streams struct {
	block     *streamBlockView // nil without any
	ports     []StreamPort     // Output.StreamPorts
	endpoints []File           // Output.StreamEndpoints
}

// newStreams checks the stream servers once more (build has) and turns
// them into views listening on addresses (listenAddresses), reading their
// endpoints from runtime dir dir's StreamEndpointsDir, and the njs module
// from its folder njsDir. front makes the block, which the HTTPS port's
// passthrough front needs, without any service too.
func newStreams(servers []model.StreamServer, addresses []string, dir, njsDir string, front bool) (streams, error) {
	if len(servers) == 0 && !front {
		return streams{}, nil
	}
	var q quoter
	block := &streamBlockView{
		Module:       q.quote(filepath.Join(dir, njsDir, streamModule)),
		EndpointsDir: q.quote(filepath.Join(dir, StreamEndpointsDir)),
		Servers:      make([]streamView, 0, len(servers)),
	}
	if q.err != nil {
		return streams{}, fmt.Errorf("options: %w", q.err)
	}
	var err error
	if block.AccessLog, err = logTarget(StreamLogTag); err != nil {
		return streams{}, err
	}
	out := streams{block: block, ports: make([]StreamPort, 0, len(servers)), endpoints: make([]File, 0, len(servers))}
	for _, s := range servers {
		v, endpoints, err := newStreamView(s, addresses)
		if err != nil {
			return streams{}, err
		}
		block.Servers = append(block.Servers, v)
		out.ports = append(out.ports, StreamPort{Network: strings.ToLower(string(s.Protocol)), Port: s.Port})
		out.endpoints = append(out.endpoints, File{Name: path.Join(StreamEndpointsDir, v.Name), Data: endpoints, Mode: 0o644})
	}
	return out, nil
}

// newStreamView returns the view of s and its file of endpoints, one
// "address:port" a line.
func newStreamView(s model.StreamServer, addresses []string) (streamView, []byte, error) {
	if s.Port < 1 || s.Port > 65535 {
		return streamView{}, nil, fmt.Errorf("stream port %d out of range", s.Port)
	}
	var params string
	var q quoter
	v := streamView{Namespace: q.quote(s.Service.Namespace), Service: q.quote(s.Service.Name),
		DecodeProxyProtocol: s.DecodeProxyProtocol, SendProxyProtocol: s.SendProxyProtocol}
	if q.err != nil {
		return streamView{}, nil, fmt.Errorf("stream port %d: %w", s.Port, q.err)
	}
	switch {
	case s.Protocol == model.UDP && (s.DecodeProxyProtocol || s.SendProxyProtocol):
		return streamView{}, nil, fmt.Errorf("UDP port %d: the PROXY protocol is for TCP only", s.Port)
	case s.Protocol == model.UDP:
		v.Name, params, v.UDP = fmt.Sprintf("udp_%d", s.Port), " udp", true
	case s.Protocol == model.TCP:
		v.Name = fmt.Sprintf("tcp_%d", s.Port)
	default:
		return streamView{}, nil, fmt.Errorf("stream port %d: unknown protocol %q", s.Port, s.Protocol)
	}
	if s.DecodeProxyProtocol {
		params += " proxy_protocol"
	}
	v.Listen = listens(addresses, s.Port, params)
	endpoints, err := endpointLines(v.Name, s.Endpoints)
	return v, endpoints, err
}

// endpointLines returns the file of endpoints of the stream server (or
// passthrough host) name: one "address:port" a line.
func endpointLines(name string, endpoints []model.Endpoint) ([]byte, error) {
	var out []byte
	for _, e := range endpoints {
		addr, err := netip.ParseAddr(e.Address)
		if err != nil || e.Port < 1 || e.Port > 65535 {
			return nil, fmt.Errorf("%s: endpoint %q port %d is not an IP address and port", name, e.Address, e.Port)
		}
		out = fmt.Appendf(out, "%s\n", netip.AddrPortFrom(addr, uint16(e.Port)))
	}
	return out, nil
}
