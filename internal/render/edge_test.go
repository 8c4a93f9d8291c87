package render

import (
	"bufio"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/testutil"
)

// headersBackend answers, as JSON, the values of the named request
// headers it got.
func headersBackend(t *testing.T, name string, headers ...string) model.Backend {
	return handlerBackend(t, name, func(w http.ResponseWriter, r *http.Request) {
		seen := map[string]string{}
		for _, h := range headers {
			seen[h] = r.Header.Get(h)
		}
		_ = json.NewEncoder(w).Encode(seen)
	})
}

// clientBackend answers the request headers that tell who the client is.
func clientBackend(t *testing.T) model.Backend {
	return headersBackend(t, "client", "X-Real-IP", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Port", "X-Request-ID")
}

// edgeEnv is one nginx serving cfg on an HTTP and an HTTPS port; requests
// go to addr, 127.0.0.1 unless a test sets it, from the address from when
// a test sets it.
type edgeEnv struct {
	httpPort, httpsPort int
	addr, from          netip.Addr
}

func newEdgeEnv(t *testing.T, cfg model.Config) *edgeEnv {
	t.Helper()
	opts := serveOnFreePorts(t, cfg)
	return &edgeEnv{httpPort: opts.HTTPPort, httpsPort: opts.HTTPSPort, addr: netip.MustParseAddr("127.0.0.1")}
}

// serveOnFreePorts starts nginx with cfg on free HTTP and HTTPS ports and returns
// its options.
func serveOnFreePorts(t *testing.T, cfg model.Config) Options {
	t.Helper()
	r, err := New("")
	require.NoError(t, err)
	dir := testutil.RuntimeDir(t)
	opts := Options{HTTPPort: freePort(t), HTTPSPort: freePort(t), RuntimeDir: dir}
	opts.User, opts.Group = workerUser(t)
	out, err := r.Render(cfg, opts)
	require.NoError(t, err)
	startNginx(t, dir, out)
	return opts
}

// response is what a request through nginx got back.
type response struct {
	status int
	header http.Header
	body   string
	leaf   *x509.Certificate // the certificate nginx presented
	proto  int               // HTTP major version
}

// request sends a GET for host and path, over HTTPS with SNI sni when sni
// is not "", and with the header lines in header. A PROXY protocol v1
// line claiming client proxyFrom goes first when it is not "".
func (e *edgeEnv) request(t *testing.T, sni, host, path, proxyFrom string, header http.Header) response {
	t.Helper()
	var config *tls.Config
	if sni != "" {
		config = &tls.Config{ServerName: sni, InsecureSkipVerify: true, NextProtos: []string{"h2", "http/1.1"}}
	}
	return e.send(t, config, host, path, proxyFrom, header)
}

// send is request over HTTPS with config, or plain HTTP when config is
// nil.
func (e *edgeEnv) send(t *testing.T, config *tls.Config, host, path, proxyFrom string, header http.Header) response {
	t.Helper()
	port := e.httpPort
	if config != nil {
		port = e.httpsPort
	}
	dialer := net.Dialer{Timeout: 5 * time.Second}
	if e.from.IsValid() {
		dialer.LocalAddr = net.TCPAddrFromAddrPort(netip.AddrPortFrom(e.from, 0))
	}
	conn, err := dialer.Dial("tcp", netip.AddrPortFrom(e.addr, uint16(port)).String())
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	require.NoError(t, conn.SetDeadline(time.Now().Add(5*time.Second)))
	if proxyFrom != "" {
		// PROXY protocol v1, written by hand as a load balancer would.
		family := "TCP4"
		if e.addr.Is6() {
			family = "TCP6"
		}
		_, err := fmt.Fprintf(conn, "PROXY %s %s %v 40000 %d\r\n", family, proxyFrom, e.addr, port)
		require.NoError(t, err)
	}
	var got response
	req, err := http.NewRequest(http.MethodGet, "http://"+host+path, nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	var resp *http.Response
	if config == nil {
		require.NoError(t, req.Write(conn))
		resp, err = http.ReadResponse(bufio.NewReader(conn), req)
		require.NoError(t, err)
	} else {
		tlsConn := tls.Client(conn, config)
		require.NoError(t, tlsConn.Handshake())
		state := tlsConn.ConnectionState()
		got.leaf = state.PeerCertificates[0]
		req.URL.Scheme = "https"
		tr := &http.Transport{
			DialTLSContext:    func(context.Context, string, string) (net.Conn, error) { return tlsConn, nil },
			ForceAttemptHTTP2: true,
		}
		t.Cleanup(tr.CloseIdleConnections)
		resp, err = tr.RoundTrip(req)
		require.NoError(t, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	got.status, got.header, got.body, got.proto = resp.StatusCode, resp.Header, string(body), resp.ProtoMajor
	return got
}

// seen decodes the client backend's answer.
func (r response) seen(t *testing.T) map[string]string {
	t.Helper()
	var m map[string]string
	require.NoError(t, json.Unmarshal([]byte(r.body), &m), r.body)
	return m
}

func modelCert(c testutil.Cert, name string) *model.Certificate {
	return &model.Certificate{Secret: model.Ref{Namespace: "web", Name: name}, Chain: c.CertPEM, Key: c.KeyPEM, NotAfter: c.Leaf.NotAfter}
}

// TestHTTPS makes real TLS handshakes with SNI and checks which
// certificate nginx presents, HTTP/2, HSTS and the redirects to HTTPS.
func TestHTTPS(t *testing.T) {
	site := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"site.example.com"}})
	wild := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"*.example.com"}})
	fallback := testutil.NewCert(t, testutil.CertOptions{})
	app := clientBackend(t)
	settings := edgeSettings()
	e := newEdgeEnv(t, model.Config{
		Backends:           []model.Backend{app},
		DefaultCertificate: modelCert(fallback, "default"),
		Settings:           settings,
		Servers: []model.Server{
			{Host: "*.example.com", Certificate: modelCert(wild, "wild"), Locations: []model.Location{redirected(prefix("/", "client"))}},
			{Host: "plain.test", Locations: []model.Location{prefix("/", "client")}},
			{Host: "site.example.com", Certificate: modelCert(site, "site"), Locations: []model.Location{
				redirected(prefix("/", "client")), prefix("/open", "client"), preserving(redirected(prefix("/keep", "client")))}},
		},
	})
	https := "https://site.example.com:" + strconv.Itoa(e.httpsPort)
	hsts := "max-age=31536000; includeSubDomains"
	tests := map[string]struct {
		sni, host, path string
		leaf            *x509.Certificate // nil: plain HTTP
		status          int
		location        string // of a redirect
		hsts            string
	}{
		"own certificate":                    {sni: "site.example.com", host: "site.example.com", path: "/", leaf: site.Leaf, status: 200, hsts: hsts},
		"wildcard certificate":               {sni: "a.example.com", host: "a.example.com", path: "/", leaf: wild.Leaf, status: 200, hsts: hsts},
		"host without a certificate":         {sni: "plain.test", host: "plain.test", path: "/", leaf: fallback.Leaf, status: 200, hsts: hsts},
		"unknown host: default and 404":      {sni: "nobody.test", host: "nobody.test", path: "/", leaf: fallback.Leaf, status: 404, hsts: hsts},
		"no SNI: default certificate":        {sni: "127.0.0.1", host: "site.example.com", path: "/", leaf: fallback.Leaf, status: 200, hsts: hsts},
		"HTTP redirects with 308":            {host: "site.example.com", path: "/a/b?q=1", status: 308, location: https + "/a/b?q=1"},
		"wildcard host redirects, without /": {host: "b.example.com", path: "/", status: 308, location: "https://b.example.com:" + strconv.Itoa(e.httpsPort)},
		"one trailing slash is dropped":      {host: "site.example.com", path: "/a/b//", status: 308, location: https + "/a/b/"},
		"a query ends the URI":               {host: "site.example.com", path: "/a/?q=1", status: 308, location: https + "/a/?q=1"},
		"preserve-trailing-slash keeps it":   {host: "site.example.com", path: "/keep/x/", status: 308, location: https + "/keep/x/"},
		"preserve-trailing-slash, no slash":  {host: "site.example.com", path: "/keep", status: 308, location: https + "/keep"},
		"ACME challenges are not redirected": {host: "site.example.com", path: "/.well-known/acme-challenge/token", status: 200},
		"ssl-redirect off":                   {host: "site.example.com", path: "/open", status: 200},
		"no TLS, no redirect, no HSTS":       {host: "plain.test", path: "/", status: 200},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sni := ""
			if tc.leaf != nil {
				sni = tc.sni
			}
			got := e.request(t, sni, tc.host, tc.path, "", nil)
			require.Equal(t, tc.status, got.status, got.body)
			require.Equal(t, tc.location, got.header.Get("Location"))
			require.Equal(t, tc.hsts, got.header.Get("Strict-Transport-Security"))
			if tc.leaf == nil {
				return
			}
			require.True(t, tc.leaf.Equal(got.leaf), "nginx presented %v for %s", got.leaf.DNSNames, tc.sni)
			require.Equal(t, 2, got.proto, "HTTP/2 on the TLS listener")
			if tc.status == 200 {
				require.Equal(t, "https", got.seen(t)["X-Forwarded-Proto"])
				require.Equal(t, strconv.Itoa(e.httpsPort), got.seen(t)["X-Forwarded-Port"])
			}
		})
	}
}

// TestCatchAllCertificate gives the names no server has the catch-all
// certificate (a hostless Gateway HTTPS listener's), and keeps the default
// one for hosts, aliases and wildcard hosts without a certificate of their
// own, and for handshakes without SNI.
func TestCatchAllCertificate(t *testing.T) {
	site := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"site.example.com"}})
	catchAll := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"*"}})
	fallback := testutil.NewCert(t, testutil.CertOptions{})
	e := newEdgeEnv(t, model.Config{
		Backends:            []model.Backend{clientBackend(t)},
		DefaultCertificate:  modelCert(fallback, "default"),
		CatchAllCertificate: modelCert(catchAll, "any"),
		Settings:            edgeSettings(),
		Servers: []model.Server{
			{Host: "*.plain.test", Locations: []model.Location{prefix("/", "client")}},
			{Host: "plain.test", Aliases: []string{"alias.test"}, Locations: []model.Location{prefix("/", "client")}},
			{Host: "site.example.com", Certificate: modelCert(site, "site"), Locations: []model.Location{prefix("/", "client")}},
		},
	})
	tests := map[string]struct {
		sni, host string
		leaf      *x509.Certificate
		status    int
	}{
		"unknown name: catch-all certificate and 404": {sni: "unknown.example.org", host: "unknown.example.org", leaf: catchAll.Leaf, status: 404},
		"own certificate":                {sni: "site.example.com", host: "site.example.com", leaf: site.Leaf, status: 200},
		"host without a certificate":     {sni: "plain.test", host: "plain.test", leaf: fallback.Leaf, status: 200},
		"alias without a certificate":    {sni: "alias.test", host: "alias.test", leaf: fallback.Leaf, status: 200},
		"wildcard without a certificate": {sni: "a.plain.test", host: "a.plain.test", leaf: fallback.Leaf, status: 200},
		"below the wildcard: catch-all":  {sni: "a.b.plain.test", host: "a.b.plain.test", leaf: catchAll.Leaf, status: 404},
		"no SNI: default certificate":    {sni: "127.0.0.1", host: "unknown.example.org", leaf: fallback.Leaf, status: 404},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := e.request(t, tc.sni, tc.host, "/", "", nil)
			require.Equal(t, tc.status, got.status, got.body)
			require.True(t, tc.leaf.Equal(got.leaf), "nginx presented %v for %s", got.leaf.DNSNames, tc.sni)
		})
	}
}

// TestAnyDepthWildcards serves Gateway API wildcard hosts (AnyDepth) for
// one or more labels, after the wildcards of one label and by longest
// suffix, and gives their names the same certificates as nginx picks the
// server: a wildcard of one label without a certificate keeps the default.
func TestAnyDepthWildcards(t *testing.T) {
	wild := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"*.example.com"}})
	deep := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"*.z.example.com"}})
	fallback := testutil.NewCert(t, testutil.CertOptions{})
	e := newEdgeEnv(t, model.Config{
		Backends:           liveBackends(t, "any", "deep", "one", "plain"),
		DefaultCertificate: modelCert(fallback, "default"),
		Settings:           edgeSettings(),
		Servers: []model.Server{
			{Host: "*.b.example.com", Locations: []model.Location{prefix("/", "one")}},
			{Host: "*.example.com", AnyDepth: true, Certificate: modelCert(wild, "wild"), Locations: []model.Location{prefix("/", "any")}},
			{Host: "*.z.example.com", AnyDepth: true, Certificate: modelCert(deep, "deep"), Locations: []model.Location{prefix("/", "deep")}},
			{Host: "plain.example.com", Locations: []model.Location{prefix("/", "plain")}},
		},
	})
	tests := map[string]struct {
		backend string // "" for 404
		leaf    *x509.Certificate
	}{
		"a.example.com":       {"any", wild.Leaf},
		"a.b.c.example.com":   {"any", wild.Leaf},
		"x.b.example.com":     {"one", fallback.Leaf}, // one label, more specific
		"x.y.b.example.com":   {"any", wild.Leaf},
		"a.z.example.com":     {"deep", deep.Leaf}, // the longer suffix
		"a.b.z.example.com":   {"deep", deep.Leaf},
		"plain.example.com":   {"plain", fallback.Leaf},
		"example.com":         {"", fallback.Leaf},
		"a.example.com.other": {"", fallback.Leaf},
	}
	for host, tc := range tests {
		t.Run(host, func(t *testing.T) {
			for _, sni := range []string{"", host} {
				got := e.request(t, sni, host, "/", "", nil)
				if tc.backend == "" {
					require.Equal(t, 404, got.status, "SNI %q", sni)
				} else {
					require.Equal(t, tc.backend, got.body, "SNI %q", sni)
				}
				if sni != "" {
					require.True(t, tc.leaf.Equal(got.leaf), "nginx presented %v for %s", got.leaf.DNSNames, sni)
				}
			}
		})
	}
}

// TestClientAddresses checks what backends and allow-lists learn about
// the client, from trusted and untrusted peers, with X-Forwarded-For and
// with the PROXY protocol.
func TestClientAddresses(t *testing.T) {
	app := clientBackend(t)
	locations := func() []model.Location {
		allowed, other, denied := prefix("/allowed", "client"), prefix("/other", "client"), prefix("/denied", "client")
		own(&allowed).Access = &model.Access{Allow: mustPrefixes("203.0.113.0/24")}
		own(&other).Access = &model.Access{Allow: mustPrefixes("198.51.100.0/24")}
		own(&denied).Access = &model.Access{Deny: mustPrefixes("203.0.113.7/32")}
		return []model.Location{prefix("/", "client"), allowed, other, denied}
	}
	config := func(c model.ClientSettings) model.Config {
		s := edgeSettings()
		c.ForwardedForHeader = cmp.Or(c.ForwardedForHeader, "X-Forwarded-For")
		s.Clients = c
		return model.Config{Backends: []model.Backend{app}, Settings: s,
			Servers: []model.Server{{Host: "app.test", Locations: locations()}}}
	}
	spoof := http.Header{"X-Forwarded-For": {"203.0.113.7"}, "X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {"public.example.com"},
		"X-Forwarded-Port": {"443"}, "X-Request-Id": {"req-42"}}
	chain := http.Header{"X-Forwarded-For": {"192.0.2.1, 203.0.113.7"}}
	clientIP := http.Header{"X-Client-Ip": {"203.0.113.7"}, "X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {"public.example.com"}, "X-Request-Id": {"req-42"}}
	type exchange struct {
		proxyFrom string
		header    http.Header
		path      string
		status    int
		seen      map[string]string // "*" matches a generated request id
	}
	tests := map[string]struct {
		clients   model.ClientSettings
		exchanges map[string]exchange
	}{
		"trusted peer": {
			clients: model.ClientSettings{UseForwardedHeaders: true, TrustedProxies: mustPrefixes("127.0.0.1/32")},
			exchanges: map[string]exchange{
				"headers believed": {header: spoof, path: "/", status: 200, seen: map[string]string{"X-Real-IP": "203.0.113.7",
					"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "public.example.com",
					"X-Forwarded-Port": "443", "X-Request-ID": "req-42"}},
				"allow-list sees the client": {header: spoof, path: "/allowed", status: 200},
				"other network: 403":         {header: spoof, path: "/other", status: 403},
				"denylist":                   {header: spoof, path: "/denied", status: 403},
				"last address of a chain":    {header: chain, path: "/", status: 200, seen: map[string]string{"X-Real-IP": "203.0.113.7", "X-Forwarded-For": "203.0.113.7"}},
			},
		},
		"enable-real-ip": {
			clients: model.ClientSettings{RealIP: true, ForwardedForHeader: "X-Client-IP", TrustedProxies: mustPrefixes("127.0.0.1/32")},
			exchanges: map[string]exchange{
				"address believed, other headers not": {header: clientIP, path: "/", status: 200, seen: map[string]string{"X-Real-IP": "203.0.113.7",
					"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "app.test", "X-Request-ID": "*"}},
				"allow-list sees the client":        {header: clientIP, path: "/allowed", status: 200},
				"X-Forwarded-For is not the header": {header: spoof, path: "/", status: 200, seen: map[string]string{"X-Real-IP": "127.0.0.1"}},
			},
		},
		"untrusted peer": {
			clients: model.ClientSettings{UseForwardedHeaders: true, TrustedProxies: mustPrefixes("10.0.0.0/8")},
			exchanges: map[string]exchange{
				"headers ignored": {header: spoof, path: "/", status: 200, seen: map[string]string{"X-Real-IP": "127.0.0.1",
					"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "app.test", "X-Request-ID": "*"}},
				"spoofed address does not pass the allow-list": {header: spoof, path: "/allowed", status: 403},
				"nor the denylist": {header: spoof, path: "/denied", status: 200},
			},
		},
		"forwarded headers off": {
			clients: model.ClientSettings{TrustedProxies: mustPrefixes("127.0.0.1/32")},
			exchanges: map[string]exchange{
				"headers ignored": {header: spoof, path: "/", status: 200, seen: map[string]string{"X-Real-IP": "127.0.0.1",
					"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Proto": "http", "X-Request-ID": "*"}},
			},
		},
		"full X-Forwarded-For": {
			clients: model.ClientSettings{UseForwardedHeaders: true, ComputeFullForwardedFor: true, TrustedProxies: mustPrefixes("127.0.0.1/32")},
			exchanges: map[string]exchange{
				"chain and peer": {header: chain, path: "/", status: 200, seen: map[string]string{"X-Real-IP": "203.0.113.7",
					"X-Forwarded-For": "192.0.2.1, 203.0.113.7, 127.0.0.1"}},
				"no header": {path: "/", status: 200, seen: map[string]string{"X-Forwarded-For": "127.0.0.1"}},
			},
		},
		"PROXY protocol": {
			clients: model.ClientSettings{UseProxyProtocol: true, TrustedProxies: mustPrefixes("127.0.0.1/32"),
				Allow: mustPrefixes("203.0.113.0/24")},
			exchanges: map[string]exchange{
				"client from the PROXY line": {proxyFrom: "203.0.113.7", header: http.Header{"X-Forwarded-For": {"10.9.9.9"}}, path: "/", status: 200,
					seen: map[string]string{"X-Real-IP": "203.0.113.7", "X-Forwarded-For": "203.0.113.7"}},
				"instance allow-list": {proxyFrom: "198.51.100.1", path: "/", status: 403},
				"denylist":            {proxyFrom: "203.0.113.7", path: "/denied", status: 403},
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := newEdgeEnv(t, config(tc.clients))
			for name, x := range tc.exchanges {
				t.Run(name, func(t *testing.T) {
					got := e.request(t, "", "app.test", x.path, x.proxyFrom, x.header)
					require.Equal(t, x.status, got.status, got.body)
					if x.seen == nil {
						return
					}
					seen := got.seen(t)
					for h, want := range x.seen {
						if want == "*" {
							require.Regexp(t, `^[0-9a-f]{32}$`, seen[h], h)
							continue
						}
						require.Equal(t, want, seen[h], h)
					}
				})
			}
		})
	}
}

// TestInstanceAllowList checks that the ConfigMap's whitelist-source-range
// closes every server, the catch-all and HTTPS included.
func TestInstanceAllowList(t *testing.T) {
	fallback := testutil.NewCert(t, testutil.CertOptions{})
	for name, tc := range map[string]struct {
		allow  string
		status int
	}{
		"loopback allowed":  {allow: "127.0.0.0/8", status: 200},
		"loopback excluded": {allow: "10.0.0.0/8", status: 403},
	} {
		t.Run(name, func(t *testing.T) {
			s := edgeSettings()
			s.Clients.Allow = []netip.Prefix{netip.MustParsePrefix(tc.allow)}
			e := newEdgeEnv(t, model.Config{Backends: []model.Backend{clientBackend(t)}, Settings: s, DefaultCertificate: modelCert(fallback, "default"),
				Servers: []model.Server{{Host: "app.test", Locations: []model.Location{prefix("/", "client")}}}})
			require.Equal(t, tc.status, e.request(t, "", "app.test", "/", "", nil).status)
			require.Equal(t, tc.status, e.request(t, "app.test", "app.test", "/", "", nil).status)
			unknown := map[int]int{200: 404, 403: 403}[tc.status]
			require.Equal(t, unknown, e.request(t, "", "unknown.test", "/", "", nil).status)
		})
	}
}

// TestHTTPSWithProxyProtocol sends the PROXY line before the TLS
// handshake, as a TCP load balancer does.
func TestHTTPSWithProxyProtocol(t *testing.T) {
	site := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"site.example.com"}})
	s := edgeSettings()
	s.Clients.UseProxyProtocol, s.Clients.TrustedProxies = true, []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	e := newEdgeEnv(t, model.Config{Backends: []model.Backend{clientBackend(t)}, Settings: s,
		DefaultCertificate: modelCert(testutil.NewCert(t, testutil.CertOptions{}), "default"),
		Servers: []model.Server{{Host: "site.example.com", Certificate: modelCert(site, "site"),
			Locations: []model.Location{redirected(prefix("/", "client"))}}}})
	got := e.request(t, "site.example.com", "site.example.com", "/", "198.51.100.4", nil)
	require.Equal(t, 200, got.status, got.body)
	require.True(t, site.Leaf.Equal(got.leaf))
	require.Equal(t, "198.51.100.4", got.seen(t)["X-Real-IP"])
	got = e.request(t, "", "site.example.com", "/x", "198.51.100.4", nil)
	require.Equal(t, 308, got.status)
	require.True(t, strings.HasPrefix(got.header.Get("Location"), "https://site.example.com:"), got.header.Get("Location"))
}
