package nginx

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLevelOf(t *testing.T) {
	tests := map[string]struct {
		line string
		want slog.Level
	}{
		"emerg":           {line: "2026/01/02 15:04:05 [emerg] 7#7: bind() failed", want: slog.LevelError},
		"error":           {line: "2026/01/02 15:04:05 [error] 7#7: open() failed", want: slog.LevelError},
		"warn":            {line: "2026/01/02 15:04:05 [warn] 7#7: duplicate MIME type", want: slog.LevelWarn},
		"notice":          {line: "2026/01/02 15:04:05 [notice] 7#7: reconfiguring", want: slog.LevelDebug},
		"debug":           {line: "2026/01/02 15:04:05 [debug] 7#7: epoll add", want: slog.LevelDebug},
		"before log open": {line: "nginx: [emerg] bind() failed", want: slog.LevelError},
		"no level":        {line: "nginx: configuration file test failed", want: slog.LevelInfo},
		"marker in text":  {line: "2026/01/02 15:04:05 [info] 7#7: client sent [error] in URI", want: slog.LevelDebug},
		"short":           {line: "oops", want: slog.LevelInfo},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			require.Equal(t, tc.want, levelOf(tc.line))
		})
	}
}

func TestParentOf(t *testing.T) {
	ppid, err := parentOf(os.Getpid())
	require.NoError(t, err)
	require.Equal(t, os.Getppid(), ppid)
}

// nginx reports each access log record it cannot send with a line of its
// own; archway counts them and warns once, not once per record. The socket
// here is never read, so its queue fills after a few records.
func TestDroppedAccessLogRecordsAreCountedNotLogged(t *testing.T) {
	e := newEnv(t, 0)
	require.NoError(t, os.MkdirAll(e.dir, 0o755))
	socket := filepath.Join(e.dir, "unread.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: socket, Net: "unixgram"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	require.NoError(t, os.Chmod(socket, 0o777)) // the workers may run as nobody
	logged := freePort(t)
	e.apply(e.output("v-a", "v-a", "body-a", fmt.Sprintf(`server {
    listen 127.0.0.1:%d;
    access_log "syslog:server=unix:%s,nohostname";
    location / { return 200 "logged"; }
  }`, logged, socket)))

	const requests = 100
	client := &http.Client{Timeout: 2 * time.Second}
	for range requests {
		resp, err := client.Get("http://127.0.0.1:" + strconv.Itoa(logged) + "/")
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	// All but the few the queue holds; the lines arrive after the answers.
	require.Eventually(t, func() bool { return e.dropped.Load() >= requests-20 }, 5*time.Second, 10*time.Millisecond,
		"dropped: %d", e.dropped.Load())
	require.Equal(t, 1, e.logs.count("nginx dropped access log records"))
	require.Equal(t, 1, e.logs.count(syslogFailed), "only the warning quotes nginx's line")
}
