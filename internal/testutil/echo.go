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
	return UDPServer(t, ip, func(datagram []byte) []byte { return datagram })
}

// UDPServer answers each datagram to a port of ip with what answer makes
// of it, until the test ends, and returns the port.
func UDPServer(t testing.TB, ip string, answer func(datagram []byte) []byte) int {
	t.Helper()
	conn, err := net.ListenPacket("udp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatalf("UDP server: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, from, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = conn.WriteTo(answer(buf[:n]), from)
		}
	}()
	return conn.LocalAddr().(*net.UDPAddr).Port
}

// NamedEchoes are a TCP and a UDP echo on ip that say who they are: the
// TCP one greets each connection with "name\n" before it echoes, the UDP
// one answers "name:" and the datagram.
func NamedEchoes(t testing.TB, ip, name string) (tcpPort, udpPort int) {
	t.Helper()
	tcpPort = TCPServer(t, ip, func(conn net.Conn) {
		if _, err := io.WriteString(conn, name+"\n"); err == nil {
			_, _ = io.Copy(conn, conn)
		}
	})
	udpPort = UDPServer(t, ip, func(datagram []byte) []byte { return append([]byte(name+":"), datagram...) })
	return tcpPort, udpPort
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
