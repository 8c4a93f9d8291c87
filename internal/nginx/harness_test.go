package nginx

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/archway-ingress/archway/internal/render"
	"github.com/archway-ingress/archway/internal/testutil"
)

// lineLog is a slog handler that keeps every message with its attributes
// ("msg key=value ..."), for asserting on what nginx printed.
type lineLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *lineLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *lineLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *lineLog) WithGroup(string) slog.Handler            { return l }
func (l *lineLog) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	line := r.Message
	r.Attrs(func(a slog.Attr) bool {
		line += " " + a.Key + "=" + strconv.Quote(a.Value.String())
		return true
	})
	l.lines = append(l.lines, line)
	return nil
}

// count tells how many messages contain s.
func (l *lineLog) count(s string) int { return len(l.matching(s)) }

// matching returns the messages that contain s. nginx's output goes on
// arriving while a test reads them.
func (l *lineLog) matching(s string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var found []string
	for _, line := range l.lines {
		if strings.Contains(line, s) {
			found = append(found, line)
		}
	}
	return found
}

// runtimeDir returns a runtime dir path in /tmp, which every user can pass
// through, as in production; the Manager creates it.
func runtimeDir(t testing.TB) string {
	dir := filepath.Join(os.TempDir(), "archway-nginx-test-"+rand.Text()[:12])
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// env is a Manager under Run, with its own runtime dir and HTTP port.
type env struct {
	t    testing.TB
	dir  string
	port int
	m    *Manager
	logs *lineLog
	stop func() error // ends Run and returns its error
	// dropped counts the access log records nginx said it dropped.
	dropped atomic.Int64
}

// failingVerifyTimeout is the verify bound of tests that wait for a verify
// to fail: short, yet long enough for a good reload on a busy 2-core machine
// (1 s was not, now and then).
const failingVerifyTimeout = 3 * time.Second

func newEnv(t testing.TB, verifyTimeout time.Duration) *env {
	t.Helper()
	return newEnvWith(t, func(o *Options) { o.VerifyTimeout = verifyTimeout })
}

// newEnvBinary is newEnv running nginx as binary.
func newEnvBinary(t testing.TB, verifyTimeout time.Duration, binary string) *env {
	t.Helper()
	return newEnvWith(t, func(o *Options) { o.VerifyTimeout, o.Binary = verifyTimeout, binary })
}

// newEnvWith is an env whose Manager's options set changes.
func newEnvWith(t testing.TB, set func(*Options)) *env {
	t.Helper()
	e := &env{t: t, dir: runtimeDir(t), port: freePort(t), logs: &lineLog{}}
	opts := Options{
		Binary:        testutil.NginxBinary(t),
		RuntimeDir:    e.dir,
		Logger:        slog.New(e.logs),
		StopTimeout:   5 * time.Second,
		DroppedRecord: func() { e.dropped.Add(1) },
	}
	set(&opts)
	e.m = New(opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.m.Run(ctx) }()
	var once sync.Once
	var runErr error
	e.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(20 * time.Second):
				runErr = fmt.Errorf("Run did not return")
			}
		})
		return runErr
	}
	t.Cleanup(func() {
		_ = e.stop()
		killLeftover(e.dir)
	})
	return e
}

// killLeftover kills an nginx that a failing test left behind.
func killLeftover(dir string) {
	pid, err := readPid(dir)
	if err != nil || !strings.Contains(title(pid), "nginx") {
		return
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}

// nobodyGroup names nobody's primary group: nginx defaults the group to
// the user's name, and Debian has no group "nobody".
func nobodyGroup(t testing.TB) string {
	t.Helper()
	u, err := user.Lookup("nobody")
	require.NoError(t, err)
	g, err := user.LookupGroupId(u.Gid)
	require.NoError(t, err)
	return g.Name
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// output is a hand-made Output following render's contract: the status
// server answers statusVersion, the plain server answers body.
func (e *env) output(version, statusVersion, body string, extra ...string) render.Output {
	user := ""
	if os.Geteuid() == 0 {
		user = "user nobody " + nobodyGroup(e.t) + ";"
	}
	var temps strings.Builder
	for _, kind := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		fmt.Fprintf(&temps, "%s_temp_path %s/%s_temp;\n", kind, e.dir, kind)
	}
	conf := fmt.Sprintf(`daemon off;
%s
pid %s/nginx.pid;
error_log stderr notice;
worker_processes 2;
events { worker_connections 64; }
http {
  access_log off;
  %s
  server {
    listen unix:%s/%s;
    location = %s { return 200 "%s"; }
  }
  server {
    listen 127.0.0.1:%d;
    location / { return 200 "%s"; }
  }
  %s
}
`, user, e.dir, temps.String(), e.dir, render.StatusSocket, render.VersionPath, statusVersion, e.port, body, strings.Join(extra, "\n"))
	return render.Output{Version: version, Files: []render.File{{Name: render.ConfigFile, Data: []byte(conf), Mode: 0o644}}}
}

// config is a valid Output whose version and body derive from name.
func (e *env) config(name string) render.Output {
	return e.output("v-"+name, "v-"+name, "body-"+name)
}

func (e *env) apply(out render.Output) Result {
	e.t.Helper()
	res, err := e.m.Apply(context.Background(), out)
	require.NoError(e.t, err)
	return res
}

// get fetches / from the plain server on a fresh connection.
func (e *env) get() (string, error) {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get("http://127.0.0.1:" + strconv.Itoa(e.port) + "/")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), err
}

// requireServes checks that several fresh connections in a row all get
// body, so that a single lucky answer from a new worker cannot pass.
func (e *env) requireServes(body string) {
	e.t.Helper()
	for range 20 {
		got, err := e.get()
		require.NoError(e.t, err)
		require.Equal(e.t, body, got)
	}
}

// workers waits until n workers of master accept connections, and returns
// them: a config is verified once a new worker answers, which may be before
// the last one forked has taken its name.
func (e *env) workers(master, n int) []int {
	e.t.Helper()
	var workers []int
	require.Eventually(e.t, func() bool {
		var err error
		workers, err = activeWorkers(master)
		return err == nil && len(workers) == n
	}, 5*time.Second, 10*time.Millisecond, "workers: %v", workers)
	return workers
}

func (e *env) diskConfig() []byte {
	e.t.Helper()
	data, err := os.ReadFile(filepath.Join(e.dir, render.ConfigFile))
	require.NoError(e.t, err)
	return data
}

func (e *env) masterPid() int {
	e.t.Helper()
	pid, err := readPid(e.dir)
	require.NoError(e.t, err)
	return pid
}

func readPid(dir string) (int, error) {
	data, err := os.ReadFile(filepath.Join(dir, "nginx.pid"))
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(string(bytes.TrimSpace(data)))
}

// alive tells whether pid runs; a zombie nobody reaped does not count.
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

// isChildSubreaper tells whether this process adopts its orphaned descendants.
func isChildSubreaper() (bool, error) {
	var flag int32
	err := unix.Prctl(unix.PR_GET_CHILD_SUBREAPER, uintptr(unsafe.Pointer(&flag)), 0, 0, 0)
	return flag != 0, err
}

func title(pid int) string {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return string(data)
}
