package render

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/testutil"
)

var (
	loopback4 = netip.MustParseAddr("127.0.0.1")
	loopback6 = netip.MustParseAddr("::1")
)

// requireIPv6Loopback fails, never skips, where ::1 is missing: these
// tests are the proof that IPv6 clients are served.
func requireIPv6Loopback(t *testing.T) {
	t.Helper()
	l, err := net.Listen("tcp", "[::1]:0")
	require.NoError(t, err, "IPv6 on loopback is required (ip -6 addr show lo must list ::1)")
	require.NoError(t, l.Close())
}

// ipv6Config serves app.test with an allow-list that admits ::1, one that
// refuses it and a denylist of ::1.
func ipv6Config(t *testing.T, s model.Settings) model.Config {
	allowed, other, denied := prefix("/allowed", "client"), prefix("/other", "client"), prefix("/denied", "client")
	own(&allowed).Access = &model.Access{Allow: mustPrefixes("::1/128", "2001:db8::/32")}
	own(&other).Access = &model.Access{Allow: mustPrefixes("127.0.0.0/8", "fd00::/8")}
	own(&denied).Access = &model.Access{Deny: mustPrefixes("::1/128", "2001:db8::7/128")}
	return model.Config{Backends: []model.Backend{clientBackend(t)}, Settings: s,
		DefaultCertificate: modelCert(testutil.NewCert(t, testutil.CertOptions{}), "default"),
		Servers:            []model.Server{{Host: "app.test", Locations: []model.Location{prefix("/", "client"), allowed, other, denied}}}}
}

// TestIPv6Clients sends real requests over ::1: nginx listens on IPv6 by
// default, beside IPv4, and the client address, the allow-lists and the
// PROXY protocol work for IPv6 clients.
func TestIPv6Clients(t *testing.T) {
	requireIPv6Loopback(t)
	e := newEdgeEnv(t, ipv6Config(t, edgeSettings()))
	e.addr = loopback6
	for _, sni := range []string{"", "app.test"} {
		got := e.request(t, sni, "app.test", "/", "", nil)
		require.Equal(t, 200, got.status, got.body)
		seen := got.seen(t)
		require.Equal(t, "::1", seen["X-Real-IP"], "the backend sees the IPv6 client")
		require.Equal(t, "::1", seen["X-Forwarded-For"])
		require.Equal(t, 200, e.request(t, sni, "app.test", "/allowed", "", nil).status, "an allow-list admitting ::1")
		require.Equal(t, 403, e.request(t, sni, "app.test", "/other", "", nil).status, "an allow-list without ::1")
		require.Equal(t, 403, e.request(t, sni, "app.test", "/denied", "", nil).status, "a denylist of ::1")
	}
	e.addr = loopback4
	require.Equal(t, 200, e.request(t, "", "app.test", "/other", "", nil).status, "IPv4 is still served")
}

func TestIPv6InstanceAllowList(t *testing.T) {
	requireIPv6Loopback(t)
	s := edgeSettings()
	s.Clients.Allow = mustPrefixes("::1/128")
	e := newEdgeEnv(t, ipv6Config(t, s))
	for addr, status := range map[netip.Addr]int{loopback6: 200, loopback4: 403} {
		e.addr = addr
		require.Equal(t, status, e.request(t, "", "app.test", "/", "", nil).status, addr)
		require.Equal(t, status, e.request(t, "app.test", "app.test", "/", "", nil).status, addr)
	}
}

// TestIPv6ProxyProtocol sends PROXY TCP6 lines over ::1, as a load
// balancer with IPv6 clients does.
func TestIPv6ProxyProtocol(t *testing.T) {
	requireIPv6Loopback(t)
	s := edgeSettings()
	s.Clients.UseProxyProtocol, s.Clients.TrustedProxies = true, mustPrefixes("::1/128")
	e := newEdgeEnv(t, ipv6Config(t, s))
	e.addr = loopback6
	for _, sni := range []string{"", "app.test"} {
		got := e.request(t, sni, "app.test", "/allowed", "2001:db8::8", nil)
		require.Equal(t, 200, got.status, got.body)
		require.Equal(t, "2001:db8::8", got.seen(t)["X-Real-IP"], "the client of the PROXY line")
		require.Equal(t, 403, e.request(t, sni, "app.test", "/denied", "2001:db8::7", nil).status)
		require.Equal(t, 403, e.request(t, sni, "app.test", "/other", "2001:db8::8", nil).status)
	}
}

// TestListenAddresses checks which families nginx answers on with
// disable-ipv6 and bind-address.
func TestListenAddresses(t *testing.T) {
	requireIPv6Loopback(t)
	for name, tc := range map[string]struct {
		disableIPv6 bool
		bind        []netip.Addr
		answers     map[netip.Addr]bool
	}{
		"default: both":        {answers: map[netip.Addr]bool{loopback4: true, loopback6: true}},
		"disable-ipv6":         {disableIPv6: true, answers: map[netip.Addr]bool{loopback4: true, loopback6: false}},
		"bind-address IPv4":    {bind: []netip.Addr{loopback4}, answers: map[netip.Addr]bool{loopback4: true, loopback6: false}},
		"bind-address IPv6":    {bind: []netip.Addr{loopback6}, answers: map[netip.Addr]bool{loopback4: false, loopback6: true}},
		"bind-address wins":    {disableIPv6: true, bind: []netip.Addr{loopback6}, answers: map[netip.Addr]bool{loopback4: false, loopback6: true}},
		"bind-address of both": {bind: []netip.Addr{loopback6, loopback4}, answers: map[netip.Addr]bool{loopback4: true, loopback6: true}},
	} {
		t.Run(name, func(t *testing.T) {
			s := edgeSettings()
			s.DisableIPv6, s.BindAddresses = tc.disableIPv6, tc.bind
			e := newEdgeEnv(t, ipv6Config(t, s))
			for addr, answers := range tc.answers {
				for _, port := range []int{e.httpPort, e.httpsPort} {
					conn, err := net.DialTimeout("tcp", net.JoinHostPort(addr.String(), strconv.Itoa(port)), 5*time.Second)
					if !answers {
						require.Error(t, err, "%v port %d", addr, port)
						continue
					}
					require.NoError(t, err, "%v port %d", addr, port)
					require.NoError(t, conn.Close())
				}
				if answers {
					e.addr = addr
					require.Equal(t, 200, e.request(t, "app.test", "app.test", "/", "", nil).status)
				}
			}
		})
	}
}

// TestNoIPv6Host checks that a host without IPv6 sockets gets IPv4
// listeners only, where nginx would refuse to start on [::].
func TestNoIPv6Host(t *testing.T) {
	r, err := New("")
	require.NoError(t, err)
	cfg := model.Config{Backends: []model.Backend{backend("app", 3000, "10.0.0.1")},
		Servers: []model.Server{{Host: "app.example.com", Locations: []model.Location{prefix("/", "app")}}}}
	for noIPv6, want := range map[bool]bool{false: true, true: false} {
		opts := rootOptions(goldenRuntimeDir)
		opts.NoIPv6 = noIPv6
		out, err := r.Render(cfg, opts)
		require.NoError(t, err)
		require.Equal(t, want, strings.Contains(string(out.Files[0].Data), "listen [::]:80 default_server;"), "NoIPv6 %v", noIPv6)
	}
}

// TestIPv6Streams connects to TCP and UDP services over ::1; the PROXY
// header a backend gets names the IPv6 client, or the one of the PROXY
// header received.
func TestIPv6Streams(t *testing.T) {
	requireIPv6Loopback(t)
	firstLine := func(conn net.Conn) {
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err == nil {
			_, _ = conn.Write([]byte(line))
		}
	}
	echo, header := testutil.TCPEcho(t, "127.0.0.1"), testutil.TCPServer(t, "127.0.0.1", firstLine)
	udp := testutil.UDPEcho(t, "127.0.0.1")
	ports := map[string]int{"echo": freePort(t), "send": freePort(t), "decode": freePort(t), "udp": testutil.FreeUDPPort(t)}
	to := func(port int) []model.Endpoint { return []model.Endpoint{{Address: "127.0.0.1", Port: int32(port)}} }
	cfg := model.Config{Streams: []model.StreamServer{
		{Protocol: model.TCP, Port: ports["echo"], Service: db, ServicePort: "echo", Endpoints: to(echo)},
		{Protocol: model.TCP, Port: ports["send"], Service: db, ServicePort: "send", SendProxyProtocol: true, Endpoints: to(header)},
		{Protocol: model.TCP, Port: ports["decode"], Service: db, ServicePort: "decode", DecodeProxyProtocol: true, SendProxyProtocol: true,
			Endpoints: to(header)},
		{Protocol: model.UDP, Port: ports["udp"], Service: db, ServicePort: "udp", Endpoints: to(udp)},
	}}
	serveOnFreePorts(t, cfg)

	exchange := func(network string, port int, send string) string {
		conn, err := net.DialTimeout(network, netip.AddrPortFrom(loopback6, uint16(port)).String(), 5*time.Second)
		require.NoError(t, err)
		defer conn.Close()
		require.NoError(t, conn.SetDeadline(time.Now().Add(5*time.Second)))
		_, err = conn.Write([]byte(send))
		require.NoError(t, err)
		buf := make([]byte, 256)
		n, err := conn.Read(buf)
		require.NoError(t, err, "%s port %d over ::1", network, port)
		return string(buf[:n])
	}
	require.Equal(t, "ping\n", exchange("tcp", ports["echo"], "ping\n"))
	require.Equal(t, "datagram", exchange("udp", ports["udp"], "datagram"))
	require.Regexp(t, `^PROXY TCP6 ::1 ::1 \d+ `+strconv.Itoa(ports["send"])+"\r\n$", exchange("tcp", ports["send"], "hello\n"))
	proxyLine := fmt.Sprintf("PROXY TCP6 2001:db8::9 ::1 40000 %d\r\n", ports["decode"])
	require.Regexp(t, `^PROXY TCP6 2001:db8::9 `, exchange("tcp", ports["decode"], proxyLine+"hello\n"))
}
