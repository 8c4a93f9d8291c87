package nginx

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/render"
)

// echo starts an HTTP server on 127.0.0.1 that answers name, and returns
// it as an endpoint.
func echo(t *testing.T, name string) model.Endpoint {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, name)
	}))
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().(*net.TCPAddr)
	return model.Endpoint{Address: addr.IP.String(), Port: int32(addr.Port)}
}

// rendered is the real renderer's output for a config that sends every
// request to backend "web" with endpoints web, plus /api to backend "api"
// when api is given.
func (e *env) rendered(web []model.Endpoint, api ...model.Endpoint) render.Output {
	e.t.Helper()
	cfg := model.Config{DefaultBackend: "web", Backends: []model.Backend{{Name: "web", Endpoints: web}}}
	if len(api) > 0 {
		cfg.Backends = append(cfg.Backends, model.Backend{Name: "api", Endpoints: api})
		cfg.Servers = []model.Server{{Locations: []model.Location{
			{Path: "/api", Match: model.MatchPrefix, Backend: "api"},
			{Path: "/", Match: model.MatchPrefix, Backend: "web"},
		}}}
	}
	return e.render(cfg, e.port)
}

// render is the real renderer's output for cfg, serving HTTP on port.
func (e *env) render(cfg model.Config, port int) render.Output {
	e.t.Helper()
	r, err := render.New("")
	require.NoError(e.t, err)
	opts := render.Options{HTTPPort: port, RuntimeDir: e.dir}
	opts.User, opts.Group = WorkerUser()
	out, err := r.Render(cfg, opts)
	require.NoError(e.t, err)
	return out
}

// getPath fetches path from the plain server and returns status and body.
func (e *env) getPath(path string) (int, string) {
	e.t.Helper()
	resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(e.port) + path)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return resp.StatusCode, string(body)
}

func TestEndpointChangesCauseNoReload(t *testing.T) {
	e := newEnv(t, 0)
	a, b := echo(t, "a"), echo(t, "b")
	res := e.apply(e.rendered([]model.Endpoint{a}))
	require.Equal(t, Result{Changed: true, EndpointsPushed: true, Duration: res.Duration, Reload: res.Reload, Push: res.Push}, res)
	// nginx's start and the push are parts of the Apply.
	require.Positive(t, res.Reload)
	require.Positive(t, res.Push)
	require.LessOrEqual(t, res.Reload+res.Push, res.Duration)
	e.requireServes("a")
	master := e.masterPid()
	workers, err := activeWorkers(master)
	require.NoError(t, err)
	conf, err := os.Stat(filepath.Join(e.dir, render.ConfigFile))
	require.NoError(t, err)

	// Each step's endpoints and the answers the next request may get
	// (none: 503).
	steps := []struct {
		eps  []model.Endpoint
		want []string
	}{
		{eps: []model.Endpoint{b}, want: []string{"b"}},
		{eps: []model.Endpoint{a}, want: []string{"a"}},
		{eps: []model.Endpoint{a, b}, want: []string{"a", "b"}},
		{eps: nil},
		{eps: []model.Endpoint{a}, want: []string{"a"}},
	}
	for i := range 20 {
		step := steps[i%len(steps)]
		res := e.apply(e.rendered(step.eps))
		require.False(t, res.Changed, "change %d", i)
		require.True(t, res.EndpointsPushed, "change %d", i)
		require.Equal(t, res.Duration, res.Push, "change %d: the push is all of it", i)
		// The very next request sees the change.
		code, body := e.getPath("/")
		if step.want == nil {
			require.Equal(t, http.StatusServiceUnavailable, code, "change %d", i)
			continue
		}
		require.Equal(t, http.StatusOK, code, "change %d", i)
		require.Contains(t, step.want, body, "change %d", i)
	}
	res = e.apply(e.rendered(steps[19%len(steps)].eps))
	require.Equal(t, Result{}, res, "equal endpoints: nothing to do")

	// A stray SIGHUP would show within milliseconds; wait well past that.
	time.Sleep(300 * time.Millisecond)
	require.Zero(t, e.logs.count("(SIGHUP) received"))
	require.Equal(t, master, e.masterPid())
	now, err := activeWorkers(master)
	require.NoError(t, err)
	// A reload replaces every worker; the list of before may lack one
	// that was forked but had not yet taken its name.
	require.NotEmpty(t, workers)
	require.Subset(t, now, workers)
	after, err := os.Stat(filepath.Join(e.dir, render.ConfigFile))
	require.NoError(t, err)
	require.True(t, os.SameFile(conf, after), "nginx.conf must not be rewritten")
	require.Equal(t, conf.ModTime(), after.ModTime())
}

func TestReloadServesNewBackendsAtOnce(t *testing.T) {
	e := newEnv(t, 0)
	a, api := echo(t, "a"), echo(t, "api")
	e.apply(e.rendered([]model.Endpoint{a}))
	e.requireServes("a")

	res := e.apply(e.rendered([]model.Endpoint{a}, api))
	require.True(t, res.Changed)
	require.True(t, res.EndpointsPushed)
	require.Equal(t, 1, e.logs.count("(SIGHUP) received"))
	// The new backend is there by the time Apply returns.
	for range 10 {
		code, body := e.getPath("/api/x")
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, "api", body)
	}
	e.requireServes("a")
}

// TestReloadThatRemakesSharedMemoryPushesAll: nginx makes a dict anew
// when a reload changes its size; archway finds out and pushes the whole
// set, so the new workers have every backend and certificate.
func TestReloadThatRemakesSharedMemoryPushesAll(t *testing.T) {
	for _, dict := range []string{"archway_backends 64m", "archway_certificates 256m"} {
		t.Run(dict, func(t *testing.T) {
			e := newEnv(t, 0)
			a := echo(t, "a")
			e.apply(e.rendered([]model.Endpoint{a}))

			resized := e.rendered([]model.Endpoint{a})
			conf := &resized.Files[slices.IndexFunc(resized.Files, func(f render.File) bool { return f.Name == render.ConfigFile })]
			smaller := strings.Replace(dict, "m", "0k", 1) // 64m -> 640k
			changed := bytes.Replace(conf.Data, []byte("lua_shared_dict "+dict+";"), []byte("lua_shared_dict "+smaller+";"), 1)
			require.NotEqual(t, conf.Data, changed)
			conf.Data = changed
			res := e.apply(resized)
			require.True(t, res.Changed)
			// The reload and the push after it are this Apply's.
			require.Positive(t, res.Reload)
			require.LessOrEqual(t, res.Reload+res.Push, res.Duration)

			e.requireServes("a")
			require.Equal(t, 2, e.logs.count(`endpoints pushed merge="false"`), "the start and the reload push the whole set")
		})
	}
}

func TestRestartPushesEndpointsBeforeReady(t *testing.T) {
	e := newEnv(t, 0)
	a := echo(t, "a")
	e.apply(e.rendered([]model.Endpoint{a}))
	master := e.masterPid()

	require.NoError(t, syscall.Kill(master, syscall.SIGKILL))

	// Ready only turns true again once the new nginx has the endpoints
	// (Run marks it unready before it starts the new master).
	require.Eventually(t, func() bool {
		pid, err := readPid(e.dir)
		return err == nil && pid != master && e.m.Ready()
	}, 10*time.Second, 5*time.Millisecond)
	code, body := e.getPath("/")
	require.Equal(t, http.StatusOK, code, body)
	require.Equal(t, "a", body)
	require.Equal(t, 1, e.logs.count("nginx restarted"))
}

func TestFailedPushIsAnErrorAndRetried(t *testing.T) {
	e := newEnv(t, 0)
	a, b := echo(t, "a"), echo(t, "b")
	good := e.rendered([]model.Endpoint{a})
	e.apply(good)

	bad := e.rendered([]model.Endpoint{b})
	bad.Endpoints = render.Endpoints{{Name: "web", JSON: []byte(`{"endpoints": ["not an endpoint"]}`)}}
	_, err := e.m.Apply(context.Background(), bad)
	require.ErrorIs(t, err, ErrPush)
	require.ErrorIs(t, err, ErrRejected, "nginx's Lua side refused the payload")
	require.ErrorContains(t, err, "invalid endpoint")
	e.requireServes("a")
	require.True(t, e.m.Ready())

	// The same payload as before the failure is pushed again, whole:
	// nobody knows what a failed push left behind.
	res := e.apply(good)
	require.True(t, res.EndpointsPushed)
	require.Equal(t, 1, e.logs.count(`endpoints pushed merge="false" nginx="1 members, 0 entries changed"`))
	require.False(t, res.Changed)
	e.requireServes("a")
	require.Zero(t, e.logs.count("(SIGHUP) received"))
}

func TestEndpointsSocketIsPrivate(t *testing.T) {
	e := newEnv(t, 0)
	// Every user reaches the runtime dir, as in production, so that only
	// the private dir can keep them out.
	out := e.rendered([]model.Endpoint{echo(t, "a")})
	e.apply(out)

	private, err := os.Stat(filepath.Join(e.dir, render.PrivateDir))
	require.NoError(t, err)
	require.Equal(t, os.ModeDir|0o700, private.Mode())
	require.Equal(t, uint32(os.Geteuid()), private.Sys().(*syscall.Stat_t).Uid)
	socket, err := os.Stat(filepath.Join(e.dir, render.EndpointsSocket))
	require.NoError(t, err)
	require.Equal(t, os.ModeSocket|0o600, socket.Mode())

	// nginx listens on TCP on the HTTP port alone.
	require.Equal(t, []int{e.port}, tcpListenPorts(t, e.masterPid()))

	// archway's user reaches the socket; another user reaches the status
	// socket next to the private dir, but not the endpoints socket.
	push := func(cred *syscall.Credential) error {
		return curl(t, filepath.Join(e.dir, render.EndpointsSocket), render.EndpointsPath, out.Endpoints.Payload(), cred)
	}
	require.NoError(t, push(nil))
	if os.Geteuid() == 0 {
		nobody := nobodyCredential(t)
		require.NoError(t, curl(t, filepath.Join(e.dir, render.StatusSocket), render.VersionPath, nil, nobody))
		require.ErrorContains(t, push(nobody), "Couldn't connect")
	}
	e.requireServes("a")
}

func nobodyCredential(t *testing.T) *syscall.Credential {
	nobody, err := user.Lookup("nobody")
	require.NoError(t, err)
	uid, err := strconv.Atoi(nobody.Uid)
	require.NoError(t, err)
	gid, err := strconv.Atoi(nobody.Gid)
	require.NoError(t, err)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

// curl sends a request to path on a unix socket with curl, as the user
// cred names (nil: this process's user): a POST of payload, or a GET when
// payload is nil.
func curl(t *testing.T, socket, path string, payload []byte, cred *syscall.Credential) error {
	t.Helper()
	binary, err := exec.LookPath("curl")
	require.NoError(t, err, "this test needs curl")
	args := []string{"-sS", "--fail", "--unix-socket", socket, "http://archway" + path}
	if payload != nil {
		args = append(args, "--data-binary", "@-")
	}
	cmd := exec.Command(binary, args...)
	cmd.Stdin = strings.NewReader(string(payload))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%w: %s", err, out)
	}
	return nil
}

// tcpListenPorts returns the TCP ports, IPv4 or IPv6, that the processes
// of master's group listen on.
func tcpListenPorts(t *testing.T, master int) []int {
	t.Helper()
	inodes := map[string]bool{}
	pids := []int{master}
	workers, err := activeWorkers(master)
	require.NoError(t, err)
	for _, pid := range append(pids, workers...) {
		fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		require.NoError(t, err)
		for _, fd := range fds {
			link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
			if err == nil && strings.HasPrefix(link, "socket:[") {
				inodes[strings.Trim(link[len("socket:"):], "[]")] = true
			}
		}
	}
	var ports []int
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(table)
		require.NoError(t, err)
		lines := bufio.NewScanner(f)
		for lines.Scan() {
			// sl local_address rem_address st ... inode
			fields := strings.Fields(lines.Text())
			if len(fields) < 10 || fields[3] != "0A" || !inodes[fields[9]] {
				continue
			}
			_, hexPort, _ := strings.Cut(fields[1], ":")
			port, err := strconv.ParseInt(hexPort, 16, 32)
			require.NoError(t, err)
			if !slices.Contains(ports, int(port)) {
				ports = append(ports, int(port))
			}
		}
		require.NoError(t, f.Close())
	}
	return ports
}

// TestCheckChangesNothing: Check tells what nginx -t and the Lua side
// think of a config, and nginx serves what it served before.
func TestCheckChangesNothing(t *testing.T) {
	e := newEnv(t, 0)
	a, b := echo(t, "a"), echo(t, "b")
	good := e.rendered([]model.Endpoint{a})
	e.apply(good)

	moved := e.rendered([]model.Endpoint{b})
	require.NoError(t, e.m.Check(context.Background(), moved))
	e.requireServes("a")

	badEndpoints := e.rendered([]model.Endpoint{b})
	badEndpoints.Endpoints = render.Endpoints{{Name: "web", JSON: []byte(`{"endpoints": ["not an endpoint"]}`)}}
	err := e.m.Check(context.Background(), badEndpoints)
	require.ErrorIs(t, err, ErrRejected)
	require.ErrorContains(t, err, "invalid endpoint")

	badConf := e.rendered([]model.Endpoint{a})
	badConf.Files[0].Data = bytes.Replace(badConf.Files[0].Data, []byte("http {"), []byte("http {\n    no_such_directive on;"), 1)
	err = e.m.Check(context.Background(), badConf)
	require.ErrorIs(t, err, ErrRejected)
	require.ErrorContains(t, err, `unknown directive "no_such_directive"`)

	require.Equal(t, good.Files[0].Data, e.diskConfig())
	_, err = os.Stat(filepath.Join(e.dir, candidateFile))
	require.ErrorIs(t, err, os.ErrNotExist)
	require.Zero(t, e.logs.count("(SIGHUP) received"))
	e.requireServes("a")
	// Nothing was stored: the live endpoints need no push.
	require.False(t, e.apply(good).EndpointsPushed)
}
