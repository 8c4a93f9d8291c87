package controller

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/metrics"
	"github.com/archway-ingress/archway/internal/nginx"
	"github.com/archway-ingress/archway/internal/render"
	"github.com/archway-ingress/archway/internal/testutil"
)

// pushingApplier behaves like nginx.Manager: new files reload, new
// endpoints alone are pushed; pushes fail while failures > 0.
type pushingApplier struct {
	refusesNothing
	mu        sync.Mutex
	version   string
	endpoints render.Endpoints
	failures  int
	pushes    int // successful push-only applies
}

func (a *pushingApplier) Apply(_ context.Context, out render.Output) (nginx.Result, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case out.Version != a.version:
		a.version, a.endpoints = out.Version, out.Endpoints
		return nginx.Result{Changed: true, EndpointsPushed: true}, nil
	case out.Endpoints.Equal(a.endpoints):
		return nginx.Result{}, nil
	case a.failures > 0:
		a.failures--
		return nginx.Result{}, fmt.Errorf("apply config %q: %w: nginx answers 500", out.Version, nginx.ErrPush)
	default:
		a.endpoints = out.Endpoints
		a.pushes++
		return nginx.Result{EndpointsPushed: true}, nil
	}
}

func (a *pushingApplier) pushCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.pushes
}

func TestEndpointChangesArePushedNotReloaded(t *testing.T) {
	tests := map[string]struct {
		failures int
	}{
		"pushes succeed":             {},
		"failed pushes are retried":  {failures: 2},
		"one failed push is retried": {failures: 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			src := newMemorySource()
			src.snap.IngressClasses = archwayClass()
			src.snap.Ingresses = []*networkingv1.Ingress{ingress("site", "site.example.com")}
			src.snap.Services = []*corev1.Service{service("web")}
			src.snap.EndpointSlices = []*discoveryv1.EndpointSlice{endpointSlice("web", 8080)}
			applier := &pushingApplier{failures: tc.failures}
			registry := prometheus.NewRegistry()
			ctrl := startController(t, src, applier, registry, &testutil.SyncBuffer{}, 10*time.Millisecond)
			require.Eventually(t, ctrl.Ready, 2*time.Second, 5*time.Millisecond)

			src.mu.Lock()
			src.snap.EndpointSlices = []*discoveryv1.EndpointSlice{endpointSlice("web", 9090)}
			src.mu.Unlock()
			src.Notify()
			require.Eventually(t, func() bool { return applier.pushCount() == 1 }, 5*time.Second, 5*time.Millisecond)
			// The sync counts the push once Apply returned.
			require.Eventually(t, func() bool { return pushesMetric(t, registry, metrics.PushSuccess) == 2 }, 5*time.Second, 5*time.Millisecond,
				"the reload's push and the change's")

			require.Equal(t, 1.0, metricValue(t, registry, "nginx_ingress_controller_success"), "the first config alone reloads")
			require.Zero(t, metricValue(t, registry, "nginx_ingress_controller_errors"), "a failed push is no failed reload")
			require.Equal(t, float64(tc.failures), pushesMetric(t, registry, metrics.PushFailure))
		})
	}
}

// pushesMetric returns archway_endpoint_pushes_total for outcome.
func pushesMetric(t *testing.T, registry *prometheus.Registry, outcome string) float64 {
	return labelledValue(t, registry, "archway_endpoint_pushes_total", "outcome", outcome)
}
