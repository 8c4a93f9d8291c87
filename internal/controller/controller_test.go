package controller

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/metrics"
	"github.com/archway-ingress/archway/internal/nginx"
	"github.com/archway-ingress/archway/internal/render"
	"github.com/archway-ingress/archway/internal/source"
	"github.com/archway-ingress/archway/internal/testutil"
)

// memorySource is a hand-written source.Source over a Snapshot in memory.
type memorySource struct {
	*source.Notifier
	mu   sync.Mutex
	snap source.Snapshot
}

func newMemorySource() *memorySource { return &memorySource{Notifier: source.NewNotifier()} }

func (s *memorySource) Start(context.Context) error { return nil }

func (s *memorySource) Snapshot() (source.Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := s.snap
	snap.Ingresses = append([]*networkingv1.Ingress(nil), s.snap.Ingresses...)
	return snap, nil
}

func (s *memorySource) addIngress(ing *networkingv1.Ingress) {
	s.mu.Lock()
	s.snap.Ingresses = append(s.snap.Ingresses, ing)
	s.mu.Unlock()
	s.Notify()
}

// refusesNothing is the Check of appliers whose Apply never refuses a
// config for its content.
type refusesNothing struct{}

func (refusesNothing) Check(context.Context, render.Output) error { return nil }

// recordingApplier remembers every Output it was asked to apply and fails
// while failures > 0.
type recordingApplier struct {
	refusesNothing
	mu       sync.Mutex
	outputs  []render.Output
	failures int
}

func (a *recordingApplier) Apply(_ context.Context, out render.Output) (nginx.Result, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.failures > 0 {
		a.failures--
		return nginx.Result{}, errors.New("nginx -t: broken")
	}
	changed := len(a.outputs) == 0 || a.outputs[len(a.outputs)-1].Version != out.Version
	if changed {
		a.outputs = append(a.outputs, out)
	}
	return nginx.Result{Changed: changed, Duration: time.Millisecond}, nil
}

func (a *recordingApplier) applied() []render.Output {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]render.Output(nil), a.outputs...)
}

func ingress(name, host string) *networkingv1.Ingress {
	prefix := networkingv1.PathTypePrefix
	class := "archway"
	return &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec: networkingv1.IngressSpec{
			IngressClassName: &class,
			Rules: []networkingv1.IngressRule{{
				Host: host,
				IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
					Paths: []networkingv1.HTTPIngressPath{{
						Path: "/", PathType: &prefix,
						Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
							Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80},
						}},
					}},
				}},
			}},
		},
	}
}

type harness struct {
	src      *memorySource
	applier  *recordingApplier
	ctrl     *Controller
	registry *prometheus.Registry
	logs     *testutil.SyncBuffer
}

func startHarness(t *testing.T, failures int) *harness {
	t.Helper()
	h := &harness{src: newMemorySource(), applier: &recordingApplier{failures: failures},
		registry: prometheus.NewRegistry(), logs: &testutil.SyncBuffer{}}
	h.src.snap.IngressClasses = archwayClass()
	h.ctrl = startController(t, h.src, h.applier, h.registry, h.logs, 50*time.Millisecond)
	return h
}

func archwayClass() []*networkingv1.IngressClass {
	return []*networkingv1.IngressClass{{
		ObjectMeta: metav1.ObjectMeta{Name: "archway"},
		Spec:       networkingv1.IngressClassSpec{Controller: "archway.dev/ingress-controller"},
	}}
}

// startController runs a controller over src and applier until the test
// ends; it coalesces changes for holdOff, at most five times that.
// configure, if any, changes its Options first.
func startController(t *testing.T, src source.Source, applier Applier, registry *prometheus.Registry, logs *testutil.SyncBuffer, holdOff time.Duration, configure ...func(*Options)) *Controller {
	t.Helper()
	renderer, err := render.New("")
	require.NoError(t, err)
	opts := Options{
		// endpointSlice's address is loopback.
		Build:      builder.Options{IngressClass: "archway", ControllerClass: "archway.dev/ingress-controller", LoopbackEndpoints: true},
		Render:     render.Options{HTTPPort: 8080, HTTPSPort: 8443, RuntimeDir: t.TempDir()},
		HoldOff:    holdOff,
		MaxDelay:   5 * holdOff,
		RetryDelay: holdOff / 2,
		Logger:     slog.New(slog.NewTextHandler(logs, nil)),
		Metrics:    metrics.New(registry, metrics.Labels{Class: "archway"}),
	}
	for _, change := range configure {
		change(&opts)
	}
	ctrl := New(src, renderer, applier, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ctrl.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return ctrl
}

func TestBurstIsCoalesced(t *testing.T) {
	h := startHarness(t, 0)
	require.Eventually(t, h.ctrl.Ready, 2*time.Second, 5*time.Millisecond)

	const changes = 500
	for i := range changes {
		h.src.addIngress(ingress(fmt.Sprintf("ing-%d", i), fmt.Sprintf("host-%d.example.com", i)))
		time.Sleep(time.Millisecond)
	}
	lastHost := fmt.Sprintf(`"host-%d.example.com"`, changes-1)
	require.Eventually(t, func() bool {
		applied := h.applier.applied()
		return bytes.Contains(applied[len(applied)-1].Files[0].Data, []byte(lastHost))
	}, 5*time.Second, 10*time.Millisecond)

	// One initial apply plus a few for the burst: the max delay forces
	// about one sync per 250ms of a steady stream.
	reloads := len(h.applier.applied()) - 1
	t.Logf("%d changes caused %d reloads", changes, reloads)
	require.LessOrEqual(t, reloads, 8)
	require.GreaterOrEqual(t, reloads, 1)
}

func TestFailedApplyIsRetried(t *testing.T) {
	h := startHarness(t, 3)
	require.Eventually(t, h.ctrl.Ready, 5*time.Second, 5*time.Millisecond)
	require.Len(t, h.applier.applied(), 1)
	require.Equal(t, 3.0, metricValue(t, h.registry, "nginx_ingress_controller_errors"))
	require.Equal(t, 1.0, metricValue(t, h.registry, "nginx_ingress_controller_success"))
	require.Equal(t, 3, strings.Count(h.logs.String(), "sync failed; the previous config keeps serving"))
}

func TestProblemsAreLoggedOnce(t *testing.T) {
	h := startHarness(t, 0)
	require.Eventually(t, h.ctrl.Ready, 2*time.Second, 5*time.Millisecond)
	bad := ingress("bad", "Not_A_Host")
	h.src.addIngress(bad)
	require.Eventually(t, func() bool { return strings.Contains(h.logs.String(), "msg=rejected") }, 2*time.Second, 5*time.Millisecond)
	h.src.addIngress(ingress("good", "good.example.com"))
	require.Eventually(t, func() bool {
		applied := h.applier.applied()
		return bytes.Contains(applied[len(applied)-1].Files[0].Data, []byte("good.example.com"))
	}, 2*time.Second, 5*time.Millisecond)
	require.Equal(t, 1, strings.Count(h.logs.String(), "msg=rejected kind=Ingress object=default/bad"), h.logs.String())
	require.Contains(t, h.logs.String(), "reason=InvalidHost")
}

// sample is one series of a counter or gauge (value), or of a histogram
// (count and sum).
type sample struct {
	labels     map[string]string
	value      float64
	count, sum float64
}

// samples returns the series of the counter, gauge or histogram name.
func samples(t *testing.T, registry *prometheus.Registry, name string) []sample {
	t.Helper()
	families, err := registry.Gather()
	require.NoError(t, err)
	var found []sample
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			h := m.GetHistogram()
			found = append(found, sample{labels, m.GetCounter().GetValue() + m.GetGauge().GetValue(),
				float64(h.GetSampleCount()), h.GetSampleSum()})
		}
	}
	return found
}

// labelledValue returns the counter or gauge name whose labels include
// labels (name, value, name, value...); 0 when there is none.
func labelledValue(t *testing.T, registry *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	for _, s := range samples(t, registry, name) {
		matches := true
		for i := 0; i+1 < len(labels); i += 2 {
			matches = matches && s.labels[labels[i]] == labels[i+1]
		}
		if matches {
			return s.value
		}
	}
	return 0
}

// metricValue returns the value of the one counter or gauge named name.
func metricValue(t *testing.T, registry *prometheus.Registry, name string) float64 {
	t.Helper()
	found := samples(t, registry, name)
	if len(found) == 0 {
		t.Fatalf("metric %s not registered", name)
	}
	return found[0].value
}
