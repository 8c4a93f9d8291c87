// Package testutil holds the helpers that tests of several packages share:
// finding the real nginx, picking free loopback ports, TCP and UDP echoes
// (echo.go), a log buffer that is safe to write from many goroutines, the
// check of generated docs, test certificates (certs.go), the Ingresses
// of the benchmarks (scale.go), archway's binary (build.go), and the
// seeds of fuzz targets over a table of specs (fuzzseeds.go).
// Only tests import it.
package testutil

import (
	"bytes"
	"crypto/rand"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// NginxBinary returns the nginx the tests run (ARCHWAY_NGINX, else
// /usr/sbin/nginx) and fails the test when it is missing: these tests need
// the real thing, never a stand-in.
func NginxBinary(t testing.TB) string {
	t.Helper()
	binary := os.Getenv("ARCHWAY_NGINX")
	if binary == "" {
		binary = "/usr/sbin/nginx"
	}
	if _, err := os.Stat(binary); err != nil {
		t.Fatalf("nginx is required (make test-deps installs it): %v", err)
	}
	return binary
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	return unusedPort(t, func() (int, error) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port, nil
	})
}

// handedOut holds every port FreePort and FreeUDPPort returned in this
// process. The kernel may give a port that was just closed again, and a
// test that takes a TCP and a UDP port (or several TCP ports) for one nginx
// must never get one number twice: nginx refuses a duplicate listen.
var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// unusedPort asks pick for free ports until it gives one never handed out.
func unusedPort(t testing.TB, pick func() (int, error)) int {
	t.Helper()
	handedOut.Lock()
	defer handedOut.Unlock()
	for {
		port, err := pick()
		if err != nil {
			t.Fatalf("free port: %v", err)
		}
		if !handedOut.ports[port] {
			handedOut.ports[port] = true
			return port
		}
	}
}

// RuntimeDir returns a fresh runtime dir path in the system's temp folder
// (/tmp, which nginx's workers can pass through), as users give archway
// one: it does not exist yet, and archway (or package nginx) creates it. It
// is removed when the test ends.
func RuntimeDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "archway-test-"+rand.Text()[:12])
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// SyncBuffer is a bytes.Buffer safe for concurrent writers, for capturing
// logs.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// GeneratedFile fails t when the file at path differs from want, the text
// generated from code; update (a test's -update flag) rewrites it first.
// generate is the command that does so, for the failure message.
func GeneratedFile(t testing.TB, path string, want []byte, update bool, generate string) {
	t.Helper()
	if update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: run %s", err, generate)
	}
	if !bytes.Equal(got, want) {
		line := 1 + bytes.Count(got[:commonPrefix(got, want)], []byte("\n"))
		t.Fatalf("%s is stale from line %d: run %s", path, line, generate)
	}
}

// commonPrefix returns the length of the prefix that a and b share.
func commonPrefix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}
