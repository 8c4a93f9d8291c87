package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/test/harness"
)

// TestEndpointChurnCausesNoReload moves a Service's ready endpoint between
// two backends 30 times through the API server while a client keeps
// sending requests: nginx takes every change at runtime, so archway counts
// no reload, nginx keeps its workers, and no request fails.
func TestEndpointChurnCausesNoReload(t *testing.T) {
	t.Parallel()
	s := env
	ns := s.classNamespace(t)
	backends := []string{"one", "two"}
	slice := s.CreateService(t, ns, "app", false, s.StartBackend(t, backends[0]), s.StartBackend(t, backends[1]))
	slice = s.SetReady(t, slice, true, false)
	a := s.startArchway(t, harness.ArchwayOptions{Class: ns})
	s.CreateIngress(t, harness.WithClass(harness.NewIngress(ns, "app",
		harness.Route{Host: "app.example", Path: "/", PathType: networkingv1.PathTypePrefix, Service: "app"},
	), ns))
	a.WaitFor(t, "app.example", "/", harness.Served("one"))
	reloads := a.settledReloads(t)
	workers := a.workers(t)

	traffic := startTraffic(func() error {
		got, err := a.Get("app.example", "/")
		if err == nil && got.Status != 200 {
			err = fmt.Errorf("answered %v", got)
		}
		return err
	})
	for i := range 30 {
		next := (i + 1) % 2
		slice = s.SetReady(t, slice, next == 0, next == 1)
		a.WaitFor(t, "app.example", "/", harness.Served(backends[next]))
	}
	traffic.stopWithoutFailure(t, "the churn")
	a.requireNoReload(t, reloads, workers, "endpoint changes")
}

// traffic sends one request after the other until stopped, counting
// those that fail.
type traffic struct {
	stop         context.CancelFunc
	wg           sync.WaitGroup
	sent, failed int
	firstFailure string
}

// startTraffic sends requests with send until stopWithoutFailure.
func startTraffic(send func() error) *traffic {
	ctx, stop := context.WithCancel(context.Background())
	tr := &traffic{stop: stop}
	tr.wg.Go(func() {
		for ctx.Err() == nil {
			err := send()
			tr.sent++
			if err != nil {
				tr.failed++
				if tr.firstFailure == "" {
					tr.firstFailure = err.Error()
				}
			}
		}
	})
	return tr
}

// stopWithoutFailure stops the traffic and fails the test if no request
// was sent or any failed during what.
func (tr *traffic) stopWithoutFailure(t *testing.T, what string) {
	t.Helper()
	tr.stop()
	tr.wg.Wait()
	require.Positive(t, tr.sent)
	require.Zero(t, tr.failed, "of %d requests during %s; first: %s", tr.sent, what, tr.firstFailure)
}

// requireNoReload fails the test if archway counted a reload since it
// counted reloads, or nginx's workers are not those of before.
func (a *archway) requireNoReload(t *testing.T, reloads float64, workers []int, what string) {
	t.Helper()
	n, err := a.Metric("nginx_ingress_controller_success")
	require.NoError(t, err)
	require.Equal(t, reloads, n, "%s must not reload nginx", what)
	require.Equal(t, workers, a.workers(t), "nginx's workers must be the same processes")
}

// settledReloads returns archway's count of reloads once it holds still:
// archway counts a reload once nginx retired the old workers, which may be
// after the first answer.
func (a *archway) settledReloads(t *testing.T) float64 {
	t.Helper()
	var reloads float64
	require.NoError(t, harness.Eventually(20*time.Second, 100*time.Millisecond, func() error {
		n, err := a.Metric("nginx_ingress_controller_success")
		if err == nil && n != reloads {
			reloads, err = n, fmt.Errorf("reloads went to %v", n)
		}
		return err
	}))
	return reloads
}

// workers returns the pids of nginx's active workers, sorted.
func (a *archway) workers(t *testing.T) []int {
	t.Helper()
	_, workers, err := harness.NginxProcesses(a.Proc.Cmd.Process.Pid)
	require.NoError(t, err)
	require.NotEmpty(t, workers, "nginx runs workers")
	return workers
}
