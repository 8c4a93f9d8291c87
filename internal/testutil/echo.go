package testutil

import (
	"io"
	"net"
	"testing"
)

// TCPServer runs serve on each connection to a port of ip, which it then
// closes, until the test ends, and returns the port.
func TCPServer(t testing.TB, ip string, serve func(net.Conn)) int {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatalf("TCP server: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				serve(conn)
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

// TCPEcho sends back what each connection to a port of ip sends.
func TCPEcho(t testing.TB, ip string) int {
	t.Helper()
	return TCPServer(t, ip, func(conn net.Conn) { _, _ = io.Copy(conn, conn) })
}

// UDPEcho answers each datagram with itself, on a port of ip, until the
// test ends, and returns the port.
func UDPEcho(t testing.TB, ip string) int {
	t.Helper()
	conn, err := net.ListenPacket("udp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatalf("UDP echo: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, from, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = conn.WriteTo(buf[:n], from)
		}
	}()
	return conn.LocalAddr().(*net.UDPAddr).Port
}

// FreeUDPPort returns a UDP port on 127.0.0.1 that was free a moment ago.
func FreeUDPPort(t testing.TB) int {
	t.Helper()
	return unusedPort(t, func() (int, error) {
		conn, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer conn.Close()
		return conn.LocalAddr().(*net.UDPAddr).Port, nil
	})
}
