//go:build perf

package perf

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/render"
	"github.com/archway-ingress/archway/test/harness"
)

// passthroughSamples is the number of handshakes measured each way.
const passthroughSamples = 400

// TestPerfPassthrough measures what --enable-ssl-passthrough adds to every
// HTTPS connection that archway terminates: a new connection, TLS
// handshake and one request, p50, through the HTTPS port (the stream
// front, then the HTTP servers' TLS listener over its unix socket) and
// straight to that listener's socket with a PROXY header, alternately, in
// the same run against the same nginx.
func TestPerfPassthrough(t *testing.T) {
	s := env
	out := newResults()
	client := fastClient(t, s)
	const namespace = "perf-passthrough"
	require.NoError(t, harness.CreateNamespace(t.Context(), client, namespace))
	s.CreateIngressClass(t, namespace, harness.ControllerClass)
	s.CreateService(t, namespace, "app", true, s.StartBackend(t, "app"))
	a := s.StartArchway(t, harness.ArchwayOptions{Class: namespace,
		Args: []string{"--watch-namespace=" + namespace, "--enable-ssl-passthrough"}})
	s.CreateIngress(t, harness.WithClass(harness.NewIngress(namespace, "web",
		harness.Route{Host: "web.example", Path: "/", PathType: networkingv1.PathTypePrefix, Service: "app"}), namespace))

	front := func() (net.Conn, error) {
		return net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(a.HTTPSPort)), 2*time.Second)
	}
	direct := func() (net.Conn, error) {
		conn, err := net.DialTimeout("unix", filepath.Join(a.RuntimeDir, render.PassthroughHTTPSSocket), 2*time.Second)
		if err == nil {
			// What the front writes: the client, then the port it reached.
			_, err = fmt.Fprintf(conn, "PROXY TCP4 127.0.0.1 127.0.0.1 40000 %d\r\n", a.HTTPSPort)
		}
		return conn, err
	}
	require.NoError(t, harness.Eventually(30*time.Second, 50*time.Millisecond, func() error {
		_, err := handshakeAndGet(front)
		return err
	}), "web.example over HTTPS")
	var viaFront, viaSocket []time.Duration
	for range passthroughSamples {
		for _, way := range []struct {
			dial func() (net.Conn, error)
			into *[]time.Duration
		}{{front, &viaFront}, {direct, &viaSocket}} {
			d, err := handshakeAndGet(way.dial)
			require.NoError(t, err)
			*way.into = append(*way.into, d)
		}
	}
	p50Front, p50Socket := percentile(viaFront, 50), percentile(viaSocket, 50)
	out.add(t, "SSL passthrough: new HTTPS connection + request p50, straight to the TLS listener / through the front (added)", 1,
		fmt.Sprintf("%s / %s (+%s)", millis(p50Socket), millis(p50Front), millis(p50Front-p50Socket)))
}

// handshakeAndGet opens a connection with dial, makes a TLS handshake
// for web.example and one request, reads the response, and returns how
// long it all took.
func handshakeAndGet(dial func() (net.Conn, error)) (time.Duration, error) {
	start := time.Now()
	conn, err := dial()
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	tlsConn := tls.Client(conn, &tls.Config{ServerName: "web.example", InsecureSkipVerify: true})
	if _, err := io.WriteString(tlsConn, "GET / HTTP/1.1\r\nHost: web.example\r\nConnection: close\r\n\r\n"); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(tlsConn), nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("answered %s", resp.Status)
	}
	return time.Since(start), nil
}

// millis prints d in milliseconds.
func millis(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 2, 64) + " ms"
}
