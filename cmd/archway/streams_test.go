package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/testutil"
)

// TestTCPAndUDPServices runs archway as `make run` does with the TCP and
// UDP services ConfigMaps in its folder: a TCP echo and a UDP echo answer
// through their ports, a PROXY protocol header from the "load balancer"
// is decoded and one naming the same client is sent to the backend, and
// the malformed entries (a port clashing with HTTP, one out of range, a
// missing Service) are refused alone while the rest and HTTP keep
// serving.
func TestTCPAndUDPServices(t *testing.T) {
	requireRoot(t)
	tcpEcho, proxyEcho, udpEcho := tcpEchoBackend(t, false), tcpEchoBackend(t, true), testutil.UDPEcho(t, "127.0.0.1")
	tcpPort, proxyPort, udpPort := testutil.FreePort(t), testutil.FreePort(t), testutil.FreeUDPPort(t)
	manifests := t.TempDir()
	p := startProcess(t, manifests, processOptions{args: []string{"--runtime-dir", testutil.RuntimeDir(t),
		"--tcp-services-configmap", "default/tcp-services", "--udp-services-configmap", "default/udp-services"}})
	writeManifests(t, manifests, backendManifests("web", bodyLengthBackend(t))+"---"+
		ingressManifest("open", "open.example.com", "/", "web")+"---\n"+echoManifests(tcpEcho, udpEcho)+"---"+serviceManifests("proxied", "tcp", 7000, proxyEcho)+fmt.Sprintf(`---
apiVersion: v1
kind: ConfigMap
metadata: {name: tcp-services}
data:
  "%d": default/echo:7000
  "%d": default/proxied:tcp:PROXY:PROXY
  "%d": default/echo:7000
  "70000": default/echo:7000
  "1": default/missing:7000
---
apiVersion: v1
kind: ConfigMap
metadata: {name: udp-services}
data:
  "%d": default/echo:dns
`, tcpPort, proxyPort, p.httpPort, udpPort))
	p.waitReady()

	requireEcho(t, tcpPort)

	udp := dial(t, "udp", udpPort)
	_, err := udp.Write([]byte("hello udp"))
	require.NoError(t, err)
	buf := make([]byte, 64)
	n, err := udp.Read(buf)
	require.NoError(t, err)
	require.Equal(t, "hello udp", string(buf[:n]))

	proxied := dial(t, "tcp", proxyPort)
	_, err = proxied.Write([]byte("PROXY TCP4 192.0.2.10 127.0.0.1 5555 80\r\nhello proxy\n"))
	require.NoError(t, err)
	reader := bufio.NewReader(proxied)
	header, err := reader.ReadString('\n')
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(header, "PROXY TCP4 192.0.2.10 "), "the backend got the client of the received header: %q", header)
	line, err := reader.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "hello proxy\n", line)

	code, _ := p.request("GET", "open.example.com", "/", "", "", "")
	require.Equal(t, 200, code, "HTTP keeps serving")
	logs := p.logs.String()
	require.Contains(t, logs, "StreamPortConflict")
	require.Contains(t, logs, "TCP port "+strconv.Itoa(p.httpPort)+" is taken by the HTTP port")
	require.Contains(t, logs, `port \"70000\" is not a number from 1 to 65535`)
	require.Contains(t, logs, "Service default/missing not found")

	// Each connection and datagram counts once it ended, in the stream
	// metrics of its port and Service.
	require.NoError(t, udp.Close())
	require.NoError(t, proxied.Close())
	for protocol, port := range map[string]int{"TCP": tcpPort, "UDP": udpPort} {
		labels := []string{`port="` + strconv.Itoa(port) + `"`, `protocol="` + protocol + `"`, `namespace="default"`, `service="echo"`}
		require.Eventually(t, func() bool {
			return len(p.metric(append([]string{"archway_stream_connections_total{", `status="200"`}, labels...)...)) == 1 &&
				len(p.metric(append([]string{"archway_stream_received_bytes_total{"}, labels...)...)) == 1
		}, 10*time.Second, 20*time.Millisecond, "%s port %d in the stream metrics", protocol, port)
	}
}

// TestBusyStreamPortHeldBack: a TCP service on a port another process
// holds passes every check but nginx's bind at reload; the services
// ConfigMap is then held back at its last good version (its old entry
// keeps serving) and reported, while an Ingress added at the same time
// goes live.
func TestBusyStreamPortHeldBack(t *testing.T) {
	requireRoot(t)
	busy, err := net.Listen("tcp", ":0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = busy.Close() })
	echo, port := tcpEchoBackend(t, false), testutil.FreePort(t)
	services := func(entries ...int) string {
		out := backendManifests("web", bodyLengthBackend(t)) + "---" + ingressManifest("open", "open.example.com", "/", "web") + "\n---" + serviceManifests("echo", "tcp", 7000, echo) + `---
apiVersion: v1
kind: ConfigMap
metadata: {name: tcp-services}
data:
`
		for _, port := range entries {
			out += fmt.Sprintf("  \"%d\": default/echo:7000\n", port)
		}
		return out
	}
	p := serveManifests(t, services(port), "--tcp-services-configmap", "default/tcp-services")
	requireEcho(t, port)

	writeManifests(t, p.manifests, services(port, busy.Addr().(*net.TCPAddr).Port)+"---"+ingressManifest("late", "late.example.com", "/", "web"))
	require.Eventually(t, func() bool {
		code, _ := p.request("GET", "late.example.com", "/", "", "", "")
		return code == 200
	}, 30*time.Second, 50*time.Millisecond, "the Ingress added beside the busy port goes live")
	require.Eventually(t, func() bool {
		return strings.Contains(p.logs.String(), "object=default/tcp-services field=\"\" reason=RejectedByNginx")
	}, 5*time.Second, 20*time.Millisecond, "the ConfigMap is reported held back")
	requireEcho(t, port)
}

// TestStreamEndpointsWithoutReload: the endpoints of a TCP and a UDP
// service move between two backends ten times under a long-lived TCP
// connection, which keeps working with its backend, while new connections
// and datagrams go to the current one, and nginx does not reload (-v
// logs the reloads per change).
func TestStreamEndpointsWithoutReload(t *testing.T) {
	requireRoot(t)
	oldTCP, oldUDP := testutil.NamedEchoes(t, "127.0.0.1", "old")
	newTCP, newUDP := testutil.NamedEchoes(t, "127.0.0.1", "new")
	tcpPort, udpPort := testutil.FreePort(t), testutil.FreeUDPPort(t)
	services := func(tcpEcho, udpEcho int) string {
		return echoManifests(tcpEcho, udpEcho) + fmt.Sprintf(`---
apiVersion: v1
kind: ConfigMap
metadata: {name: tcp-services}
data: {"%d": default/echo:tcp}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: udp-services}
data: {"%d": default/echo:dns}
`, tcpPort, udpPort)
	}
	p := serveManifests(t, services(oldTCP, oldUDP),
		"--tcp-services-configmap", "default/tcp-services", "--udp-services-configmap", "default/udp-services")
	longLived := dial(t, "tcp", tcpPort)
	lines := bufio.NewReader(longLived)
	requireLine(t, lines, "old\n")
	requireTCPEcho(t, longLived, lines, "before\n")
	require.Equal(t, "old:ping", udpAnswer(udpPort, "ping"))
	reloads := p.reloads()

	// The endpoints move back and forth; each move is seen by the next
	// connections, and costs no reload.
	const changes = 10
	echoes := map[string][2]int{"new": {newTCP, newUDP}, "old": {oldTCP, oldUDP}}
	for k := range changes {
		name := []string{"new", "old"}[k%2]
		writeManifests(t, p.manifests, services(echoes[name][0], echoes[name][1]))
		require.Eventually(t, func() bool { return tcpGreeting(tcpPort) == name+"\n" },
			10*time.Second, 20*time.Millisecond, "new connections go to the %s endpoint", name)
		// The UDP port's file is written after the TCP port's.
		require.Eventually(t, func() bool { return udpAnswer(udpPort, "ping") == name+":ping" },
			10*time.Second, 20*time.Millisecond, "datagrams go to the %s endpoint", name)
		// From then on every connection and datagram goes there: each is
		// a session of its own (a new client port; a UDP session ends
		// with its one reply), whose endpoint njs reads from the file.
		for range 3 {
			require.Equal(t, name+"\n", tcpGreeting(tcpPort), "a later connection")
			require.Equal(t, name+":ping", udpAnswer(udpPort, "ping"), "a later datagram")
		}
		requireTCPEcho(t, longLived, lines, "still\n")
	}
	after := p.reloads()
	t.Logf("reloads per stream endpoint change: %v reloads over %d changes", after-reloads, changes)
	require.Zero(t, after-reloads, "no reload for the endpoint changes")
}

// echoManifests are the Service echo, with a TCP port "tcp" and a UDP
// port "dns", and its EndpointSlice on the echoes' ports of 127.0.0.1.
func echoManifests(tcpEcho, udpEcho int) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Service
metadata: {name: echo}
spec: {ports: [{name: tcp, port: 7000}, {name: dns, port: 53, protocol: UDP}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: echo-1, labels: {kubernetes.io/service-name: echo}}
addressType: IPv4
ports: [{name: tcp, port: %d}, {name: dns, port: %d, protocol: UDP}]
endpoints: [{addresses: [127.0.0.1]}]
`, tcpEcho, udpEcho)
}

// reloads reads nginx_ingress_controller_success, the count of reloads.
func (p *archwayProcess) reloads() float64 {
	lines := p.metric("nginx_ingress_controller_success")
	if len(lines) != 1 {
		panic(fmt.Sprintf("nginx_ingress_controller_success: %q", lines))
	}
	n, err := strconv.ParseFloat(lines[0][strings.LastIndexByte(lines[0], ' ')+1:], 64)
	if err != nil {
		panic(err)
	}
	return n
}

// tcpGreeting connects to the TCP port and returns the first line the
// backend sends, or what went wrong.
func tcpGreeting(port int) string {
	conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 5*time.Second)
	if err != nil {
		return err.Error()
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	greeting, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err.Error()
	}
	return greeting
}

// udpAnswer sends message to the UDP port and returns the answer, or what
// went wrong.
func udpAnswer(port int, message string) string {
	conn, err := net.DialTimeout("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
	if err != nil {
		return err.Error()
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte(message)); err != nil {
		return err.Error()
	}
	buf := make([]byte, 64)
	n, err := conn.Read(buf)
	if err != nil {
		return err.Error()
	}
	return string(buf[:n])
}

// requireTCPEcho sends line on conn and requires it back from lines,
// conn's reader.
func requireTCPEcho(t *testing.T, conn net.Conn, lines *bufio.Reader, line string) {
	t.Helper()
	// A deadline per exchange: a long-lived connection outlasts any one.
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	_, err := io.WriteString(conn, line)
	require.NoError(t, err)
	requireLine(t, lines, line)
}

func requireLine(t *testing.T, lines *bufio.Reader, want string) {
	t.Helper()
	got, err := lines.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, want, got)
}

// requireEcho requires that the TCP port answers a line with itself.
func requireEcho(t *testing.T, port int) {
	t.Helper()
	conn := dial(t, "tcp", port)
	defer conn.Close()
	_, err := conn.Write([]byte("hello tcp\n"))
	require.NoError(t, err)
	line, err := bufio.NewReader(conn).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "hello tcp\n", line)
}

// tcpEchoBackend echoes what each connection sends; withHeader first
// sends back the PROXY protocol header line it received.
func tcpEchoBackend(t *testing.T, withHeader bool) int {
	return testutil.TCPServer(t, "127.0.0.1", func(conn net.Conn) {
		r := bufio.NewReader(conn)
		if withHeader {
			header, err := r.ReadString('\n')
			if err != nil {
				return
			}
			_, _ = io.WriteString(conn, header)
		}
		_, _ = io.Copy(conn, r)
	})
}

func dial(t *testing.T, network string, port int) net.Conn {
	conn, err := net.DialTimeout(network, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 5*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	return conn
}

// TestStreamFlags: the two flags take namespace/name, and archway's own
// TCP ports (HTTP, HTTPS, metrics, webhook) are reserved from the services.
func TestStreamFlags(t *testing.T) {
	var cfg config
	require.NoError(t, newFlagSet("archway", &cfg).Parse([]string{"--http-port", "8080", "--https-port", "8443",
		"--metrics-address", "127.0.0.1:9100", "--webhook-address", ":9443", "--tcp-services-configmap", "ingress/tcp-services"}))
	require.NoError(t, cfg.validateStreams())
	require.Equal(t, []builder.ReservedPort{{Port: 8080, Use: "the HTTP port"}, {Port: 8443, Use: "the HTTPS port"},
		{Port: 9100, Use: "the metrics port"}, {Port: 9443, Use: "the webhook port"}}, cfg.build.ReservedPorts)
	require.Equal(t, []string{"ingress/tcp-services"}, cfg.streamConfigMaps())

	for _, value := range []string{"tcp-services", "/tcp-services", "ingress/", "a/b/c"} {
		cfg.build.UDPServices = value
		require.ErrorContains(t, cfg.validateStreams(), "--udp-services-configmap must be namespace/name")
	}
}
