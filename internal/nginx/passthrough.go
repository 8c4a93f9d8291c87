package nginx

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/archway-ingress/archway/internal/render"
)

// makePassthroughDir creates the folder of the passthrough sockets
// (render.PassthroughDir) 0700, owned by nginx's workers, the only ones
// that connect to them (nginx's master, root, creates the sockets). The
// HTTP servers believe the client address of the PROXY header that comes
// through them, so no one else may reach them. nginx -t needs it too.
func makePassthroughDir(dir string) error {
	path := filepath.Join(dir, render.PassthroughDir)
	if err := mkdirPrivate(path); err != nil {
		return fmt.Errorf("create passthrough dir: %w", err)
	}
	w, err := lookupWorker()
	if err != nil || w == nil {
		return err
	}
	if err := os.Chown(path, int(w.uid), -1); err != nil {
		return fmt.Errorf("create passthrough dir: %w", err)
	}
	return nil
}

// preparePassthroughDir readies the passthrough dir for a new nginx:
// sockets that a killed nginx left would make bind fail.
func preparePassthroughDir(dir string) error {
	if err := makePassthroughDir(dir); err != nil {
		return err
	}
	for _, s := range []string{render.PassthroughHTTPSSocket, render.PassthroughRelaySocket} {
		if err := os.Remove(filepath.Join(dir, s)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove stale passthrough socket: %w", err)
		}
	}
	return nil
}
