package render

import (
	"fmt"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
)

// The sockets of --enable-ssl-passthrough, relative to the runtime dir, in
// a folder that package nginx makes reachable by nginx's workers alone:
// whoever connects to them names the client in a PROXY header.
const (
	PassthroughDir = "passthrough"
	// PassthroughHTTPSSocket is the HTTP servers' TLS listener.
	PassthroughHTTPSSocket = PassthroughDir + "/https.sock"
	// PassthroughRelaySocket takes the connections of passthrough hosts
	// whose backends take no PROXY header, and drops the front's.
	PassthroughRelaySocket = PassthroughDir + "/relay.sock"
)

// httpsUpstream is the upstream of the HTTP servers' TLS listener,
// relayUpstream the relay's.
const (
	httpsUpstream = "archway_https"
	relayUpstream = "archway_passthrough_relay"
)

// passthroughView is what stream_passthrough.tmpl prints: the HTTPS port's
// front, which reads the server name of each TLS connection (ssl_preread)
// and sends it on with a PROXY header naming the client: to the HTTP
// servers' TLS listener, to a passthrough backend that takes the header,
// or to the relay, which sends it to its backend without. Like the TCP
// services' (stream.go), the backends' endpoints are files that the njs
// module reads for each connection: they change without a reload.
type passthroughView struct {
	// Listen holds the HTTPS port's listen parameters.
	Listen []string
	// RealIPFrom are the quoted peers whose PROXY header names the client
	// (use-proxy-protocol).
	RealIPFrom []string
	// Allow are the quoted CIDRs of the instance-wide allow-list: other
	// clients go to the HTTP servers, which answer them 403.
	Allow []string
	// HTTPS and Relay are the quoted "unix:" addresses of the sockets.
	HTTPS, Relay string
	// Front maps server names to where the front sends them; Backends
	// maps those of the relay to their backends.
	Front, Backends []passthroughEntryView
	// MapBucket and MapMax size the stream's map hash.
	MapBucket, MapMax int
	// HTTPSUpstream and RelayUpstream name the upstreams of the sockets.
	HTTPSUpstream, RelayUpstream string
}

// passthroughEntryView is one line of a map: a quoted server name or a
// regex built by Go from a checked wildcard, and a target: an upstream
// ("archway_..."), or the file of a backend's endpoints
// ("passthrough_<n>"), which the njs module reads.
type passthroughEntryView struct{ Name, Target string }

// newPassthroughView returns the front of the HTTPS port, nil without
// passthrough, and the files of its backends' endpoints. It checks the
// hosts once more (build has).
func newPassthroughView(cfg model.Config, opts Options, e *edge) (*passthroughView, []File, error) {
	p := cfg.Passthrough
	if p == nil {
		return nil, nil, nil
	}
	if e.httpsPort == 0 {
		return nil, nil, fmt.Errorf("ssl passthrough without the HTTPS listener (no default certificate)")
	}
	var q quoter
	v := &passthroughView{HTTPSUpstream: httpsUpstream, RelayUpstream: relayUpstream, HTTPS: q.quote("unix:" + filepath.Join(opts.RuntimeDir, PassthroughHTTPSSocket)),
		Relay: q.quote("unix:" + filepath.Join(opts.RuntimeDir, PassthroughRelaySocket))}
	for _, s := range []string{PassthroughHTTPSSocket, PassthroughRelaySocket} {
		if path := filepath.Join(opts.RuntimeDir, s); len(path) > maxSocketPath {
			return nil, nil, fmt.Errorf("passthrough socket path %q is longer than %d bytes", path, maxSocketPath)
		}
	}
	params := ""
	if c := cfg.Settings.Clients; c.UseProxyProtocol {
		params = " proxy_protocol"
		var err error
		if v.RealIPFrom, err = quotePrefixes(c.TrustedProxies); err != nil {
			return nil, nil, fmt.Errorf("proxy-real-ip-cidr: %w", err)
		}
	}
	v.Listen = listens(e.addresses, e.httpsPort, params)
	var err error
	if v.Allow, err = quotePrefixes(geoPrefixes(cfg.Settings.Clients.Allow)); err != nil {
		return nil, nil, fmt.Errorf("whitelist-source-range: %w", err)
	}
	names, longest := 1, 0
	passed := map[string]bool{}
	files := make([]File, 0, len(p.Hosts))
	for i, h := range p.Hosts {
		name, err := serverNameKey(h.Host)
		if err != nil {
			return nil, nil, fmt.Errorf("passthrough host %q is %w", h.Host, err)
		}
		passed[h.Host] = true
		names, longest = names+1, max(longest, len(name))
		// Named by index: a file name holds at most 255 bytes, a host 253
		// and more. A change of hosts reloads nginx anyway.
		backend := "passthrough_" + strconv.Itoa(i)
		endpoints, err := endpointLines(backend, h.Endpoints)
		if err != nil {
			return nil, nil, err
		}
		files = append(files, File{Name: path.Join(StreamEndpointsDir, backend), Data: endpoints, Mode: 0o644})
		if h.ProxyProtocol {
			v.Front = append(v.Front, passthroughEntryView{Name: name, Target: backend})
			continue
		}
		v.Front = append(v.Front, passthroughEntryView{Name: name, Target: relayUpstream})
		v.Backends = append(v.Backends, passthroughEntryView{Name: name, Target: backend})
	}
	// An exact host or alias of an HTTP server beats a passthrough
	// wildcard, as the Ingress rules want.
	for _, s := range cfg.Servers {
		if s.Gateway != (model.Ref{}) {
			continue // on its Gateway's ports, not behind the passthrough front
		}
		for _, name := range append([]string{s.Host}, s.Aliases...) {
			if name == "" || passed[name] || strings.HasPrefix(name, "*.") || !passed["*."+name[strings.IndexByte(name, '.')+1:]] {
				continue
			}
			v.Front = append(v.Front, passthroughEntryView{Name: q.quote(name), Target: httpsUpstream})
			names, longest = names+1, max(longest, len(name)+2)
		}
	}
	v.MapBucket, v.MapMax = hashSizes(names, longest, 64, 2048)
	return v, files, q.err
}

// serverNameKey returns the map key of a passthrough host: the quoted name,
// or for a wildcard a case-insensitive regex of exactly one more label,
// built from the checked name (letters, digits, "-" and ".").
func serverNameKey(host string) (string, error) {
	wildcard := strings.HasPrefix(host, "*.")
	if err := grammar.CheckDNSName(host, wildcard); err != nil {
		return "", err
	}
	if !wildcard {
		return quote(host)
	}
	return `"~*^[^.]+[.]` + strings.ReplaceAll(host[2:], ".", "[.]") + `$"`, nil
}
