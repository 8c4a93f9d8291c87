package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/render"
)

// writeRuntimeSupport lays out in runtime dir dir what a printed nginx.conf
// needs besides itself, as package nginx does: the balancer's Lua modules
// (equal for every config) and the private dir of the endpoints socket.
func writeRuntimeSupport(t *testing.T, dir string) {
	t.Helper()
	r, err := render.New("")
	require.NoError(t, err)
	out, err := r.Render(model.Config{}, render.Options{HTTPPort: 80, RuntimeDir: dir})
	require.NoError(t, err)
	for _, f := range out.Files {
		if f.Name == render.ConfigFile {
			continue
		}
		path := filepath.Join(dir, f.Name)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, f.Data, f.Mode))
	}
	require.NoError(t, os.MkdirAll(filepath.Join(dir, render.PrivateDir), 0o700))
}
