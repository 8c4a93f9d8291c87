package controller

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/nginx"
	"github.com/archway-ingress/archway/internal/render"
	"github.com/archway-ingress/archway/internal/testutil"
)

// releaseWait is one wait of Run before it releases memory: how long it
// asked for, the reloads done when it asked, and the channel that ends it.
type releaseWait struct {
	after   time.Duration
	reloads int
	end     chan time.Time
}

// TestMemoryIsReleasedOnceIdle runs the sync loop with its clock in the
// test's hands: memory goes back to the OS once no sync ran for
// ReleaseAfter since one that reloaded, never between the syncs of a
// burst, and not again before another reload.
func TestMemoryIsReleasedOnceIdle(t *testing.T) {
	src := newMemorySource()
	src.snap.IngressClasses = archwayClass()
	applier := &recordingApplier{}
	registry := prometheus.NewRegistry()
	waits := make(chan releaseWait)
	released := make(chan struct{}, 10)
	startController(t, src, applier, registry, &testutil.SyncBuffer{}, 10*time.Millisecond, func(o *Options) {
		o.After = func(d time.Duration) <-chan time.Time {
			end := make(chan time.Time, 1)
			waits <- releaseWait{d, len(applier.applied()), end}
			return end
		}
		o.Release = func() { released <- struct{}{} }
	})
	next := func(reloads int) releaseWait {
		t.Helper()
		wait := receive(t, waits, "a wait before the release")
		require.Equal(t, ReleaseAfter, wait.after)
		require.Equal(t, reloads, wait.reloads)
		return wait
	}
	syncs := func() float64 { return samples(t, registry, "archway_sync_duration_seconds")[0].count }

	initial := next(1)
	// A sync without a reload waits anew: the initial one's garbage is
	// still there, and a burst may go on.
	src.Notify()
	unchanged := next(1)
	src.addIngress(ingress("a", "a.example.com"))
	added := next(2)
	// Waits that a later sync replaced release nothing.
	initial.end <- time.Time{}
	unchanged.end <- time.Time{}
	require.Empty(t, released)
	added.end <- time.Time{}
	receive(t, released, "a release")

	// Nothing left to give back: a sync without a reload does not wait.
	before := syncs()
	src.Notify()
	require.Eventually(t, func() bool { return syncs() > before }, 5*time.Second, 5*time.Millisecond)
	src.addIngress(ingress("b", "b.example.com"))
	next(3).end <- time.Time{}
	receive(t, released, "a release")
	require.Empty(t, released)
}

// receive returns the next value of ch; it fails the test when none came
// within a minute.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(time.Minute):
	}
	t.Fatalf("no %s came", what)
	return *new(T)
}

// gatedApplier is a recordingApplier whose Apply says it started on
// started and goes on once the test sends on proceed, or fails once the
// loop stops.
type gatedApplier struct {
	recordingApplier
	started, proceed chan struct{}
}

func (a *gatedApplier) Apply(ctx context.Context, out render.Output) (nginx.Result, error) {
	a.started <- struct{}{}
	select {
	case <-a.proceed:
		return a.recordingApplier.Apply(ctx, out)
	case <-ctx.Done():
		return nginx.Result{}, ctx.Err()
	}
}

// TestScrapeReleasesOnlyOnceIdle checks ReleaseIfIdle, which the /metrics
// handler calls after each scrape, with the loop's clock in the test's
// hands: it releases nothing while a sync runs or within ReleaseAfter of
// one, and releases once the loop had no sync for ReleaseAfter.
func TestScrapeReleasesOnlyOnceIdle(t *testing.T) {
	src := newMemorySource()
	src.snap.IngressClasses = archwayClass()
	applier := &gatedApplier{started: make(chan struct{}, 1), proceed: make(chan struct{})}
	var mu sync.Mutex
	now := time.Unix(1_000_000, 0)
	advance := func(d time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(d)
	}
	waits := make(chan time.Duration, 10)
	released := make(chan struct{}, 10)
	ctrl := startController(t, src, applier, prometheus.NewRegistry(), &testutil.SyncBuffer{}, 10*time.Millisecond, func(o *Options) {
		o.Now = func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			return now
		}
		// The loop's own release never comes: its waits never end.
		o.After = func(d time.Duration) <-chan time.Time {
			waits <- d
			return nil
		}
		o.Release = func() { released <- struct{}{} }
	})
	scrape := func() bool {
		ctrl.ReleaseIfIdle()
		select {
		case <-released:
			return true
		default:
			return false
		}
	}

	// syncs checks scrapes during the sync whose Apply is about to start,
	// just after it, and up to ReleaseAfter after it.
	syncs := func(which string) {
		t.Helper()
		receive(t, applier.started, "the "+which+" Apply")
		advance(time.Hour)
		require.False(t, scrape(), "a scrape during the %s sync released", which)
		applier.proceed <- struct{}{}
		// Run asks for its wait once the sync's end is recorded.
		receive(t, waits, "a wait before the release")
		require.False(t, scrape(), "a scrape just after the %s sync released", which)
		advance(ReleaseAfter - time.Millisecond)
		require.False(t, scrape(), "a scrape within ReleaseAfter of the %s sync released", which)
		advance(time.Millisecond)
		require.True(t, scrape(), "a scrape ReleaseAfter after the %s sync released nothing", which)
	}

	require.False(t, scrape(), "a scrape before the first sync ended released")
	syncs("first")
	src.addIngress(ingress("a", "a.example.com"))
	syncs("second")
}
