package nginx

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/render"
)

// TestStreamEndpointsFiles: the files of the stream servers' endpoints are
// written where they differ, those of servers gone are pruned, and a name
// outside their folder is refused.
func TestStreamEndpointsFiles(t *testing.T) {
	dir := t.TempDir()
	file := func(name, data string) render.File {
		return render.File{Name: filepath.Join(render.StreamEndpointsDir, name), Data: []byte(data), Mode: 0o644}
	}
	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join(dir, render.StreamEndpointsDir, name))
		require.NoError(t, err)
		return string(data)
	}
	require.NoError(t, writeStreamEndpoints(dir, []render.File{file("tcp_5432", "10.0.0.1:5432\n"), file("udp_53", "10.0.0.2:53\n")}))
	require.Equal(t, "10.0.0.1:5432\n", read("tcp_5432"))

	live := []render.File{file("tcp_5432", "10.0.0.3:5432\n")}
	require.NoError(t, writeStreamEndpoints(dir, live))
	pruneStreamEndpoints(dir, live, slog.New(slog.DiscardHandler))
	require.Equal(t, "10.0.0.3:5432\n", read("tcp_5432"))
	_, err := os.Stat(filepath.Join(dir, render.StreamEndpointsDir, "udp_53"))
	require.ErrorIs(t, err, os.ErrNotExist)

	for _, name := range []string{"nginx.conf", render.StreamEndpointsDir + "/../nginx.conf", render.StreamEndpointsDir + "/a/b"} {
		require.ErrorContains(t, writeStreamEndpoints(dir, []render.File{{Name: name}}), "not a clean name", name)
	}
}
