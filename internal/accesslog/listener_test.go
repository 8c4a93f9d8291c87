package accesslog

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/metrics"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/nginx"
	"github.com/archway-ingress/archway/internal/render"
	"github.com/archway-ingress/archway/internal/testutil"
)

// recorder keeps what the Listener hands over.
type recorder struct {
	mu      sync.Mutex
	reqs    []metrics.Request
	streams []metrics.Stream
}

func (r *recorder) ObserveStream(s metrics.Stream) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.streams = append(r.streams, s)
}

func (r *recorder) gotStreams() []metrics.Stream {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]metrics.Stream(nil), r.streams...)
}

func (r *recorder) ObserveRequest(req metrics.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, req)
}

func (r *recorder) got() []metrics.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]metrics.Request(nil), r.reqs...)
}

// TestListenerWithNginx renders a config, runs the real nginx on it and
// checks that each request, TCP connection and UDP session arrives as one
// record with the config's labels. As root, nginx's workers run as
// nobody: the socket must be theirs.
func TestListenerWithNginx(t *testing.T) {
	dir := openRuntimeDir(t)
	port, tcpPort, deadPort, udpPort := testutil.FreePort(t), testutil.FreePort(t), testutil.FreePort(t), testutil.FreeUDPPort(t)
	workerUser, workerGroup := nginx.WorkerUser()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()

	rec := &recorder{}
	socket := filepath.Join(dir, render.AccessLogSocket)
	l, err := Listen(Options{Socket: socket, WorkerUser: workerUser, Recorder: rec})
	require.NoError(t, err)
	listened := make(chan error, 1)
	go func() { listened <- l.Run(ctx) }()

	info, err := os.Stat(filepath.Dir(socket))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), info.Mode().Perm())
	if workerUser != "" {
		u, err := user.Lookup(workerUser)
		require.NoError(t, err)
		require.Equal(t, u.Uid, strconv.Itoa(int(info.Sys().(*syscall.Stat_t).Uid)))
	}

	// A backend without endpoints answers 503, so no upstream is needed.
	cfg := model.Config{
		Backends: []model.Backend{{Name: "shop-web-80", Service: model.Ref{Namespace: "shop", Name: "web"}, Port: "80"}},
		Servers: []model.Server{{Host: "shop.example.com", Locations: []model.Location{{
			Path: "/", Match: model.MatchPrefix, Backend: "shop-web-80", Owner: model.Owner{Kind: model.KindIngress, Ref: model.Ref{Namespace: "shop", Name: "storefront"}},
		}}}},
		Streams: []model.StreamServer{
			{Protocol: model.TCP, Port: tcpPort, Service: model.Ref{Namespace: "shop", Name: "db"}, ServicePort: "sql",
				Endpoints: []model.Endpoint{{Address: "127.0.0.1", Port: int32(testutil.TCPEcho(t, "127.0.0.1"))}}},
			{Protocol: model.TCP, Port: deadPort, Service: model.Ref{Namespace: "shop", Name: "gone"}, ServicePort: "sql"},
			{Protocol: model.UDP, Port: udpPort, Service: model.Ref{Namespace: "shop", Name: "dns"}, ServicePort: "dns",
				Endpoints: []model.Endpoint{{Address: "127.0.0.1", Port: int32(testutil.UDPEcho(t, "127.0.0.1"))}}},
		},
	}
	renderer, err := render.New("")
	require.NoError(t, err)
	out, err := renderer.Render(cfg, render.Options{HTTPPort: port, HTTPSPort: testutil.FreePort(t), RuntimeDir: dir,
		User: workerUser, Group: workerGroup})
	require.NoError(t, err)
	manager := nginx.New(nginx.Options{Binary: testutil.NginxBinary(t), RuntimeDir: dir})
	ran := make(chan error, 1)
	go func() { ran <- manager.Run(ctx) }()
	_, err = manager.Apply(ctx, out)
	require.NoError(t, err)

	send := func(method, host string) int {
		req, err := http.NewRequestWithContext(ctx, method, "http://127.0.0.1:"+strconv.Itoa(port)+"/some/path", nil)
		require.NoError(t, err)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		return resp.StatusCode
	}
	require.Equal(t, http.StatusServiceUnavailable, send("GET", "shop.example.com"))
	require.Equal(t, http.StatusNotFound, send("POST", "unknown.example.com"))
	require.Equal(t, http.StatusServiceUnavailable, send("BREW", "shop.example.com"))

	require.Eventually(t, func() bool { return len(rec.got()) == 3 }, 10*time.Second, 20*time.Millisecond)
	got := rec.got()
	for i := range got {
		require.GreaterOrEqual(t, got[i].Duration, 0.0)
		require.Positive(t, got[i].Size, "bytes sent include the headers")
		require.Positive(t, got[i].RequestSize)
		require.Equal(t, -1.0, got[i].ResponseTime, "no backend answered")
		got[i].Duration, got[i].Size, got[i].RequestSize, got[i].ResponseTime = 0, 0, 0, 0
	}
	require.ElementsMatch(t, []metrics.Request{
		{Namespace: "shop", Ingress: "storefront", Service: "web", Host: "shop.example.com", Status: "503", Method: "GET", Path: "/"},
		{Host: "_", Status: "404", Method: "POST"},
		{Namespace: "shop", Ingress: "storefront", Service: "web", Host: "shop.example.com", Status: "503", Method: "OTHER", Path: "/"},
	}, got)

	exchange := func(network string, port int, message string) {
		conn, err := net.DialTimeout(network, "127.0.0.1:"+strconv.Itoa(port), 5*time.Second)
		require.NoError(t, err)
		defer conn.Close()
		require.NoError(t, conn.SetDeadline(time.Now().Add(5*time.Second)))
		_, err = conn.Write([]byte(message))
		require.NoError(t, err)
		buf := make([]byte, 64)
		n, _ := conn.Read(buf)
		require.Equal(t, message, string(buf[:n]))
	}
	exchange("tcp", tcpPort, "hello")
	exchange("udp", udpPort, "ping")
	exchange("tcp", deadPort, "")
	require.Eventually(t, func() bool { return len(rec.gotStreams()) == 3 }, 10*time.Second, 20*time.Millisecond)
	require.ElementsMatch(t, []metrics.Stream{
		{Protocol: "TCP", Port: strconv.Itoa(tcpPort), Namespace: "shop", Service: "db", Status: "200", Sent: 5, Received: 5},
		{Protocol: "UDP", Port: strconv.Itoa(udpPort), Namespace: "shop", Service: "dns", Status: "200", Sent: 4, Received: 4},
		{Protocol: "TCP", Port: strconv.Itoa(deadPort), Namespace: "shop", Service: "gone", Status: "502"},
	}, rec.gotStreams())

	cancel()
	require.NoError(t, <-ran)
	require.NoError(t, <-listened)
	_, err = os.Stat(socket)
	require.ErrorIs(t, err, os.ErrNotExist, "Run removes its socket")
}

func TestListenReplacesStaleSocket(t *testing.T) {
	socket := filepath.Join(openRuntimeDir(t), render.AccessLogSocket)
	first, err := Listen(Options{Socket: socket, Recorder: &recorder{}})
	require.NoError(t, err)
	// A crash leaves the socket file behind; the next start must not fail.
	require.NoError(t, first.conn.Close())
	second, err := Listen(Options{Socket: socket, Recorder: &recorder{}})
	require.NoError(t, err)
	require.NoError(t, second.conn.Close())
}

// openRuntimeDir returns a runtime dir readied as archway readies it.
func openRuntimeDir(t *testing.T) string {
	dir := testutil.RuntimeDir(t)
	d, err := nginx.OpenRuntimeDir(dir)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	return dir
}
