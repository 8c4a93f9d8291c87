package nginx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/archway-ingress/archway/internal/render"
)

// verifyInterval is the pause between two looks at the status socket.
const verifyInterval = 20 * time.Millisecond

// Result describes a successful Apply.
type Result struct {
	Changed bool // false when out's files equalled the live config's
	// EndpointsPushed tells that nginx took out.Endpoints: on every
	// reload, and without one when only the endpoints changed.
	EndpointsPushed bool
	// Duration runs from the call to the end of the endpoints push. Reload
	// is its part from the SIGHUP (or nginx's start) to verified serving,
	// and Push its part after that; the rest went to writing the files
	// and merging new endpoints in before the reload.
	Duration, Reload, Push time.Duration
}

// Apply makes out the live configuration: it writes out's files and its
// nginx.conf, reloads nginx with SIGHUP (or, when none runs, tests the
// config with `nginx -t` and starts nginx), waits until nginx serves
// out.Version with no worker of the previous configuration still
// accepting, and pushes out.Endpoints. A reload reads the config once: a
// master that cannot read it says so in its log and keeps its workers on
// the previous one. Files other than nginx.conf are written first, so the
// renderer must give them content-addressed names. On any failure the
// previous configuration keeps serving, and nginx.conf holds it again.
//
// When only out.Endpoints differ from the live config, Apply pushes them
// and nothing else: no write, no reload. A failed push is an error
// wrapping ErrPush; nginx keeps routing by what it had, and the next Apply
// pushes again.
func (m *Manager) Apply(ctx context.Context, out render.Output) (Result, error) {
	begin := time.Now()
	digest, conf, err := inspect(out)
	if err != nil {
		return Result{}, fmt.Errorf("apply config %q: %w", out.Version, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped {
		return Result{}, ErrStopped
	}
	if m.live != nil && m.live.digest == digest {
		if err := writeStreamEndpoints(m.opts.RuntimeDir, out.StreamEndpoints); err != nil {
			return Result{}, fmt.Errorf("apply config %q: %w", out.Version, err)
		}
		m.live.streamEndpoints = out.StreamEndpoints
		// Levels less verbose than notice render the same nginx.conf.
		m.live.errorLogLevel = out.ErrorLogLevel
		m.errorLog.use(out.ErrorLogLevel)
		if out.Endpoints == nil || m.heldKnown && m.held.Equal(out.Endpoints) {
			return Result{}, nil
		}
		if err := m.sendEndpoints(ctx, out.Endpoints, false); err != nil {
			return Result{}, fmt.Errorf("apply config %q: %w", out.Version, err)
		}
		m.live.endpoints = out.Endpoints
		took := time.Since(begin)
		return Result{EndpointsPushed: true, Duration: took, Push: took}, nil
	}
	if err := checkStreamPorts(out, m.live); err != nil {
		return Result{}, fmt.Errorf("apply config %q: %w", out.Version, err)
	}
	// Before the reload: the new config's workers read them at once.
	if err := writeStreamEndpoints(m.opts.RuntimeDir, out.StreamEndpoints); err != nil {
		return Result{}, fmt.Errorf("apply config %q: %w", out.Version, err)
	}
	if err := m.install(ctx, out); err != nil {
		return Result{}, fmt.Errorf("apply config %q: %w", out.Version, err)
	}
	// From the SIGHUP (or the start) on, nginx prints about out: the
	// master reading it, then out's workers or the master's refusal of it
	// (an [emerg], shown at any level). rollback puts the live level back.
	m.errorLog.use(out.ErrorLogLevel)
	if err := m.activate(ctx, out.Version, out.Endpoints); err != nil {
		return Result{}, fmt.Errorf("apply config %q: %w", out.Version, m.rollback(ctx, err))
	}
	m.live = &liveConfig{digest: digest, version: out.Version, conf: conf, files: otherFiles(out), endpoints: out.Endpoints,
		streamPorts: out.StreamPorts, streamEndpoints: out.StreamEndpoints, errorLogLevel: out.ErrorLogLevel}
	m.access.use(out.AccessLogStream)
	m.files.promote(out, m.opts.RuntimeDir, m.log)
	pruneStreamEndpoints(m.opts.RuntimeDir, out.StreamEndpoints, m.log)
	m.ready.Store(true)
	end := time.Now()
	return Result{Changed: true, EndpointsPushed: out.Endpoints != nil, Duration: end.Sub(begin),
		Reload: m.reloaded.to.Sub(m.reloaded.from), Push: end.Sub(m.reloaded.to)}, nil
}

// Check tells whether Apply would refuse out for its content, without
// changing what nginx serves: it writes out's files (content-addressed, as
// Apply does), runs `nginx -t` on its nginx.conf, and, while nginx runs,
// asks nginx's Lua side whether it would take out's endpoints. A refusal
// wraps ErrRejected; any other error means Check could not tell.
func (m *Manager) Check(ctx context.Context, out render.Output) error {
	if _, _, err := inspect(out); err != nil {
		return fmt.Errorf("check config %q: %w", out.Version, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped {
		return ErrStopped
	}
	if err := checkStreamPorts(out, m.live); err != nil {
		return fmt.Errorf("check config %q: %w", out.Version, err)
	}
	candidate, err := m.stage(ctx, out, true)
	if err != nil {
		return fmt.Errorf("check config %q: %w", out.Version, err)
	}
	_ = os.Remove(candidate)
	if p := m.proc; p != nil && !p.hasExited() && out.Endpoints != nil {
		if err := m.push(ctx, out.Endpoints.Payload(), check); err != nil {
			return fmt.Errorf("check config %q: %w", out.Version, err)
		}
	}
	return nil
}

// install writes out's files and swaps in its nginx.conf. Only an nginx
// about to start is tested first: a running one reads the config when it
// reloads, and refuses it without harm (activate finds out).
func (m *Manager) install(ctx context.Context, out render.Output) error {
	candidate, err := m.stage(ctx, out, m.proc == nil || m.proc.hasExited())
	if err != nil {
		return err
	}
	return rename(candidate, filepath.Join(m.opts.RuntimeDir, render.ConfigFile))
}

// stage writes out's files, and its nginx.conf as the candidate, and
// returns the candidate's path, once nginx -t accepted it when test.
func (m *Manager) stage(ctx context.Context, out render.Output, test bool) (string, error) {
	dir := m.opts.RuntimeDir
	if !filepath.IsAbs(dir) {
		return "", fmt.Errorf("runtime dir %q is not absolute", dir)
	}
	if err := mkdirAll(dir); err != nil {
		return "", fmt.Errorf("create runtime dir: %w", err)
	}
	if err := makePrivateDir(dir); err != nil {
		return "", err
	}
	if err := makePassthroughDir(dir); err != nil {
		return "", err
	}
	m.files.wrote(out)
	var conf []byte
	for _, f := range out.Files {
		if f.Name == render.ConfigFile {
			conf = f.Data
			continue
		}
		gid, err := groupID(f.Group)
		if err != nil {
			return "", fmt.Errorf("group of %s: %w", f.Name, err)
		}
		if err := writeFile(dir, f.Name, f.Data, perm(f.Mode), gid); err != nil {
			return "", err
		}
	}
	if err := writeFile(dir, candidateFile, conf, 0o644, -1); err != nil {
		return "", err
	}
	candidate := filepath.Join(dir, candidateFile)
	if !test {
		return candidate, nil
	}
	if err := m.test(ctx, candidate); err != nil {
		_ = os.Remove(candidate)
		return "", err
	}
	return candidate, nil
}

// test runs `nginx -t` on conf and returns nginx's complaint as the error,
// wrapping ErrRejected when nginx refused conf (rather than failed to run).
// It remembers how long nginx took to read conf: starting with it takes as
// long again.
func (m *Manager) test(ctx context.Context, conf string) error {
	cmd := exec.CommandContext(ctx, m.opts.Binary, "-t", "-q", "-p", m.opts.RuntimeDir, "-c", conf, "-e", "stderr")
	cmd.Dir = m.opts.RuntimeDir
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) && ctx.Err() == nil {
			return fmt.Errorf("nginx -t: %w: %s", ErrRejected, bytes.TrimSpace(out))
		}
		return fmt.Errorf("nginx -t: %w: %s", err, bytes.TrimSpace(out))
	}
	m.readTime = time.Since(start)
	return nil
}

// activate makes nginx load the nginx.conf in place, waits until it
// serves version, and leaves nginx holding endpoints.
func (m *Manager) activate(ctx context.Context, version string, endpoints render.Endpoints) error {
	p := m.proc
	if p == nil || p.hasExited() {
		from := time.Now()
		np, err := m.startLocked()
		if err != nil {
			return err
		}
		if err := m.verify(ctx, np, version, nil, nil); err != nil {
			return err
		}
		m.reloaded.from, m.reloaded.to = from, time.Now()
		return m.pushAll(ctx, endpoints)
	}
	old, err := activeWorkers(p.pid())
	if err != nil {
		return err
	}
	// Old and new workers share the endpoints in memory. Merged in before
	// the reload, the new and changed backends are there for the new
	// workers' first request while the old workers still find the
	// backends they route to; after it, archway drops what only the old
	// config used, and pushes the whole set unless the reload kept the
	// memory: at 10,000 hosts with certificates, megabytes for a worker to
	// decode.
	if err := m.sendEndpoints(ctx, endpoints, true); err != nil {
		return err
	}
	from := time.Now()
	p.reloads.forget()
	if err := p.signal(syscall.SIGHUP); err != nil {
		return err
	}
	if err := m.verify(ctx, p, version, old, p.reloads.outcome); err != nil {
		return err
	}
	m.reloaded.from, m.reloaded.to = from, time.Now()
	if m.keptMemory(ctx) {
		return m.sendEndpoints(ctx, endpoints, false)
	}
	return m.pushWhole(ctx, endpoints)
}

// keep makes sure that nginx, whose master refused a reload, still serves
// version with its workers of before, and takes back the endpoints merged
// in for the refused config: no second reload.
func (m *Manager) keep(ctx context.Context, version string, endpoints render.Endpoints) error {
	if err := m.verify(ctx, m.proc, version, nil, nil); err != nil {
		return err
	}
	return m.pushWhole(ctx, endpoints)
}

// pushAll gives a freshly started nginx, whose shared memory is empty, the
// whole set of endpoints, and locks its endpoints socket down.
func (m *Manager) pushAll(ctx context.Context, endpoints render.Endpoints) error {
	if err := restrictSocket(m.opts.RuntimeDir); err != nil {
		return err
	}
	return m.pushWhole(ctx, endpoints)
}

// pushWhole replaces all that nginx's shared memory holds with endpoints:
// after a start, a restart, or a reload that did not keep that memory,
// what it holds is not taken on trust.
func (m *Manager) pushWhole(ctx context.Context, endpoints render.Endpoints) error {
	m.heldKnown = false
	return m.sendEndpoints(ctx, endpoints, false)
}

// rollback puts the live configuration back after cause made a new one
// fail, and returns cause with anything that went wrong on the way back.
func (m *Manager) rollback(ctx context.Context, cause error) error {
	m.ready.Store(false)
	if m.live == nil {
		// Nothing served before: stop the unverified nginx, and leave no
		// nginx.conf that a restart could pick up.
		if p := m.proc; p != nil {
			m.proc = nil
			p.kill()
		}
		if err := os.Remove(filepath.Join(m.opts.RuntimeDir, render.ConfigFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return errors.Join(cause, fmt.Errorf("remove unverified config: %w", err))
		}
		return cause
	}
	m.errorLog.use(m.live.errorLogLevel)
	if err := writeFile(m.opts.RuntimeDir, render.ConfigFile, m.live.conf, 0o644, -1); err != nil {
		return errors.Join(cause, fmt.Errorf("restore previous config: %w", err))
	}
	// A server of both configs may have a new Service in the refused one.
	if err := writeStreamEndpoints(m.opts.RuntimeDir, m.live.streamEndpoints); err != nil {
		return errors.Join(cause, fmt.Errorf("restore previous config: %w", err))
	}
	// The way back must not be cut short by the caller giving up.
	back := m.activate
	if errors.Is(cause, errReloadRefused) {
		back = m.keep
	}
	if err := back(context.WithoutCancel(ctx), m.live.version, m.live.endpoints); err != nil {
		return errors.Join(cause, fmt.Errorf("restore previous config: %w", err))
	}
	m.ready.Store(true)
	m.log.Warn("new config failed; previous config serving again", "version", m.live.version, "err", cause)
	return cause
}

// verifyTimeout bounds one verify: VerifyTimeout after nginx read the
// config, which it does first, as slowly as the last read (seconds at
// 10,000 servers), and slower while old workers still serve.
func (m *Manager) verifyTimeout() time.Duration {
	return m.opts.VerifyTimeout + 3*m.readTime
}

// verify waits until p serves version and none of the workers in old
// accepts connections any more. After a reload, reloaded tells what the
// master made of the config: a refusal ends the wait at once, and new
// workers starting give the time the read took and restart the clock.
// Until then it waits twice as long: the master may be reading a bigger
// config than the last one, or trying a busy port again (for 2.5 s).
//
// Once new workers started, the master has taken the config and ordered
// the old workers to stop accepting; a worker acts on that at the next
// turn of its event loop, which on a loaded machine may come late. That is
// no fault of the new config, and a rollback would be one more reload
// waiting for the same workers: so while old workers still accept, the
// wait goes on until RetireTimeout after the new workers started. Those
// still accepting then have not turned their event loop for that long:
// they serve no one, and would hold up every later reload too. archway
// kills them (the master replaces no old worker), and the new workers get
// the bound again to answer. The status answer counts only once no old
// worker accepts, as an old worker could give it (the same version, for a
// resync or a rollback). nginx's worker_shutdown_timeout bounds none of
// this: it starts once a worker stopped accepting.
func (m *Manager) verify(ctx context.Context, p *process, version string, old []int, reloaded <-chan error) error {
	begin := time.Now()
	wait := m.verifyTimeout()
	if reloaded != nil {
		wait *= 2
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	tick := time.NewTicker(verifyInterval)
	defer tick.Stop()
	var retireBy time.Time // set once the new workers started, until stalled ones are killed
	for {
		reason := m.serves(ctx, p, version, old)
		if reason == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("nginx exited: %v", p.err)
		case <-ctx.Done():
			return fmt.Errorf("verify version %q: %w; last check: %w", version, ctx.Err(), reason)
		case <-deadline.C:
			var stalled stillAccepting
			if retireBy.IsZero() || !errors.As(reason, &stalled) {
				return fmt.Errorf("verify version %q: %w; last check: %w", version, context.DeadlineExceeded, reason)
			}
			if left := time.Until(retireBy); left > 0 {
				deadline.Reset(left)
				continue
			}
			m.killStalled(p, stalled)
			retireBy = time.Time{}
			deadline.Reset(m.verifyTimeout())
		case err := <-reloaded:
			if err != nil {
				return err
			}
			reloaded = nil
			m.readTime = time.Since(begin)
			retireBy = time.Now().Add(m.opts.RetireTimeout)
			deadline.Reset(m.verifyTimeout())
		case <-tick.C:
		}
	}
}

// stillAccepting are workers of the previous config that still accept
// connections.
type stillAccepting []int

func (w stillAccepting) Error() string {
	return fmt.Sprintf("workers %v of the previous config still accept connections", []int(w))
}

// killStalled kills the workers that still accept connections
// RetireTimeout after the master started new ones and ordered them to stop.
func (m *Manager) killStalled(p *process, stalled stillAccepting) {
	for _, pid := range stalled {
		killed, err := killWorker(p.pid(), pid)
		if err != nil {
			m.log.Error("kill stalled nginx worker", "err", err)
		} else if killed {
			m.log.Error("killed an nginx worker of the previous config that still accepted connections long after nginx ordered it to stop",
				"pid", pid, "retire_timeout", m.opts.RetireTimeout)
		}
	}
}

// serves checks once that old workers retired and then that the status
// socket answers version. Checking retirement first means the answer cannot
// come from an old worker.
func (m *Manager) serves(ctx context.Context, p *process, version string, old []int) error {
	if len(old) > 0 {
		workers, err := activeWorkers(p.pid())
		if err != nil {
			return err
		}
		var left stillAccepting
		for _, pid := range old {
			if slices.Contains(workers, pid) {
				left = append(left, pid)
			}
		}
		if len(left) > 0 {
			return left
		}
	}
	got, err := m.servedVersion(ctx)
	if err != nil {
		return err
	}
	if got != version {
		return fmt.Errorf("status socket answers version %q", got)
	}
	return nil
}

// servedVersion asks the status socket which version it serves.
func (m *Manager) servedVersion(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://nginx-status"+render.VersionPath, nil)
	if err != nil {
		return "", err
	}
	resp, err := m.status.Do(req)
	if err != nil {
		return "", fmt.Errorf("query status socket: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if err != nil {
		return "", fmt.Errorf("read status socket: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status socket answers %s", resp.Status)
	}
	return strings.TrimSpace(string(body)), nil
}
