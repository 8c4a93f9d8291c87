package nginx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/archway-ingress/archway/internal/render"
)

// ErrPush marks an error of pushing endpoints to nginx's endpoints socket.
var ErrPush = errors.New("push endpoints")

// ErrRejected marks nginx refusing a config for its content: its master
// refused to reload with it, `nginx -t` failed on it, or nginx's Lua side
// refused its endpoints. Trying the same config again fails again (unless
// what the master refused was a port someone else held).
var ErrRejected = errors.New("nginx refused the config")

// pushTimeout bounds one push; nginx decodes the whole payload at once.
const pushTimeout = 30 * time.Second

// generationHeader carries, in every answer of the endpoints socket, the
// generation of what nginx's shared memory holds (archway.push).
const generationHeader = "Archway-Generation"

// pushMode says what happens to backends missing from a payload.
type pushMode int

const (
	// replace drops them: the payload is the whole set.
	replace pushMode = iota
	// merge keeps them: for the workers of a config being replaced, and
	// for payloads of changes, which name deleted backends with null.
	merge
	// check stores nothing: nginx only validates the payload.
	check
)

// newPushClient returns a client that talks to the endpoints socket in
// runtime dir dir only.
func newPushClient(dir string) *http.Client {
	socket := filepath.Join(dir, render.EndpointsSocket)
	dialer := &net.Dialer{}
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, "unix", socket)
		},
		// Any worker can take a push, but a kept-alive connection to a
		// retired one would fail.
		DisableKeepAlives: true,
	}}
}

// sendEndpoints makes nginx's shared memory hold want, sending only what
// differs from what it holds when that is known, else all of want: a pod
// rollout at 10,000 backends sends one backend, not all of them. With keep,
// the backends that want lacks stay, for the workers of a config being
// replaced. nil Endpoints (an
// Output without runtime endpoints) send nothing. Errors wrap ErrPush.
func (m *Manager) sendEndpoints(ctx context.Context, want render.Endpoints, keep bool) error {
	if want == nil {
		return nil
	}
	var err error
	switch {
	case !m.heldKnown && keep:
		err = m.push(ctx, want.Payload(), merge)
	case !m.heldKnown:
		err = m.push(ctx, want.Payload(), replace)
	default:
		if changes := want.Changes(m.held, !keep); changes != nil {
			err = m.push(ctx, changes, merge)
		}
	}
	switch {
	case err != nil:
		m.heldKnown = false
		return err
	case keep && m.heldKnown:
		m.held = want.Merge(m.held)
	case !keep:
		m.held, m.heldKnown = want, true
	}
	return nil
}

// push sends a payload to nginx, which stores it in the shared memory that
// every worker, old or new, reads. Errors wrap ErrPush.
func (m *Manager) push(ctx context.Context, payload []byte, mode pushMode) error {
	ctx, cancel := context.WithTimeout(ctx, pushTimeout)
	defer cancel()
	url := "http://nginx-endpoints" + render.EndpointsPath
	switch mode {
	case merge:
		url += "?merge=1"
	case check:
		url += "?check=1"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrPush, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := m.pusher.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrPush, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if err != nil {
		return fmt.Errorf("%w: read answer: %w", ErrPush, err)
	}
	switch {
	case resp.StatusCode == http.StatusBadRequest:
		return fmt.Errorf("%w: %w: nginx answers %s: %s", ErrPush, ErrRejected, resp.Status, bytes.TrimSpace(body))
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("%w: nginx answers %s: %s", ErrPush, resp.Status, bytes.TrimSpace(body))
	}
	m.generation = resp.Header.Get(generationHeader)
	m.log.Debug("endpoints pushed", "merge", mode == merge, "nginx", string(bytes.TrimSpace(body)), "bytes", len(payload))
	return nil
}

// keptMemory tells whether nginx's shared memory, after a reload, still
// holds what archway knows it held before: nginx keeps it unless the new
// config changed its size, and only archway writes to it.
func (m *Manager) keptMemory(ctx context.Context) bool {
	if !m.heldKnown || m.generation == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://nginx-endpoints"+render.EndpointsPath, nil)
	if err != nil {
		return false
	}
	resp, err := m.pusher.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK && resp.Header.Get(generationHeader) == m.generation
}

// makePrivateDir creates the folder of the endpoints socket, reachable by
// archway's user (and root) only. nginx -t needs it too.
func makePrivateDir(dir string) error {
	if err := mkdirPrivate(filepath.Join(dir, render.PrivateDir)); err != nil {
		return fmt.Errorf("create private dir: %w", err)
	}
	return nil
}

// mkdirPrivate creates the folder path (and its parents) 0700.
func mkdirPrivate(path string) error {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return err
	}
	// Explicitly, so that neither the umask nor an older folder widens it.
	return os.Chmod(path, 0o700)
}

// preparePrivateDir readies the private dir for a new nginx: a socket
// that a killed nginx left would make bind fail.
func preparePrivateDir(dir string) error {
	if err := makePrivateDir(dir); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(dir, render.EndpointsSocket)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove stale endpoints socket: %w", err)
	}
	return nil
}

// restrictSocket makes the endpoints socket, which nginx creates 0666, the
// owner's alone, behind the private folder; a config without one is fine.
func restrictSocket(dir string) error {
	err := os.Chmod(filepath.Join(dir, render.EndpointsSocket), 0o600)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("restrict endpoints socket: %w", err)
	}
	return nil
}
