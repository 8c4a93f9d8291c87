package main

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/testutil"
	"github.com/archway-ingress/archway/test/harness"
)

var (
	buildOnce  sync.Once
	builtPath  string
	buildError error
)

// archwayBinary builds archway once per test run, into a folder only root
// can reach.
func archwayBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "archway-bin-")
		if err != nil {
			buildError = err
			return
		}
		builtPath = filepath.Join(dir, "archway")
		buildError = testutil.BuildArchway(builtPath)
	})
	require.NoError(t, buildError)
	return builtPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builtPath != "" {
		_ = os.RemoveAll(filepath.Dir(builtPath))
	}
	os.Exit(code)
}

// archwayProcess is the archway binary running as a process of its own,
// as `make run`, the chart and a service manager start it.
type archwayProcess struct {
	t        *testing.T
	cmd      *exec.Cmd
	logs     *testutil.SyncBuffer // archway's stderr: its log and nginx's error log
	stdout   *testutil.SyncBuffer // the access log
	exited   chan struct{}
	err      error // Wait's result, once exited is closed
	httpPort int
	metrics  string
	// manifests is its --manifests folder.
	manifests string
}

// processOptions say how to start archway beyond its manifests folder.
type processOptions struct {
	binary string
	args   []string
	env    []string // added to a minimal environment (PATH)
	// as runs archway as this user rather than as the test's (root).
	as *syscall.Credential
	// pid1 runs archway as PID 1 of a new PID namespace, as in its
	// container image.
	pid1 bool
}

// startProcess starts archway on the manifests in dir; it does not wait
// for it to be ready. At cleanup it sends SIGTERM and requires exit 0,
// unless the process ended already.
func startProcess(t *testing.T, dir string, opts processOptions) *archwayProcess {
	t.Helper()
	p := &archwayProcess{t: t, logs: &testutil.SyncBuffer{}, stdout: &testutil.SyncBuffer{}, exited: make(chan struct{}), manifests: dir,
		httpPort: testutil.FreePort(t), metrics: "127.0.0.1:" + strconv.Itoa(testutil.FreePort(t))}
	bin := opts.binary
	if bin == "" {
		bin = archwayBinary(t)
	}
	args := append([]string{"--manifests", dir, "--http-port", strconv.Itoa(p.httpPort),
		"--https-port", strconv.Itoa(testutil.FreePort(t)), "--metrics-address", p.metrics,
		"--nginx-binary", testutil.NginxBinary(t), "--sync-hold-off", "20ms", "--sync-max-delay", "200ms"}, opts.args...)
	if opts.pid1 {
		// --mount-proc: archway reads its nginx's processes from /proc.
		args = append([]string{"--pid", "--fork", "--mount-proc", "--kill-child", bin}, args...)
		bin = "unshare"
	}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, opts.env...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.logs
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: opts.as}
	require.NoError(t, p.cmd.Start())
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		if !p.hasExited() {
			_ = syscall.Kill(p.pid(), syscall.SIGTERM)
			select {
			case <-p.exited:
				require.NoError(t, p.err, "archway must exit 0 on SIGTERM")
			case <-time.After(30 * time.Second):
				_ = p.cmd.Process.Kill()
				t.Error("archway did not stop within 30s of SIGTERM")
			}
		}
		if t.Failed() {
			t.Logf("archway's stderr:\n%s\nits stdout:\n%s", p.logs.String(), p.stdout.String())
		}
	})
	return p
}

// pid is archway's own pid (seen from the test): under unshare, which
// passes no signal on, that of unshare's only child.
func (p *archwayProcess) pid() int {
	if p.cmd.Args[0] != "unshare" {
		return p.cmd.Process.Pid
	}
	children, err := harness.Children(p.cmd.Process.Pid)
	require.NoError(p.t, err)
	for pid := range children {
		return pid
	}
	return p.cmd.Process.Pid
}

func (p *archwayProcess) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// waitExit waits for archway to exit on its own and returns its output.
func (p *archwayProcess) waitExit() string {
	p.t.Helper()
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		p.t.Fatalf("archway still runs; output:\n%s", p.logs.String())
	}
	require.Error(p.t, p.err, "archway must fail")
	return p.logs.String()
}

// readyz returns /readyz's status code, or 0 when nothing answers.
func (p *archwayProcess) readyz() int {
	resp, err := http.Get("http://" + p.metrics + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (p *archwayProcess) waitReady() {
	p.t.Helper()
	require.Eventually(p.t, func() bool { return p.hasExited() || p.readyz() == http.StatusOK },
		30*time.Second, 20*time.Millisecond)
	require.False(p.t, p.hasExited(), "archway exited: %v\n%s", p.err, p.logs.String())
}

// request sends method host/path through nginx with body and the basic
// auth credentials user:password (none when user is empty).
func (p *archwayProcess) request(method, host, path, body, user, password string) (int, string) {
	p.t.Helper()
	req, err := http.NewRequest(method, "http://127.0.0.1:"+strconv.Itoa(p.httpPort)+path, strings.NewReader(body))
	require.NoError(p.t, err)
	req.Host = host
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(got)
}

// get sends GET path to host with the headers given (name, value, name,
// value...) and returns the answer, whose body it has closed.
func (p *archwayProcess) get(host, path string, headers ...string) *http.Response {
	p.t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(p.httpPort)+path, nil)
	require.NoError(p.t, err)
	req.Host = host
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(p.t, err)
	require.NoError(p.t, resp.Body.Close())
	return resp
}

// metric returns the /metrics lines that contain every one of parts.
func (p *archwayProcess) metric(parts ...string) []string {
	resp, err := http.Get("http://" + p.metrics + "/metrics")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var lines []string
	for _, line := range strings.Split(string(body), "\n") {
		match := !strings.HasPrefix(line, "#")
		for _, part := range parts {
			match = match && strings.Contains(line, part)
		}
		if match {
			lines = append(lines, line)
		}
	}
	return lines
}

// bodyLengthBackend answers every request with the length of its body.
func bodyLengthBackend(t *testing.T) int {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, "read %d", n)
	}))
	t.Cleanup(server.Close)
	return server.Listener.Addr().(*net.TCPAddr).Port
}

// workerManifests are a backend "web", an open Ingress on open.example.com
// and one with basic auth (user alice, password wonderland) on
// auth.example.com.
func workerManifests(port int) string {
	sum := sha1.Sum([]byte("wonderland"))
	users := "alice:{SHA}" + base64.StdEncoding.EncodeToString(sum[:]) + "\n"
	return backendManifests("web", port) + "---" + ingressManifest("open", "open.example.com", "/", "web") + fmt.Sprintf(`
---
apiVersion: v1
kind: Secret
metadata: {name: users}
data: {auth: %s}
---`, base64.StdEncoding.EncodeToString([]byte(users))) +
		annotatedIngress("auth", "auth.example.com", "/", "web", "nginx.ingress.kubernetes.io/auth-type: basic, nginx.ingress.kubernetes.io/auth-secret: users")
}

const classManifest = `
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: archway}
spec: {controller: archway.dev/ingress-controller}
`

// writeManifests writes the class and manifests into dir.
func writeManifests(t *testing.T, dir, manifests string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "class.yaml"), []byte(classManifest), 0o644))
	// Atomically, as kubectl apply changes objects: the folder source
	// must not read a half-written file (objects missing from it would
	// be removed, and their change counted, until the next read).
	tmp := filepath.Join(dir, ".app.yaml.tmp")
	require.NoError(t, os.WriteFile(tmp, []byte(manifests), 0o644))
	require.NoError(t, os.Rename(tmp, filepath.Join(dir, "app.yaml")))
}

// requireWorkersServe checks what nginx's workers do with the runtime dir:
// buffer a request body over 8 KB to a temp file, read an htpasswd file,
// and send the access log record that becomes the request metric, without
// a single alert in nginx's log.
func requireWorkersServe(t *testing.T, p *archwayProcess) {
	t.Helper()
	body := strings.Repeat("x", 64<<10)
	code, got := p.request(http.MethodPost, "open.example.com", "/", body, "", "")
	require.Equal(t, http.StatusOK, code, got)
	require.Equal(t, "read 65536", got)
	code, got = p.request(http.MethodGet, "auth.example.com", "/", "", "alice", "wonderland")
	require.Equal(t, http.StatusOK, code, got)
	code, _ = p.request(http.MethodGet, "auth.example.com", "/", "", "alice", "wrong")
	require.Equal(t, http.StatusUnauthorized, code)
	require.Eventually(t, func() bool {
		return len(p.metric("nginx_ingress_controller_requests{", `ingress="open"`, `method="POST"`, `status="200"`)) == 1 &&
			len(p.metric("nginx_ingress_controller_requests{", `ingress="auth"`, `status="401"`)) == 1
	}, 5*time.Second, 20*time.Millisecond, "request metrics")
	require.Len(t, p.metric("archway_access_log_records_dropped_total{", "} 0"), 1, "no record dropped")
	for _, level := range []string{"[alert]", "[crit]", "[emerg]"} {
		require.NotContains(t, p.logs.String(), level)
	}
}

// startServing starts archway as root on workerManifests and a fresh
// runtime dir in /tmp that it creates itself, as `make run` does, waits
// until it is ready and returns it with its runtime dir.
func startServing(t *testing.T, args ...string) (*archwayProcess, string) {
	t.Helper()
	manifests := t.TempDir()
	writeManifests(t, manifests, workerManifests(bodyLengthBackend(t)))
	runtimeDir := testutil.RuntimeDir(t)
	p := startProcess(t, manifests, processOptions{args: append([]string{"--runtime-dir", runtimeDir}, args...)})
	p.waitReady()
	return p, runtimeDir
}

// serveManifests runs archway, as `make run` does, on a new folder (its
// p.manifests) holding manifests, with a runtime dir it creates and the
// args given, and waits until it is ready.
func serveManifests(t *testing.T, manifests string, args ...string) *archwayProcess {
	t.Helper()
	dir := t.TempDir()
	writeManifests(t, dir, manifests)
	p := startProcess(t, dir, processOptions{args: append([]string{"--runtime-dir", testutil.RuntimeDir(t)}, args...)})
	p.waitReady()
	return p
}

// TestWorkersReachRuntimeDirAsRoot starts archway as root on a runtime dir
// that does not exist yet, in /tmp, as `make run` does: nginx's workers
// (nobody) must reach everything they open while serving, while the key
// material and the endpoints socket's folder stay archway's.
func TestWorkersReachRuntimeDirAsRoot(t *testing.T) {
	requireRoot(t)
	p, runtimeDir := startServing(t)
	requireWorkersServe(t, p)

	for name, want := range map[string]os.FileMode{".": 0o755, "private": 0o700, "archway.lock": 0o644} {
		info, err := os.Stat(filepath.Join(runtimeDir, name))
		require.NoError(t, err)
		require.Equal(t, want, info.Mode().Perm(), name)
	}
	// Certificates and their keys.
	keys, err := filepath.Glob(filepath.Join(runtimeDir, "tls", "*.pem"))
	require.NoError(t, err)
	require.NotEmpty(t, keys)
	for _, key := range keys {
		info, err := os.Stat(key)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), key)
	}
}

// TestWorkersReachRuntimeDirAsUser starts archway as an ordinary user
// (nobody) with its own private TMPDIR and the default runtime dir in it.
func TestWorkersReachRuntimeDirAsUser(t *testing.T) {
	requireRoot(t) // to become nobody
	nobody, err := user.Lookup("nobody")
	require.NoError(t, err)
	uid, err := strconv.Atoi(nobody.Uid)
	require.NoError(t, err)
	gid, err := strconv.Atoi(nobody.Gid)
	require.NoError(t, err)
	// The user's own folder: its TMPDIR, its copy of archway, its manifests.
	home, err := os.MkdirTemp("", "archway-user-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(home) })
	require.NoError(t, os.Chown(home, uid, gid))
	bin, err := os.ReadFile(archwayBinary(t))
	require.NoError(t, err)
	binary := filepath.Join(home, "bin", "archway")
	require.NoError(t, os.Mkdir(filepath.Dir(binary), 0o755))
	require.NoError(t, os.WriteFile(binary, bin, 0o755))
	manifests := filepath.Join(home, "manifests")
	require.NoError(t, os.Mkdir(manifests, 0o755))
	writeManifests(t, manifests, workerManifests(bodyLengthBackend(t)))

	p := startProcess(t, manifests, processOptions{binary: binary,
		env: []string{"TMPDIR=" + home, "HOME=" + home},
		as:  &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}})
	p.waitReady()
	requireWorkersServe(t, p)
	info, err := os.Stat(filepath.Join(home, "archway", "nginx.conf"))
	require.NoError(t, err, "the default runtime dir is $TMPDIR/archway")
	require.Equal(t, uint32(uid), info.Sys().(*syscall.Stat_t).Uid)
}

// TestUnreachableRuntimeDirRefused: as root with a private TMPDIR, the
// default runtime dir would be out of the workers' reach; archway refuses
// to start and says which folder and what to do.
func TestUnreachableRuntimeDirRefused(t *testing.T) {
	requireRoot(t)
	manifests := t.TempDir()
	writeManifests(t, manifests, workerManifests(bodyLengthBackend(t)))
	private, err := os.MkdirTemp("", "archway-tmpdir-") // 0700, as a root user's TMPDIR often is
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(private) })
	p := startProcess(t, manifests, processOptions{env: []string{"TMPDIR=" + private}})
	out := p.waitExit()
	require.Contains(t, out, "nginx's workers run as nobody, who cannot pass through "+private)
	require.Contains(t, out, "chmod o+x "+private)
	require.Contains(t, out, "--runtime-dir")
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test runs archway as root and as nobody: run it as root (make test does)")
	}
}

// TestSecondArchwayOnRuntimeDirRefused: a second archway on the runtime
// dir of a running one would replace its sockets and config; it must be
// refused, and the first keep serving.
func TestSecondArchwayOnRuntimeDirRefused(t *testing.T) {
	first, runtimeDir := startServing(t)
	second := startProcess(t, t.TempDir(), processOptions{args: []string{"--runtime-dir", runtimeDir}})
	out := second.waitExit()
	require.Contains(t, out, fmt.Sprintf("runtime dir %s is in use by another archway (pid %d)", runtimeDir, first.cmd.Process.Pid))

	code, got := first.request(http.MethodGet, "open.example.com", "/", "", "", "")
	require.Equal(t, http.StatusOK, code, got)
	require.Equal(t, http.StatusOK, first.readyz())
}

// TestSIGHUPResyncs: SIGHUP, which a terminal or an operator sends, must
// not kill archway and nginx undrained; archway writes the live config
// again (here, after a /tmp cleaner removed it) and reloads nginx.
func TestSIGHUPResyncs(t *testing.T) {
	p, runtimeDir := startServing(t, "--log-level", "debug")
	conf := filepath.Join(runtimeDir, "nginx.conf")
	want, err := os.ReadFile(conf)
	require.NoError(t, err)
	require.NoError(t, os.Remove(conf))

	require.NoError(t, p.cmd.Process.Signal(syscall.SIGHUP))
	require.Eventually(t, func() bool { return strings.Contains(p.logs.String(), "resync on SIGHUP done") || p.hasExited() },
		10*time.Second, 20*time.Millisecond)
	require.False(t, p.hasExited(), "archway died of SIGHUP: %v", p.err)
	got, err := os.ReadFile(conf)
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.Contains(t, p.logs.String(), "signal 1 (SIGHUP) received", "nginx reloaded")
	code, body := p.request(http.MethodGet, "open.example.com", "/", "", "", "")
	require.Equal(t, http.StatusOK, code, body)
	require.Equal(t, http.StatusOK, p.readyz())
}

// TestNginxRestartsWithoutItsConfig: a /tmp cleaner removed nginx.conf and
// nginx then died. archway must write the live config again and restart
// nginx on it, and /readyz must fail while nginx cannot serve.
func TestNginxRestartsWithoutItsConfig(t *testing.T) {
	p, runtimeDir := startServing(t)
	require.NoError(t, os.Remove(filepath.Join(runtimeDir, "nginx.conf")))
	pid, err := os.ReadFile(filepath.Join(runtimeDir, "nginx.pid"))
	require.NoError(t, err)
	master, err := strconv.Atoi(strings.TrimSpace(string(pid)))
	require.NoError(t, err)

	// Watch /readyz from before nginx dies until it serves again.
	unready := make(chan struct{})
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if p.readyz() == http.StatusServiceUnavailable {
				close(unready)
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	require.NoError(t, syscall.Kill(master, syscall.SIGKILL))
	select {
	case <-unready:
	case <-time.After(10 * time.Second):
		t.Fatal("/readyz never failed while nginx was down")
	}
	require.Eventually(t, func() bool {
		code, _ := p.request(http.MethodGet, "open.example.com", "/", "", "", "")
		return code == http.StatusOK && p.readyz() == http.StatusOK
	}, 10*time.Second, 20*time.Millisecond, "nginx restarted on the live config")
	require.FileExists(t, filepath.Join(runtimeDir, "nginx.conf"))
}

// TestBrokenManifestKeepsServing: a manifest file that stops parsing (a
// bad edit) keeps serving its last good objects, and its error is logged
// once, however many syncs follow.
func TestBrokenManifestKeepsServing(t *testing.T) {
	p, _ := startServing(t)
	app := filepath.Join(p.manifests, "app.yaml")
	require.NoError(t, os.WriteFile(app, []byte("apiVersion: v1\nkind: Service\nmetadata: {name: [\n"), 0o644))
	require.Eventually(t, func() bool {
		return len(p.metric("archway_rejected_objects{", `kind="File"`, `reason="InvalidManifest"`, "} 1")) == 1
	}, 10*time.Second, 20*time.Millisecond, "the broken file is reported")

	// Another change, and so another sync with the broken file.
	extra := ingressManifest("extra", "extra.example.com", "/", "web")
	require.NoError(t, os.WriteFile(filepath.Join(p.manifests, "extra.yaml"), []byte(extra), 0o644))
	require.Eventually(t, func() bool {
		code, _ := p.request(http.MethodGet, "extra.example.com", "/", "", "", "")
		return code == http.StatusOK
	}, 10*time.Second, 20*time.Millisecond, "the broken file's Service still serves the new Ingress")
	code, body := p.request(http.MethodGet, "open.example.com", "/", "", "", "")
	require.Equal(t, http.StatusOK, code, body)
	code, _ = p.request(http.MethodGet, "auth.example.com", "/", "", "alice", "wrong")
	require.Equal(t, http.StatusUnauthorized, code)
	require.Equal(t, 1, strings.Count(p.logs.String(), app), "the error is logged once:\n%s", p.logs.String())
	require.Contains(t, p.logs.String(), "last good version keeps serving")
}
