package render

import (
	"bytes"
	"cmp"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

// nginxBinary returns the nginx under test: $ARCHWAY_NGINX or /usr/sbin/nginx.
func nginxBinary(t testing.TB) string {
	t.Helper()
	bin := cmp.Or(os.Getenv("ARCHWAY_NGINX"), "/usr/sbin/nginx")
	_, err := os.Stat(bin)
	require.NoError(t, err, "these tests need nginx: install it or set ARCHWAY_NGINX")
	return bin
}

// workerUser returns the User and Group nginx workers run as: nobody when
// the test runs as root, else none, since only root can switch users.
func workerUser(t testing.TB) (string, string) {
	t.Helper()
	if os.Geteuid() != 0 {
		return "", ""
	}
	u, err := user.Lookup("nobody")
	require.NoError(t, err)
	g, err := user.LookupGroupId(u.Gid)
	require.NoError(t, err)
	return u.Username, g.Name
}

// writeFiles writes files into dir and returns the path of nginx.conf.
// nginx needs the private dir for the endpoints socket, and the
// passthrough dir for its sockets. As package nginx does, dir is created
// 0755 for the workers.
func writeFiles(t testing.TB, dir string, files []File) string {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.Mkdir(filepath.Join(dir, PrivateDir), 0o700))
	require.NoError(t, os.Mkdir(filepath.Join(dir, PassthroughDir), 0o755))
	for _, f := range files {
		path := filepath.Join(dir, f.Name)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, f.Data, f.Mode))
		if f.Group != "" {
			g, err := user.LookupGroup(f.Group)
			require.NoError(t, err)
			gid, err := strconv.Atoi(g.Gid)
			require.NoError(t, err)
			require.NoError(t, os.Chown(path, -1, gid))
		}
	}
	return filepath.Join(dir, ConfigFile)
}

// renderChecked renders cfg for a runtime dir of its own and checks it
// with nginxCheck.
func renderChecked(t testing.TB, cfg model.Config) {
	t.Helper()
	r, err := New("")
	require.NoError(t, err)
	dir := t.TempDir()
	out, err := r.Render(cfg, rootOptions(dir))
	require.NoError(t, err)
	nginxCheck(t, dir, out.Files)
}

// nginxCheck fails unless `nginx -t` accepts files (rendered for runtime
// dir dir) without a single warning.
func nginxCheck(t testing.TB, dir string, files []File) {
	t.Helper()
	path := writeFiles(t, dir, files)
	out, err := exec.Command(nginxBinary(t), "-t", "-p", dir, "-c", path, "-e", "stderr").CombinedOutput()
	require.NoError(t, err, "nginx -t:\n%s", out)
	require.NotRegexp(t, `\[(warn|error|crit|alert|emerg)\]`, string(out))
}

// startNginx runs nginx in the foreground on out (rendered for runtime dir
// dir), waits until its workers serve out.Version, pushes out.Endpoints,
// and stops nginx at cleanup.
func startNginx(t testing.TB, dir string, out Output) {
	t.Helper()
	path := writeFiles(t, dir, slices.Concat(out.Files, out.StreamEndpoints))
	logPath := filepath.Join(dir, "nginx.stderr")
	// Appending: libmodsecurity opens /dev/stdout (this file) anew, and
	// must not overwrite what nginx wrote.
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC|os.O_APPEND, 0o644)
	require.NoError(t, err)
	defer logFile.Close()
	cmd := exec.Command(nginxBinary(t), "-p", dir, "-c", path, "-e", "stderr")
	cmd.Dir = dir // as package nginx runs it: the access log socket's path is relative
	cmd.Stdout, cmd.Stderr = logFile, logFile
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	client := statusClient(t, dir)
	deadline := time.After(10 * time.Second)
	for {
		if code, body, err := get(client, "archway", VersionPath); err == nil && code == http.StatusOK && body == out.Version {
			break
		}
		select {
		case <-done:
			log, _ := os.ReadFile(logPath)
			t.Fatalf("nginx exited: %v\n%s", waitErr, log)
		case <-deadline:
			log, _ := os.ReadFile(logPath)
			t.Fatalf("nginx did not serve version %s within 10s\n%s", out.Version, log)
		case <-time.After(20 * time.Millisecond):
		}
	}
	push(t, dir, out.Endpoints.Payload())
}

// push posts an endpoints payload to nginx's endpoints socket in runtime
// dir dir.
func push(t testing.TB, dir string, payload []byte) {
	t.Helper()
	code, body, err := pushStatus(dir, "", payload)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code, body)
}

// pushStatus posts payload to the endpoints socket, with the query query,
// and returns nginx's answer.
func pushStatus(dir, query string, payload []byte) (int, string, error) {
	socket := filepath.Join(dir, EndpointsSocket)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		},
	}}
	defer client.CloseIdleConnections()
	resp, err := client.Post("http://archway"+EndpointsPath+query, "application/json", bytes.NewReader(payload))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// statusClient talks HTTP to nginx's status socket in runtime dir dir.
func statusClient(t testing.TB, dir string) *http.Client {
	socket := filepath.Join(dir, StatusSocket)
	return newClient(t, func(ctx context.Context) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", socket)
	})
}

// tcpClient sends every request to 127.0.0.1:port, whatever its Host.
func tcpClient(t testing.TB, port int) *http.Client {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	return newClient(t, func(ctx context.Context) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	})
}

func newClient(t testing.TB, dial func(context.Context) (net.Conn, error)) *http.Client {
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return dial(ctx) }}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Transport: tr,
		Timeout:   5 * time.Second,
		// A redirect is a routing result to assert, never to follow.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// get requests path with Host host and returns the status and body.
func get(client *http.Client, host, path string) (int, string, error) {
	code, body, _, err := getHeader(client, host, path, "")
	return code, body, err
}

// getHeader is get that also returns the response header named header.
func getHeader(client *http.Client, host, path, header string) (int, string, string, error) {
	req, err := http.NewRequest(http.MethodGet, "http://"+host+path, nil)
	if err != nil {
		return 0, "", "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header.Get(header), err
}

// freePort returns a TCP port that was free on 127.0.0.1 a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
