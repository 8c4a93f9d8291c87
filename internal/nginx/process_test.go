package nginx

import (
	"log/slog"
	"os"
	"testing"

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
