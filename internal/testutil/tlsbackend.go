package testutil

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TLSBackend is an HTTPS server on a port of ip with its own certificate
// (an SSL passthrough backend) that answers each request with the client
// address it sees: read from a PROXY protocol v1 header first when
// proxyProtocol. It returns the port.
func TLSBackend(t testing.TB, ip string, cert Cert, proxyProtocol bool) int {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatalf("TLS backend: %v", err)
	}
	pair, err := tls.X509KeyPair(cert.CertPEM, cert.KeyPEM)
	if err != nil {
		t.Fatalf("TLS backend: %v", err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			host, _, _ := net.SplitHostPort(r.RemoteAddr)
			_, _ = io.WriteString(w, host)
		}),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{pair}},
		ReadHeaderTimeout: 5 * time.Second,
	}
	go func() { _ = srv.ServeTLS(proxyListener{Listener: l, proxyProtocol: proxyProtocol}, "", "") }()
	t.Cleanup(func() { _ = srv.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

// proxyListener reads the PROXY protocol v1 header of each connection,
// when proxyProtocol, and gives the connection its source address; a
// connection without a valid header is closed, so its handshake fails.
type proxyListener struct {
	net.Listener
	proxyProtocol bool
}

func (l proxyListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil || !l.proxyProtocol {
		return conn, err
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(conn)
	line, err := r.ReadString('\n')
	fields := strings.Fields(line)
	var src netip.AddrPort
	if err == nil && len(fields) == 6 && fields[0] == "PROXY" {
		src, err = netip.ParseAddrPort(net.JoinHostPort(fields[2], fields[4]))
	}
	if err != nil || !src.IsValid() {
		_ = conn.Close()
		return proxyConn{Conn: conn, r: strings.NewReader("")}, nil
	}
	_ = conn.SetReadDeadline(time.Time{})
	return proxyConn{Conn: conn, r: r, remote: net.TCPAddrFromAddrPort(src)}, nil
}

// proxyConn is a connection whose PROXY header was read: it reads on from
// r and names the header's source as its remote address.
type proxyConn struct {
	net.Conn
	r      io.Reader
	remote net.Addr
}

func (c proxyConn) Read(b []byte) (int, error) { return c.r.Read(b) }

func (c proxyConn) RemoteAddr() net.Addr {
	if c.remote == nil {
		return c.Conn.RemoteAddr()
	}
	return c.remote
}
