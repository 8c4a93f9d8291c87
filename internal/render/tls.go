package render

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/archway-ingress/archway/internal/model"
)

// tlsDir holds the file of the default certificate, its chain and key,
// named by the hash of its content: a new default certificate gets a new
// name, so nginx reloads, and package nginx removes the old file. Hosts'
// certificates are never files (certificates.go).
const tlsDir = "tls"

// edge renders what every Ingress server shares: its listeners, its
// certificate and the instance-wide client allow-list.
type edge struct {
	pol *policies
	// paths holds the quoted file path of each certificate written: the
	// default one, and the catch-all server's own.
	paths              map[*model.Certificate]string
	defaultCertificate string // quoted path
	httpPort           int
	httpsPort          int // 0: no HTTPS listener
	// httpsSocket, with ssl passthrough, is the quoted "unix:" address
	// that the HTTPS listener takes instead of httpsPort (passthrough.go).
	httpsSocket   string
	addresses     []string // listenAddresses
	proxyProtocol bool     // every listener expects the PROXY protocol
	restricted    bool     // only Settings.Clients.Allow may connect
	// listenOthers is the listen parameters of every server but the
	// catch-all, once made (see listen).
	listenOthers []string
	// gateways holds the listen parameters of the servers of each Gateway
	// with ports of its own: of its catch-all, then of the others.
	gateways map[model.Ref][2][]string
	// gatewayOrder lists those Gateways in model order.
	gatewayOrder []model.Ref
}

// httpTLSView is what http_tls.tmpl prints in the http block; nil when
// there is no HTTPS listener.
type httpTLSView struct {
	Protocols string // space-separated quoted versions
	Ciphers   string // quoted
	// HSTS is the quoted Strict-Transport-Security value; "" sends none.
	HSTS string
	// SessionCache is the ssl_session_cache value; SessionTickets "on"
	// or "off"; ECDHCurve the quoted curves ("" keeps OpenSSL's).
	SessionCache, SessionTimeout, SessionTickets, ECDHCurve, BufferSize string
}

// serverEdgeView is what server.tmpl prints about listeners and access.
type serverEdgeView struct {
	// Listen holds the parameters of each HTTP and HTTPS listen
	// directive.
	Listen []string
	// Certificate is the quoted path of the default certificate (or the
	// catch-all server's own) on the catch-all server and on servers with
	// client certificates, whose TLS contexts then choose each
	// handshake's certificate from shared memory; "" elsewhere.
	Certificate string
	// ClientAuth asks clients for certificates; nil asks none.
	ClientAuth *clientAuthView
	// Restricted servers answer 403 to clients outside the instance-wide
	// allow-list.
	Restricted bool
}

func newEdge(cfg model.Config, opts Options, pol *policies) (*edge, *httpTLSView, error) {
	addresses, err := listenAddresses(cfg.Settings, opts.NoIPv6)
	if err != nil {
		return nil, nil, fmt.Errorf("settings: %w", err)
	}
	e := &edge{pol: pol, paths: map[*model.Certificate]string{}, httpPort: opts.HTTPPort, addresses: addresses,
		proxyProtocol: cfg.Settings.Clients.UseProxyProtocol, restricted: len(cfg.Settings.Clients.Allow) > 0}
	if err := e.gatewayListens(cfg.GatewayPorts, cfg.DefaultCertificate != nil); err != nil {
		return nil, nil, err
	}
	if cfg.DefaultCertificate == nil {
		return e, nil, nil
	}
	if opts.HTTPSPort < 1 || opts.HTTPSPort > 65535 {
		return nil, nil, fmt.Errorf("HTTPS port %d out of range", opts.HTTPSPort)
	}
	e.httpsPort = opts.HTTPSPort
	t := cfg.Settings.TLS
	var q quoter
	if cfg.Passthrough != nil {
		e.httpsSocket = q.quote("unix:" + filepath.Join(opts.RuntimeDir, PassthroughHTTPSSocket))
	}
	v := &httpTLSView{Ciphers: q.quote(t.Ciphers)}
	protocols := make([]string, 0, len(t.Protocols))
	for _, p := range t.Protocols {
		if p != "TLSv1.2" && p != "TLSv1.3" {
			return nil, nil, fmt.Errorf("TLS protocol %q is not TLSv1.2 or TLSv1.3", p)
		}
		protocols = append(protocols, q.quote(p))
	}
	if len(protocols) == 0 {
		return nil, nil, fmt.Errorf("no TLS protocol")
	}
	v.Protocols = strings.Join(protocols, " ")
	cert, err := e.certificate(cfg.DefaultCertificate)
	if err != nil {
		return nil, nil, fmt.Errorf("default certificate: %w", err)
	}
	e.defaultCertificate = cert
	if t.HSTS {
		v.HSTS = hstsValue(t)
	}
	v.SessionCache = "shared:archway_ssl:" + nginxSize(cmp.Or(t.SessionCacheSize, 10<<20))
	if t.NoSessionCache {
		v.SessionCache = "off"
	}
	v.SessionTimeout, v.SessionTickets = nginxTime(cmp.Or(t.SessionTimeout, 10*time.Minute)), onOff(t.SessionTickets)
	if t.ECDHCurves != "" && t.ECDHCurves != "auto" {
		v.ECDHCurve = q.quote(t.ECDHCurves)
	}
	v.BufferSize = nginxSize(cmp.Or(t.BufferSize, 4<<10))
	return e, v, q.err
}

// hstsValue is the Strict-Transport-Security header value, built from a
// number and fixed words only; its "; " separators are why it does not go
// through quote.
func hstsValue(t model.TLSSettings) string {
	parts := []string{"max-age=" + strconv.FormatInt(int64(t.HSTSMaxAge.Seconds()), 10)}
	if t.HSTSIncludeSubdomains {
		parts = append(parts, "includeSubDomains")
	}
	if t.HSTSPreload {
		parts = append(parts, "preload")
	}
	return `"` + strings.Join(parts, "; ") + `"`
}

// certificate writes c's chain and key into one 0600 file (nginx's master
// reads it, never the workers) and returns its quoted path.
func (e *edge) certificate(c *model.Certificate) (string, error) {
	if path, ok := e.paths[c]; ok {
		return path, nil
	}
	if len(c.Chain) == 0 || len(c.Key) == 0 {
		return "", fmt.Errorf("certificate of Secret %s has no chain or key", c.Secret)
	}
	path, err := quote(e.pol.file(tlsDir, ".pem", slices.Concat(c.Chain, c.Key), 0o600))
	e.paths[c] = path
	return path, err
}

// listen returns the listen parameters of a server. Every server but the
// catch-all has the same ones: they are made once per Render, and the
// servers share the slice, which nothing writes.
func (e *edge) listen(isDefault bool) []string {
	if !isDefault && e.listenOthers != nil {
		return e.listenOthers
	}
	var proxyProtocol, defaultServer string
	if e.proxyProtocol {
		proxyProtocol = " proxy_protocol"
	}
	if isDefault {
		defaultServer = " default_server"
	}
	l := listens(e.addresses, e.httpPort, proxyProtocol+defaultServer)
	switch {
	case e.httpsPort == 0:
	case e.httpsSocket != "":
		// The passthrough front sends every connection with a PROXY
		// header naming the client.
		l = append(l, e.httpsSocket+" ssl http2 proxy_protocol"+defaultServer)
	default:
		l = append(l, listens(e.addresses, e.httpsPort, " ssl http2"+proxyProtocol+defaultServer)...)
	}
	l = slices.Clip(l)
	if !isDefault {
		e.listenOthers = l
	}
	return l
}

// gatewayListens makes the listen parameters of the servers of the
// Gateways with ports of their own. An HTTPS port needs the default
// certificate, which the catch-all server of its Gateway holds.
func (e *edge) gatewayListens(gateways []model.GatewayPorts, haveCertificate bool) error {
	e.gateways = make(map[model.Ref][2][]string, len(gateways))
	for _, g := range gateways {
		if _, dup := e.gateways[g.Gateway]; dup {
			return fmt.Errorf("Gateway %s: duplicate ports", g.Gateway)
		}
		var sets [2][]string
		for _, p := range g.Ports {
			if p.Target < 1 || p.Target > 65535 {
				return fmt.Errorf("Gateway %s: port %d out of range", g.Gateway, p.Target)
			}
			if p.TLS && !haveCertificate {
				return fmt.Errorf("Gateway %s: HTTPS port %d without a default certificate", g.Gateway, p.Port)
			}
			params := ""
			if p.TLS {
				params = " ssl http2"
			}
			if e.proxyProtocol {
				params += " proxy_protocol"
			}
			sets[0] = append(sets[0], listens(e.addresses, int(p.Target), params+" default_server")...)
			sets[1] = append(sets[1], listens(e.addresses, int(p.Target), params)...)
		}
		e.gateways[g.Gateway] = sets
		e.gatewayOrder = append(e.gatewayOrder, g.Gateway)
	}
	return nil
}

// server returns the listeners and access of one server.
func (e *edge) server(s model.Server, isDefault bool) (serverEdgeView, error) {
	v := serverEdgeView{Listen: e.listen(isDefault), Restricted: e.restricted}
	if s.Gateway != (model.Ref{}) {
		sets, ok := e.gateways[s.Gateway]
		if !ok {
			return v, fmt.Errorf("Gateway %s has no ports", s.Gateway)
		}
		v.Listen = sets[1]
		if isDefault {
			v.Listen = sets[0]
		}
	}
	switch {
	case isDefault && s.Certificate != nil:
		cert, err := e.certificate(s.Certificate)
		if err != nil {
			return v, err
		}
		v.Certificate = cert
	case isDefault || s.ClientAuth != nil:
		// Only the catch-all server, and servers that ask for client
		// certificates in their TLS context, hold a certificate: a server
		// without ssl_certificate keeps the TLS context of the listener's
		// default server, and a context in every server costs nginx a
		// millisecond and tens of kilobytes per server. Hosts' own
		// certificates come from shared memory (certificates.go), chosen
		// at each handshake by the context's ssl_certificate_by_lua.
		v.Certificate = e.defaultCertificate
	}
	if s.ClientAuth == nil {
		return v, nil
	}
	if isDefault {
		// Its TLS context is every other context-less server's.
		return v, fmt.Errorf("client certificates on the catch-all server")
	}
	var err error
	v.ClientAuth, err = e.clientAuth(s.ClientAuth)
	return v, err
}
