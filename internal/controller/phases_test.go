package controller

import (
	"context"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/metrics"
	"github.com/archway-ingress/archway/internal/nginx"
	"github.com/archway-ingress/archway/internal/render"
	"github.com/archway-ingress/archway/internal/testutil"
)

// timedApplier reloads every new config, as nginx.Manager reports it:
// 10 ms in all, of which 6 ms from the SIGHUP to verified serving and 3 ms
// of endpoints push after it; a config it saw before is only pushed.
type timedApplier struct {
	refusesNothing
	live string
}

func (a *timedApplier) Apply(_ context.Context, out render.Output) (nginx.Result, error) {
	if out.Version == a.live {
		return nginx.Result{EndpointsPushed: true, Duration: 2 * time.Millisecond, Push: 2 * time.Millisecond}, nil
	}
	a.live = out.Version
	return nginx.Result{Changed: true, EndpointsPushed: true, Duration: 10 * time.Millisecond,
		Reload: 6 * time.Millisecond, Push: 3 * time.Millisecond}, nil
}

// A sync records each phase it went through in archway_sync_phase_seconds:
// with a clock that moves 1 ms per reading, snapshot, build and render
// took 1 ms each, and write, reload and push what the applier reported.
// A sync that only pushed endpoints has no render, write or reload.
func TestSyncRecordsItsPhases(t *testing.T) {
	src := newMemorySource()
	src.snap.IngressClasses = archwayClass()
	src.snap.Ingresses = append(src.snap.Ingresses, ingress("web", "web.example.com"))
	renderer, err := render.New("")
	require.NoError(t, err)
	registry := prometheus.NewRegistry()
	clock := time.Unix(0, 0)
	ctrl := New(src, renderer, &timedApplier{}, Options{
		Build:   builder.Options{IngressClass: "archway", ControllerClass: "archway.dev/ingress-controller"},
		Render:  render.Options{HTTPPort: 8080, HTTPSPort: 8443, RuntimeDir: t.TempDir()},
		Logger:  slog.New(slog.NewTextHandler(&testutil.SyncBuffer{}, nil)),
		Metrics: metrics.New(registry, metrics.Labels{Class: "archway"}),
		Now: func() time.Time {
			clock = clock.Add(time.Millisecond)
			return clock
		},
	})
	// phases are the count and the milliseconds (rounded: sums of float
	// seconds are not exact) of each phase.
	phases := func() map[string][2]float64 {
		got := map[string][2]float64{}
		for _, s := range samples(t, registry, "archway_sync_phase_seconds") {
			got[s.labels["phase"]] = [2]float64{s.count, math.Round(s.sum * 1e3)}
		}
		return got
	}

	require.NoError(t, ctrl.sync(t.Context()))
	require.Equal(t, map[string][2]float64{
		metrics.PhaseSnapshot: {1, 1}, metrics.PhaseBuild: {1, 1}, metrics.PhaseRender: {1, 1},
		metrics.PhaseWrite: {1, 1}, metrics.PhaseReload: {1, 6}, metrics.PhasePush: {1, 3},
	}, phases(), "count and milliseconds of each phase")

	// No object changed: the live model is reused, and the applier only
	// pushes endpoints.
	require.NoError(t, ctrl.sync(t.Context()))
	require.Equal(t, map[string][2]float64{
		metrics.PhaseSnapshot: {2, 2}, metrics.PhaseBuild: {2, 2}, metrics.PhaseRender: {1, 1},
		metrics.PhaseWrite: {1, 1}, metrics.PhaseReload: {1, 6}, metrics.PhasePush: {2, 5},
	}, phases(), "count and milliseconds of each phase")
}
