package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"runtime"
	"runtime/debug"
	"slices"
	"sync/atomic"
	"time"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/metrics"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/nginx"
	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/render"
	"github.com/archway-ingress/archway/internal/source"
)

// Renderer turns a model into nginx files (render.Renderer).
type Renderer interface {
	Render(cfg model.Config, opts render.Options) (render.Output, error)
}

// Applier makes rendered files the live nginx config (nginx.Manager).
// Errors of a config that nginx refused for its content wrap
// nginx.ErrRejected; Check tells whether Apply would refuse it so, without
// changing what nginx serves.
type Applier interface {
	Apply(ctx context.Context, out render.Output) (nginx.Result, error)
	Check(ctx context.Context, out render.Output) error
}

// Observer is told the outcome of every sync whose config went live, for
// status and Events. Synced must return quickly: it runs on the sync loop.
type Observer interface {
	Synced(snap source.Snapshot, report builder.Report)
}

// Options configure the sync loop.
type Options struct {
	Build  builder.Options
	Render render.Options
	// HoldOff is how long the loop waits after the last change before it
	// syncs; MaxDelay bounds the wait after the first change of a burst.
	HoldOff  time.Duration
	MaxDelay time.Duration
	// RetryDelay is the first wait before a failed sync is retried; it
	// doubles up to a minute while failures go on.
	RetryDelay time.Duration
	Logger     *slog.Logger
	Metrics    *metrics.Metrics
	Observers  []Observer
	// Settings, when set, is given the settings of every config that went
	// live (the tracing exporter follows them); it must return quickly.
	Settings func(model.Settings)
	Now      func() time.Time
	// After and Release are time.After and ReleaseMemory unless set: the
	// loop gives a reload's garbage back to the OS with Release once it
	// had no sync to run for ReleaseAfter (see Run), and ReleaseIfIdle
	// only once it had none for ReleaseAfter by Now.
	After   func(time.Duration) <-chan time.Time
	Release func()
}

// ReleaseMemory gives the memory of every dead object back to the OS,
// that of the buffers sync.Pools keep for the next Render too: they
// survive one collection.
func ReleaseMemory() {
	runtime.GC()
	debug.FreeOSMemory()
}

// ReleaseAfter is how long the sync loop waits, idle, after a sync that
// reloaded nginx before it gives the memory that sync freed back to the
// OS. The syncs of a burst of changes follow each other within about
// --sync-max-delay; releasing after each made the next one fault every
// page it touched in again, which doubled its CPU time at 10,000
// Ingresses.
const ReleaseAfter = 10 * time.Second

// Controller runs syncs until its context ends.
type Controller struct {
	src      source.Source
	renderer Renderer
	applier  Applier
	opts     Options

	ready atomic.Bool
	// last, report and out are the live config's model, its Build's
	// report and the Output rendered from it.
	last     model.Config
	report   builder.Report
	out      render.Output
	applied  bool
	problems map[builder.Problem]bool
	// good is the Snapshot the live config was built from; culprits are
	// the objects held back at their version in good (see isolate.go).
	good     source.Snapshot
	culprits map[objectKey]culprit
	// garbage is set by a sync that reloaded nginx, which leaves the
	// garbage of a whole Build and Render, until Run gave it back.
	garbage bool
	// idleSince is when the last sync ended; nil while one runs and
	// before the first one ended.
	idleSince atomic.Pointer[time.Time]
}

// New returns a Controller; Run starts it.
func New(src source.Source, renderer Renderer, applier Applier, opts Options) *Controller {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.After == nil {
		opts.After = time.After
	}
	if opts.Release == nil {
		opts.Release = ReleaseMemory
	}
	return &Controller{src: src, renderer: renderer, applier: applier, opts: opts}
}

// Ready reports whether a config built by this controller is live.
func (c *Controller) Ready() bool { return c.ready.Load() }

// Run starts the source, syncs once, then syncs after every burst of changes
// until ctx ends. Once no sync ran for ReleaseAfter since one that
// reloaded nginx, it gives the memory freed since back to the OS.
func (c *Controller) Run(ctx context.Context) error {
	if err := c.src.Start(ctx); err != nil {
		if ctx.Err() != nil {
			return nil // stopped before the caches filled: a clean stop
		}
		return fmt.Errorf("start source: %w", err)
	}
	retry := time.NewTimer(0) // the first sync runs at once
	defer retry.Stop()
	backoff := c.opts.RetryDelay
	var release <-chan time.Time // nil while there is nothing to give back
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-release:
			release, c.garbage = nil, false
			c.opts.Release()
			continue
		case <-c.src.Changed():
			if !c.waitForQuiet(ctx) {
				return nil
			}
		case <-retry.C:
		}
		c.idleSince.Store(nil)
		retry.Stop()
		release = nil
		err := c.sync(ctx)
		ended := c.opts.Now()
		c.idleSince.Store(&ended)
		if c.garbage {
			release = c.opts.After(ReleaseAfter)
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			c.opts.Logger.Error("sync failed; the previous config keeps serving", "error", err, "retry_in", backoff)
			retry.Reset(backoff)
			backoff = min(2*backoff, time.Minute)
			continue
		}
		backoff = c.opts.RetryDelay
	}
}

// ReleaseIfIdle gives memory back to the OS as Run does once idle, if no
// sync is under way and none ended within ReleaseAfter; otherwise it leaves
// the garbage to the next collection. The /metrics handler calls it after
// each scrape: a release between the syncs of a burst would cost the next
// one its warm pages, as Run's own wait avoids.
func (c *Controller) ReleaseIfIdle() {
	if idle := c.idleSince.Load(); idle != nil && c.opts.Now().Sub(*idle) >= ReleaseAfter {
		c.opts.Release()
	}
}

// waitForQuiet returns once no change arrived for HoldOff, or MaxDelay after
// it was called; false when ctx ended.
func (c *Controller) waitForQuiet(ctx context.Context) bool {
	deadline := time.NewTimer(c.opts.MaxDelay)
	defer deadline.Stop()
	holdOff := time.NewTimer(c.opts.HoldOff)
	defer holdOff.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-deadline.C:
			return true
		case <-holdOff.C:
			return true
		case <-c.src.Changed():
			holdOff.Reset(c.opts.HoldOff)
		}
	}
}

func (c *Controller) sync(ctx context.Context) error {
	started := c.opts.Now()
	snap, err := c.src.Snapshot()
	if err != nil {
		return fmt.Errorf("read snapshot: %w", err)
	}
	snapped := c.phaseDone(metrics.PhaseSnapshot, started)
	opts := c.opts.Build
	opts.Now = started // certificates are checked for expiry against it
	c.forgetChangedCulprits(snap)
	cand, fast := c.withoutBuild(snap, opts)
	if fast {
		c.phaseDone(metrics.PhaseBuild, snapped)
	} else {
		cand = c.candidate(holdBack(snap, c.good, c.culprits), opts)
	}
	result, err := c.apply(ctx, cand)
	if refused := refusal(cand, err); refused != nil {
		c.opts.Metrics.WholeConfigLive(false)
		cand, result, err = c.isolate(ctx, snap, opts, cand, refused)
	}
	report := cand.report.WithProblems(c.culpritProblems())
	c.reportProblems(report)
	if err != nil {
		return err
	}
	cfg, out := cand.cfg, cand.out
	if result.EndpointsPushed {
		c.opts.Metrics.EndpointsPushed(metrics.PushSuccess)
	}
	if result.Changed || result.EndpointsPushed {
		// Hosts' certificates go with the endpoints: a renewal is a push.
		c.opts.Metrics.CertificatesServed(servedCertificates(cfg))
		c.opts.Metrics.SyncPhase(metrics.PhasePush, result.Push)
	}
	if result.Changed {
		c.opts.Metrics.SyncPhase(metrics.PhaseWrite, result.Duration-result.Reload-result.Push)
		c.opts.Metrics.SyncPhase(metrics.PhaseReload, result.Reload)
		reason := c.reloadReason(cfg)
		c.opts.Metrics.ReloadSucceeded(reason, out.Version, result.Duration, c.opts.Now())
		c.opts.Logger.Info("nginx config applied", "version", out.Version, "reason", reason,
			"servers", len(cfg.Servers), "backends", len(cfg.Backends), "held_back", len(c.culprits), "took", result.Duration)
		// Building and rendering thousands of Ingresses leaves tens of
		// megabytes of garbage, which Run gives back once idle.
		c.garbage = true
	} else if result.EndpointsPushed {
		c.opts.Logger.Debug("endpoints pushed without a reload", "backends", len(cfg.Backends), "took", result.Duration)
	}
	c.last, c.report, c.out, c.applied, c.good = cfg, cand.report, out, true, cand.snap
	c.opts.Metrics.WholeConfigLive(len(c.culprits) == 0)
	c.opts.Metrics.Synced(c.opts.Now().Sub(started), countProblems(report.Problems), report.Served)
	c.opts.Metrics.StreamsServed(cfg.Streams)
	c.opts.Metrics.UnsupportedAnnotations(countUnsupported(report.Problems))
	c.opts.Metrics.UnsupportedSettings(unsupportedSettings(report.Problems))
	c.ready.Store(true)
	if c.opts.Settings != nil {
		c.opts.Settings(cfg.Settings)
	}
	for _, o := range c.opts.Observers {
		o.Synced(snap, report)
	}
	return nil
}

// phaseDone records that phase of the sync, begun at since, ended now,
// and returns now.
func (c *Controller) phaseDone(phase string, since time.Time) time.Time {
	now := c.opts.Now()
	c.opts.Metrics.SyncPhase(phase, now.Sub(since))
	return now
}

// apply makes cand's config live; it counts failures, and leaves counting
// a success to the sync, which may first have to find the culprits.
func (c *Controller) apply(ctx context.Context, cand candidate) (nginx.Result, error) {
	if cand.renderErr != nil {
		return nginx.Result{}, cand.renderErr
	}
	out := cand.out
	result, err := c.applier.Apply(ctx, out)
	if err != nil {
		if errors.Is(err, nginx.ErrPush) {
			c.opts.Metrics.EndpointsPushed(metrics.PushFailure)
		}
		// Equal versions mean equal files: only endpoints were pushed.
		if !c.applied || out.Version != c.out.Version {
			c.opts.Metrics.ReloadFailed(c.reloadReason(cand.cfg), result.Duration)
		}
		return result, fmt.Errorf("apply config %s: %w", out.Version, err)
	}
	return result, nil
}

// reloadReason names what changed since the live config, for the reloads
// metric: routes, ConfigMap settings, TCP and UDP services, endpoints
// only (which nginx takes without a reload, the stream servers' too), or
// neither (a restart or a template).
func (c *Controller) reloadReason(cfg model.Config) string {
	switch {
	case !c.applied:
		return "initial"
	case !reflect.DeepEqual(cfg.Servers, c.last.Servers) || cfg.DefaultBackend != c.last.DefaultBackend:
		return "routes"
	case !reflect.DeepEqual(cfg.Settings, c.last.Settings):
		return "settings"
	case !reflect.DeepEqual(withoutEndpoints(cfg.Streams), withoutEndpoints(c.last.Streams)):
		return "streams"
	case !reflect.DeepEqual(cfg.Backends, c.last.Backends):
		return "endpoints"
	default:
		return "other"
	}
}

// withoutEndpoints are the stream servers without their endpoints.
func withoutEndpoints(streams []model.StreamServer) []model.StreamServer {
	out := slices.Clone(streams)
	for i := range out {
		out[i].Endpoints = nil
	}
	return out
}

// reportProblems logs each problem once, when it first appears, and says
// when one is gone.
func (c *Controller) reportProblems(report builder.Report) {
	current := make(map[builder.Problem]bool, len(report.Problems))
	for _, p := range report.Problems {
		current[p] = true
		if !c.problems[p] {
			c.opts.Logger.Warn("rejected", "kind", p.Kind, "object", p.Object.String(), "field", p.Field,
				"reason", p.Reason, "message", p.Message)
		}
	}
	for p := range c.problems {
		if !current[p] {
			c.opts.Logger.Info("resolved", "kind", p.Kind, "object", p.Object.String(), "field", p.Field, "reason", p.Reason)
		}
	}
	c.problems = current
}

// countUnsupported counts the Ingresses using each unsupported annotation,
// by its metric label.
func countUnsupported(problems []builder.Problem) map[string]int {
	counts := make(map[string]int)
	for _, p := range problems {
		if p.Reason == reason.UnsupportedAnnotation {
			counts[annotations.MetricLabel(p.Key)]++
		}
	}
	return counts
}

// unsupportedSettings returns the reason of each key of the controller's
// ConfigMap that the sync ignored.
func unsupportedSettings(problems []builder.Problem) map[string]string {
	reasons := make(map[string]string)
	for _, p := range problems {
		if p.Kind == builder.KindConfigMap && (p.Reason == reason.UnsupportedSetting || p.Reason == reason.SnippetRefused) {
			reasons[p.Key] = string(p.Reason)
		}
	}
	return reasons
}

func countProblems(problems []builder.Problem) map[[2]string]int {
	counts := make(map[[2]string]int)
	for _, p := range problems {
		counts[[2]string{p.Kind, string(p.Reason)}]++
	}
	return counts
}
