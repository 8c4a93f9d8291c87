package nginx

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/archway-ingress/archway/internal/render"
)

// writeStreamEndpoints writes the files of the TCP and UDP services'
// endpoints (render.Output.StreamEndpoints) that are missing or differ.
// nginx reads them for each new connection: a changed file takes effect
// without a reload, and a file is replaced atomically, so a connection
// sees the old list or the new one.
func writeStreamEndpoints(dir string, files []render.File) error {
	for _, f := range files {
		if filepath.Dir(f.Name) != render.StreamEndpointsDir || !filepath.IsLocal(f.Name) || filepath.Clean(f.Name) != f.Name {
			return fmt.Errorf("stream endpoints file %q: not a clean name in %s", f.Name, render.StreamEndpointsDir)
		}
	}
	return restoreFiles(dir, files, nil)
}

// pruneStreamEndpoints removes the files of StreamEndpointsDir that
// files, the live config's, do not name: those of services gone.
func pruneStreamEndpoints(dir string, files []render.File, log *slog.Logger) {
	keep := make(map[string]bool, len(files))
	for _, f := range files {
		keep[filepath.Base(f.Name)] = true
	}
	folder := filepath.Join(dir, render.StreamEndpointsDir)
	entries, err := os.ReadDir(folder)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		log.Warn("cannot list the stream endpoints", "err", err)
	}
	for _, e := range entries {
		if keep[e.Name()] {
			continue
		}
		if err := os.Remove(filepath.Join(folder, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			log.Warn("cannot remove the endpoints of a stream server gone", "file", e.Name(), "err", err)
		}
	}
}
