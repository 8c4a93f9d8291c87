package nginx

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/archway-ingress/archway/internal/render"
)

// fileGenerations remembers which files (besides nginx.conf) Apply wrote,
// so that files no configuration uses any more are removed: a rotated
// certificate gets a new content-addressed name, and its old file, with
// its private key, must not stay behind. A file is removed once neither
// the live config nor the one before it names it, since the workers of
// the previous config may still be draining and read some files (such as
// htpasswd) per request.
type fileGenerations struct {
	live, previous map[string]bool
	// orphans were written by Applies that failed.
	orphans map[string]bool
}

// wrote records the files an install is about to write.
func (g *fileGenerations) wrote(out render.Output) {
	for _, f := range out.Files {
		if f.Name != render.ConfigFile && !g.live[f.Name] && !g.previous[f.Name] {
			if g.orphans == nil {
				g.orphans = map[string]bool{}
			}
			g.orphans[f.Name] = true
		}
	}
}

// promote makes out's files the live generation and removes the files
// that neither it nor the previous generation uses.
func (g *fileGenerations) promote(out render.Output, dir string, log *slog.Logger) {
	live := make(map[string]bool, len(out.Files))
	for _, f := range out.Files {
		if f.Name != render.ConfigFile {
			live[f.Name] = true
		}
	}
	stale := g.orphans
	for name := range g.previous {
		if stale == nil {
			stale = map[string]bool{}
		}
		stale[name] = true
	}
	g.previous, g.live, g.orphans = g.live, live, nil
	for name := range stale {
		if g.live[name] || g.previous[name] {
			continue
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			log.Warn("cannot remove a file no config uses", "file", name, "err", err)
		}
	}
}
