package controller

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/nginx"
	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/render"
	"github.com/archway-ingress/archway/internal/testutil"
)

// refusingApplier stands in for nginx.Manager where nginx refuses what
// Build accepted: `nginx -t` refuses every nginx.conf holding refuseConf,
// and the Lua side every endpoints payload holding refuseEndpoints. The
// real nginx does so for inputs that Build does not know to refuse yet;
// which ones those are changes as Build learns, so the unit tests inject
// the refusal (integration_test.go has one through real nginx).
type refusingApplier struct {
	refuseConf, refuseEndpoints string
	// blind makes Check miss the endpoints refusals, as the real one does
	// while no nginx runs: always, or, with blindUntilApplied, until a
	// config is live.
	blind, blindUntilApplied bool

	mu        sync.Mutex
	conf      []byte // the live nginx.conf
	version   string
	endpoints render.Endpoints // what nginx holds
	checks    int
}

func (a *refusingApplier) refusal(out render.Output) error {
	switch {
	case a.refuseConf != "" && bytes.Contains(out.Files[0].Data, []byte(a.refuseConf)):
		return fmt.Errorf("nginx -t: %w: nginx: [emerg] unknown directive", nginx.ErrRejected)
	case a.refuseEndpoints != "" && bytes.Contains(out.Endpoints.Payload(), []byte(a.refuseEndpoints)):
		return fmt.Errorf("%w: %w: nginx answers 400 Bad Request: invalid canary header_pattern", nginx.ErrPush, nginx.ErrRejected)
	}
	return nil
}

func (a *refusingApplier) Check(_ context.Context, out render.Output) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.checks++
	if a.blind || a.blindUntilApplied && a.version == "" {
		return nil
	}
	return a.refusal(out)
}

func (a *refusingApplier) Apply(_ context.Context, out render.Output) (nginx.Result, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.refusal(out); err != nil {
		return nginx.Result{}, err
	}
	changed := out.Version != a.version
	pushed := changed || !out.Endpoints.Equal(a.endpoints)
	a.conf, a.version, a.endpoints = out.Files[0].Data, out.Version, out.Endpoints
	return nginx.Result{Changed: changed, EndpointsPushed: pushed}, nil
}

// live returns the live nginx.conf and endpoints payload.
func (a *refusingApplier) live() (conf, endpoints string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return string(a.conf), string(a.endpoints.Payload())
}

func (a *refusingApplier) checkCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.checks
}

// isolation is a controller over a memory source and a refusingApplier.
type isolation struct {
	src      *memorySource
	applier  *refusingApplier
	registry *prometheus.Registry
	logs     *testutil.SyncBuffer
}

func startIsolation(t *testing.T, applier *refusingApplier, ingresses ...*networkingv1.Ingress) *isolation {
	h := &isolation{src: newMemorySource(), applier: applier, registry: prometheus.NewRegistry(), logs: &testutil.SyncBuffer{}}
	h.src.snap.IngressClasses = archwayClass()
	h.src.snap.Ingresses = ingresses
	h.src.snap.Services = []*corev1.Service{service("web"), inNamespace(service("web"), "tenant-x")}
	h.src.snap.EndpointSlices = []*discoveryv1.EndpointSlice{endpointSlice("web", 8080), inNamespace(endpointSlice("web", 8080), "tenant-x")}
	ctrl := startController(t, h.src, applier, h.registry, h.logs, 10*time.Millisecond)
	require.Eventually(t, ctrl.Ready, 5*time.Second, 5*time.Millisecond)
	return h
}

// objects are the parts of the memory source's snapshot tests change.
type objects struct {
	ingresses []*networkingv1.Ingress
	slices    []*discoveryv1.EndpointSlice
}

// update changes the memory source's snapshot and signals the change.
func (h *isolation) update(change func(*objects)) {
	h.src.mu.Lock()
	state := objects{h.src.snap.Ingresses, h.src.snap.EndpointSlices}
	change(&state)
	h.src.snap.Ingresses, h.src.snap.EndpointSlices = state.ingresses, state.slices
	h.src.mu.Unlock()
	h.src.Notify()
}

// waitLive waits until the live config holds want in nginx.conf and
// wantEndpoints in the payload.
func (h *isolation) waitLive(t *testing.T, want, wantEndpoints string) {
	t.Helper()
	require.Eventually(t, func() bool {
		conf, endpoints := h.applier.live()
		return strings.Contains(conf, want) && strings.Contains(endpoints, wantEndpoints)
	}, 5*time.Second, 5*time.Millisecond, "live config never held %q and %q:\n%s", want, wantEndpoints, h.logs)
}

func inNamespace[T interface{ SetNamespace(string) }](obj T, namespace string) T {
	obj.SetNamespace(namespace)
	return obj
}

// TestRefusedObjectIsHeldBack: tenant X's Ingress, accepted by Build but
// refused by nginx -t or by nginx's Lua side, is held back and reported,
// and everything else keeps flowing: tenant Y's new Ingress goes live, an
// endpoint change is pushed, the reload metric says 0 until X is gone.
func TestRefusedObjectIsHeldBack(t *testing.T) {
	canaryPattern := annotations.DefaultPrefix + "/canary-by-header-pattern"
	tests := map[string]struct {
		applier *refusingApplier
		bad     []*networkingv1.Ingress
		culprit string
	}{
		"nginx -t refuses": {
			applier: &refusingApplier{refuseConf: "x.example.com"},
			bad:     []*networkingv1.Ingress{inNamespace(ingress("bad", "x.example.com"), "tenant-x")},
			culprit: "tenant-x/bad",
		},
		"the Lua side refuses the endpoints": {
			applier: &refusingApplier{refuseEndpoints: "refused-pattern"},
			bad: []*networkingv1.Ingress{
				inNamespace(ingress("main", "x.example.com"), "tenant-x"),
				withAnnotations(inNamespace(ingress("bad", "x.example.com"), "tenant-x"), map[string]string{
					annotations.DefaultPrefix + "/canary":           "true",
					annotations.DefaultPrefix + "/canary-by-header": "X-Canary",
					canaryPattern: "refused-pattern",
				}),
			},
			culprit: "tenant-x/bad",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h := startIsolation(t, tc.applier, ingress("site", "site.example.com"))
			require.Equal(t, 1.0, metricValue(t, h.registry, "nginx_ingress_controller_config_last_reload_successful"))

			h.update(func(s *objects) {
				s.ingresses = append(append(s.ingresses, tc.bad...), ingress("new", "y.example.com"))
			})
			h.waitLive(t, "y.example.com", "127.0.0.1:8080")
			require.Eventually(t, func() bool {
				return strings.Contains(h.logs.String(), "msg=rejected kind=Ingress object="+tc.culprit+` field="" reason=`+string(reason.RejectedByNginx))
			}, 5*time.Second, 5*time.Millisecond)
			require.Contains(t, h.logs.String(), "reason="+string(reason.RejectedByNginx))
			// The sync sets the metrics after it logged.
			require.Eventually(t, func() bool {
				return rejectedMetric(t, h.registry, builder.KindIngress, reason.RejectedByNginx) == 1
			}, 5*time.Second, 5*time.Millisecond)
			require.Equal(t, 0.0, metricValue(t, h.registry, "nginx_ingress_controller_config_last_reload_successful"))
			checks := h.applier.checkCount()

			// An endpoint change is pushed, with the culprit still held
			// back and without searching for it again.
			h.update(func(s *objects) {
				s.slices = []*discoveryv1.EndpointSlice{endpointSlice("web", 9090), s.slices[1]}
			})
			h.waitLive(t, "y.example.com", "127.0.0.1:9090")
			require.Equal(t, checks, h.applier.checkCount(), "an unchanged culprit is held back without a search")
			require.Equal(t, 0.0, metricValue(t, h.registry, "nginx_ingress_controller_config_last_reload_successful"))

			// The culprit gone, the whole config is live again.
			h.update(func(s *objects) {
				s.ingresses = s.ingresses[:len(s.ingresses)-len(tc.bad)-1]
				s.ingresses = append(s.ingresses, ingress("new", "y.example.com"))
			})
			require.Eventually(t, func() bool {
				return strings.Contains(h.logs.String(), "msg=resolved kind=Ingress object="+tc.culprit)
			}, 5*time.Second, 5*time.Millisecond, h.logs.String())
			require.Eventually(t, func() bool {
				return metricValue(t, h.registry, "nginx_ingress_controller_config_last_reload_successful") == 1 &&
					rejectedMetric(t, h.registry, builder.KindIngress, reason.RejectedByNginx) == 0
			}, 5*time.Second, 5*time.Millisecond)
		})
	}
}

// TestCulpritSearchIsBounded: one refused Ingress among n new ones costs
// one check of the config without any of them, log2(n) more, and one to
// confirm a refusal only Apply saw, then the Apply of the rest.
func TestCulpritSearchIsBounded(t *testing.T) {
	const n = 64
	h := startIsolation(t, &refusingApplier{refuseConf: "bad.example.com"})
	h.update(func(s *objects) {
		for i := range n {
			host := fmt.Sprintf("host-%d.example.com", i)
			if i == n/3 {
				host = "bad.example.com"
			}
			s.ingresses = append(s.ingresses, ingress(fmt.Sprintf("ing-%02d", i), host))
		}
	})
	h.waitLive(t, fmt.Sprintf("host-%d.example.com", n-1), "")
	conf, _ := h.applier.live()
	// Each host once in a server_name, its own or a shared one (not in the
	// maps of shared servers, where a value follows it).
	served := regexp.MustCompile(`"host-[0-9]+\.example\.com"[;\n]`)
	require.Len(t, served.FindAllString(conf, -1), n-1, "every other Ingress is served")
	// The sync reports the culprit after the apply went live.
	require.Eventually(t, func() bool {
		return strings.Contains(h.logs.String(), fmt.Sprintf("object=default/ing-%02d", n/3))
	}, 5*time.Second, 5*time.Millisecond, h.logs.String())
	checks := h.applier.checkCount()
	t.Logf("%d checks to find 1 culprit among %d changed objects", checks, n)
	require.LessOrEqual(t, checks, 2+int(math.Ceil(math.Log2(n))))
}

// TestRefusalChecksCannotSeeBlamesNobody: when Apply is refused but the
// checks accept every config, no object is blamed: the sync fails, and is
// retried, as before.
func TestRefusalChecksCannotSeeBlamesNobody(t *testing.T) {
	h := startIsolation(t, &refusingApplier{refuseEndpoints: "127.0.0.1:9090", blind: true}, ingress("site", "site.example.com"))
	h.update(func(s *objects) {
		s.ingresses = append(s.ingresses, ingress("new", "y.example.com"))
		s.slices = []*discoveryv1.EndpointSlice{endpointSlice("web", 9090), s.slices[1]}
	})
	require.Eventually(t, func() bool {
		return strings.Count(h.logs.String(), "cannot tell which object is responsible") >= 2
	}, 5*time.Second, 5*time.Millisecond, h.logs.String())
	require.NotContains(t, h.logs.String(), "msg=rejected")
	conf, _ := h.applier.live()
	require.NotContains(t, conf, "y.example.com")
}

// TestRefusedAtStartIsHeldBack: an object that nginx's Lua side refuses
// is in the cluster when archway starts, when no nginx runs to check
// endpoints with. nginx starts on the config without the changed objects,
// the culprit is found with it, and everything else goes live.
func TestRefusedAtStartIsHeldBack(t *testing.T) {
	canary := withAnnotations(inNamespace(ingress("bad", "x.example.com"), "tenant-x"), map[string]string{
		annotations.DefaultPrefix + "/canary":                   "true",
		annotations.DefaultPrefix + "/canary-by-header":         "X-Canary",
		annotations.DefaultPrefix + "/canary-by-header-pattern": "refused-pattern",
	})
	h := startIsolation(t, &refusingApplier{refuseEndpoints: "refused-pattern", blindUntilApplied: true},
		ingress("site", "site.example.com"), inNamespace(ingress("main", "x.example.com"), "tenant-x"), canary)
	conf, endpoints := h.applier.live()
	require.Contains(t, conf, "site.example.com")
	require.Contains(t, conf, "x.example.com", h.logs.String())
	require.NotContains(t, endpoints, "refused-pattern")
	require.Contains(t, h.logs.String(), `msg=rejected kind=Ingress object=tenant-x/bad field="" reason=`+string(reason.RejectedByNginx))
}

// withAnnotations returns ing with the annotations, created after the
// Ingresses without: as a canary comes after its main route.
func withAnnotations(ing *networkingv1.Ingress, values map[string]string) *networkingv1.Ingress {
	ing.Annotations = values
	ing.CreationTimestamp = metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	return ing
}

// rejectedMetric returns archway_rejected_objects for kind and reason.
func rejectedMetric(t *testing.T, registry *prometheus.Registry, kind string, why reason.Reason) float64 {
	return labelledValue(t, registry, "archway_rejected_objects", "kind", kind, "reason", string(why))
}
