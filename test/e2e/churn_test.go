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
	ns := s.NewNamespace(t)
	s.CreateIngressClass(t, ns, harness.ControllerClass)
	backends := []string{"one", "two"}
	slice := s.CreateService(t, ns, "app", false, s.StartBackend(t, backends[0]), s.StartBackend(t, backends[1]))
	slice = s.SetReady(t, slice, true, false)
	a := s.startArchway(t, harness.ArchwayOptions{Class: ns})
	s.CreateIngress(t, harness.WithClass(harness.NewIngress(ns, "app",
		harness.Route{Host: "app.example", Path: "/", PathType: networkingv1.PathTypePrefix, Service: "app"},
	), ns))
	a.WaitFor(t, "app.example", "/", harness.Served("one"))
	// archway counts a reload once nginx retired the old workers, which
	// may be after the first answer: wait until the count holds still.
	var reloads float64
	require.NoError(t, harness.Eventually(20*time.Second, 100*time.Millisecond, func() error {
		n, err := a.Metric("nginx_ingress_controller_success")
		if err == nil && n != reloads {
			reloads, err = n, fmt.Errorf("reloads went to %v", n)
		}
		return err
	}))
	workers := a.workers(t)

	ctx, stop := context.WithCancel(t.Context())
	var sent, failed int
	var firstFailure string
	var load sync.WaitGroup
	load.Go(func() {
		for ctx.Err() == nil {
			got, err := a.Get("app.example", "/")
			sent++
			if err != nil || got.Status != 200 {
				failed++
				if firstFailure == "" {
					firstFailure = fmt.Sprint(got, err)
				}
			}
		}
	})
	for i := range 30 {
		next := (i + 1) % 2
		slice = s.SetReady(t, slice, next == 0, next == 1)
		a.WaitFor(t, "app.example", "/", harness.Served(backends[next]))
	}
	stop()
	load.Wait()

	require.Positive(t, sent)
	require.Zero(t, failed, "of %d requests during the churn; first: %s", sent, firstFailure)
	n, err := a.Metric("nginx_ingress_controller_success")
	require.NoError(t, err)
	require.Equal(t, reloads, n, "endpoint changes must not reload nginx")
	require.Equal(t, workers, a.workers(t), "nginx's workers must be the same processes")
}

// workers returns the pids of nginx's active workers, sorted.
func (a *archway) workers(t *testing.T) []int {
	t.Helper()
	_, workers, err := harness.NginxProcesses(a.Proc.Cmd.Process.Pid)
	require.NoError(t, err)
	require.NotEmpty(t, workers, "nginx runs workers")
	return workers
}
