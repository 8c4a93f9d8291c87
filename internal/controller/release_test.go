package controller

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

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
