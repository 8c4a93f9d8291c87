package nginx

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/archway-ingress/archway/internal/render"
)

// ErrStopped is returned by Apply once Run has stopped nginx.
var ErrStopped = errors.New("nginx manager stopped")

const (
	defaultBinary        = "/usr/sbin/nginx"
	defaultVerifyTimeout = 10 * time.Second
	defaultStopTimeout   = 30 * time.Second
	defaultRetireTimeout = time.Minute
	minBackoff           = 100 * time.Millisecond
	maxBackoff           = 10 * time.Second
	// restartChecks bounds the checks of a restarted nginx that did not
	// serve by the end of its verify: with backoff, about 40 s more.
	restartChecks = 10
)

// Options configure a Manager.
type Options struct {
	Binary     string // default /usr/sbin/nginx
	RuntimeDir string // absolute; created 0755 if missing
	Logger     *slog.Logger
	// VerifyTimeout bounds the wait for nginx to serve a new version
	// (default 10s), on top of the time nginx takes to read the config.
	VerifyTimeout time.Duration
	// RetireTimeout bounds the wait, once nginx started the workers of a
	// new config, for those of the previous one to stop accepting
	// connections (default 1m); archway kills those that have not.
	RetireTimeout time.Duration
	// StopTimeout bounds the graceful stop before SIGKILL (default 30s).
	StopTimeout time.Duration
	// DroppedRecord is called for every access log record that nginx says
	// it could not send to archway.
	DroppedRecord func()
	// Stdout and Stderr receive the access log, as each config's
	// render.Output.AccessLogStream says; nil discards it.
	Stdout, Stderr io.Writer
	// Audit is given each line of nginx's stdout first, and takes those
	// that are ModSecurity's audit records (render.WAFAuditLog) by
	// returning true; nil passes every line on.
	Audit func(line []byte) bool
}

// Manager runs nginx and applies configurations to it.
type Manager struct {
	opts  Options
	log   *slog.Logger // archway's own messages
	nginx *slog.Logger // lines nginx printed, those errorLog shows
	// errorLog is the least level of nginx's lines that archway logs.
	errorLog errorLogLevel
	status   *http.Client  // talks to the status socket only
	pusher   *http.Client  // talks to the endpoints socket only
	started  chan struct{} // poked whenever a new process replaces proc
	access   *accessLog
	pid      atomic.Int64 // the last nginx master's, for PID
	ready    atomic.Bool

	mu      sync.Mutex
	proc    *process        // nil until the first start and after a stop
	live    *liveConfig     // nil until the first successful Apply
	files   fileGenerations // the files Apply wrote, to remove stale ones
	stopped bool            // Run has returned; nothing may start nginx again
	// held is what nginx's shared memory holds, when heldKnown: false
	// from a failed push, or a new nginx, until a whole push succeeds.
	held      render.Endpoints
	heldKnown bool
	// generation is what nginx answered about its shared memory at the
	// last push (generationHeader).
	generation string
	// readTime is how long the last `nginx -t` took.
	readTime time.Duration
	// reloaded is when the last activate signalled (or started) nginx,
	// and when nginx then served the new config: Result's Reload.
	reloaded struct{ from, to time.Time }
}

// liveConfig is what the last successful Apply made live.
type liveConfig struct {
	digest  [32]byte
	version string
	conf    []byte // nginx.conf, restored when a later Apply fails
	// files are the other files it needs, written again before nginx
	// restarts on it: something (a /tmp cleaner) may have removed them.
	files []render.File
	// endpoints are the live config's endpoints, pushed again whenever
	// nginx starts anew.
	endpoints render.Endpoints
	// streamPorts are the ports its TCP and UDP services hold, and
	// streamEndpoints the files of their endpoints, which are written
	// again too before nginx restarts.
	streamPorts     []render.StreamPort
	streamEndpoints []render.File
	// errorLogLevel is its render.Output.ErrorLogLevel.
	errorLogLevel string
}

// New returns a Manager; nothing starts before Apply is called.
func New(opts Options) *Manager {
	if opts.Binary == "" {
		opts.Binary = defaultBinary
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.VerifyTimeout <= 0 {
		opts.VerifyTimeout = defaultVerifyTimeout
	}
	if opts.RetireTimeout <= 0 {
		opts.RetireTimeout = defaultRetireTimeout
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = defaultStopTimeout
	}
	if opts.DroppedRecord == nil {
		opts.DroppedRecord = func() {}
	}
	socket := filepath.Join(opts.RuntimeDir, render.StatusSocket)
	dialer := &net.Dialer{}
	return &Manager{
		opts:  opts,
		log:   opts.Logger,
		nginx: opts.Logger.With("component", "nginx"),
		status: &http.Client{Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return dialer.DialContext(ctx, "unix", socket)
			},
			// A kept-alive connection would stay with an old worker and
			// keep answering the old version.
			DisableKeepAlives: true,
		}},
		pusher:  newPushClient(opts.RuntimeDir),
		access:  newAccessLog(cmp.Or[io.Writer](opts.Stdout, io.Discard), cmp.Or[io.Writer](opts.Stderr, io.Discard), opts.Audit),
		started: make(chan struct{}, 1),
	}
}

// PID is the pid of the last nginx master started, 0 before the first;
// its process group holds the workers. It may have exited since.
func (m *Manager) PID() int { return int(m.pid.Load()) }

// Ready tells whether nginx serves a verified configuration.
func (m *Manager) Ready() bool { return m.ready.Load() }

// Run supervises nginx until ctx ends: the first Apply starts nginx, and
// Run restarts it with the live config, with exponential backoff, whenever
// it exits on its own. When ctx ends, Run stops nginx gracefully (SIGQUIT,
// then SIGKILL after StopTimeout) and returns nil if it stopped in time.
// Run must be called once.
func (m *Manager) Run(ctx context.Context) error {
	delay := minBackoff
	for {
		p := m.current()
		select {
		case <-ctx.Done():
			return m.shutdown()
		case <-m.started:
			continue
		case <-p.exited():
		}
		if m.current() != p {
			continue // stopped on purpose and replaced
		}
		m.ready.Store(false)
		uptime := time.Since(p.started)
		m.log.Error("nginx exited unexpectedly", "pid", p.pid(), "err", p.err, "uptime", uptime)
		if uptime >= maxBackoff {
			delay = minBackoff
		}
		for {
			if !sleep(ctx, delay) {
				return m.shutdown()
			}
			delay = min(2*delay, maxBackoff)
			err := m.restart(ctx, p)
			if err == nil {
				break
			}
			m.log.Error("restart nginx", "err", err, "retry_in", delay)
		}
		m.awaitRestarted(ctx)
	}
}

func (m *Manager) current() *process {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.proc
}

// restart starts nginx again after p exited, unless someone already did.
// It fails only when no nginx could be started.
func (m *Manager) restart(ctx context.Context, p *process) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.proc != p || m.stopped {
		return nil
	}
	if err := m.restoreLive(); err != nil {
		return err
	}
	np, err := m.startLocked()
	if err != nil {
		return err
	}
	// Verification failing here is left to Run: a dying nginx comes back
	// through the exit path, a slow one is checked again (awaitRestarted).
	if err := m.verify(ctx, np, m.live.version, nil, nil); err != nil {
		if ctx.Err() != nil {
			return nil // shutting down anyway
		}
		m.log.Error("nginx restarted but does not serve the live config", "pid", np.pid(), "err", err)
		m.heldKnown = false // it has no endpoints: the next Apply pushes them
		return nil
	}
	m.serveRestarted(ctx, np)
	return nil
}

// serveRestarted gives a restarted nginx that serves the live config its
// endpoints, and makes archway ready. A new nginx starts with empty shared
// memory: without the endpoints it would answer 503 to everything, so it
// is stopped instead, and Run starts another after a pause.
func (m *Manager) serveRestarted(ctx context.Context, np *process) {
	if err := m.pushAll(ctx, m.live.endpoints); err != nil {
		if ctx.Err() != nil {
			return
		}
		m.log.Error("nginx restarted but took no endpoints; restarting it", "pid", np.pid(), "err", err)
		np.kill()
		return
	}
	m.ready.Store(true)
	m.log.Info("nginx restarted", "pid", np.pid(), "version", m.live.version)
}

// awaitRestarted checks again, with backoff, a restarted nginx that did
// not serve the live config by the end of its verify (a slow start on a
// busy machine), so that archway becomes ready once it does rather than
// at the next change. After restartChecks it stops that nginx, and Run
// starts another.
func (m *Manager) awaitRestarted(ctx context.Context) {
	delay := minBackoff
	for range restartChecks {
		if m.restartSettled() || !sleep(ctx, delay) {
			return
		}
		delay = min(2*delay, maxBackoff)
		if err := m.checkRestarted(ctx); err != nil {
			m.log.Warn("restarted nginx does not serve the live config yet", "err", err, "retry_in", delay)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if p := m.unverified(); p != nil {
		m.log.Error("restarted nginx never served the live config; restarting it", "pid", p.pid())
		p.kill()
	}
}

// checkRestarted checks once whether the unverified nginx serves the live
// config, and if so makes it serve.
func (m *Manager) checkRestarted(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.unverified()
	if p == nil {
		return nil
	}
	if err := m.serves(ctx, p, m.live.version, nil); err != nil {
		return err
	}
	m.serveRestarted(ctx, p)
	return nil
}

func (m *Manager) restartSettled() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.unverified() == nil
}

// unverified is the running nginx while archway is not ready with a live
// config: one a restart left unverified (or a rollback that failed). nil
// once ready, stopped, exited (Run restarts it) or replaced by an Apply.
func (m *Manager) unverified() *process {
	p := m.proc
	if m.stopped || m.live == nil || p == nil || p.hasExited() || m.ready.Load() {
		return nil
	}
	return p
}

// Resync writes the live config and its files again where something
// removed or changed them, and has nginx load them: a graceful reload,
// verified, with every endpoint pushed again; a start when nginx is not
// running. Before the first config is live it does nothing.
func (m *Manager) Resync(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped || m.live == nil {
		return nil
	}
	if err := m.restoreLive(); err != nil {
		return err
	}
	if err := m.activate(ctx, m.live.version, m.live.endpoints); err != nil {
		m.ready.Store(false)
		return fmt.Errorf("resync: %w", err)
	}
	m.ready.Store(true)
	return nil
}

// restoreLive puts back the files of the live config that are missing or
// differ, nginx.conf last, so that nginx can start or reload on them.
func (m *Manager) restoreLive() error {
	dir := m.opts.RuntimeDir
	if err := mkdirAll(dir); err != nil {
		return fmt.Errorf("restore runtime dir: %w", err)
	}
	conf := render.File{Name: render.ConfigFile, Data: m.live.conf}
	files := append(append(slices.Clip(m.live.files), m.live.streamEndpoints...), conf)
	err := restoreFiles(dir, files, func(name string) {
		m.log.Warn("restored a file of the live config that was missing or changed", "file", name)
	})
	if err != nil {
		return fmt.Errorf("restore live config: %w", err)
	}
	return nil
}

// startLocked starts nginx on the nginx.conf in place and tells Run to
// watch it.
func (m *Manager) startLocked() (*process, error) {
	p, err := startProcess(m.opts.Binary, m.opts.RuntimeDir, m.nginx, &m.errorLog, m.opts.DroppedRecord, m.access)
	if err != nil {
		return nil, err
	}
	m.proc = p
	m.pid.Store(int64(p.pid()))
	select {
	case m.started <- struct{}{}:
	default: // Run has a wake-up pending already
	}
	return p, nil
}

// shutdown stops nginx for good.
func (m *Manager) shutdown() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stopped = true
	m.ready.Store(false)
	p := m.proc
	m.proc = nil
	if p == nil {
		return nil
	}
	if err := p.stop(m.opts.StopTimeout); err != nil {
		return err
	}
	m.log.Info("nginx stopped", "pid", p.pid())
	return nil
}

// sleep waits for d and reports whether ctx is still alive.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
