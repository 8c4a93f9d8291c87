package controller

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/annotations"
)

// gaugeSeries returns the series of the gauge name, keyed by the values of
// labels joined with spaces.
func gaugeSeries(t *testing.T, registry *prometheus.Registry, name string, labels ...string) map[string]float64 {
	t.Helper()
	series := map[string]float64{}
	for _, s := range samples(t, registry, name) {
		key := make([]string, len(labels))
		for i, l := range labels {
			key[i] = s.labels[l]
		}
		series[strings.Join(key, " ")] = s.value
	}
	return series
}

// unsupportedSeries returns archway_unsupported_annotations by label.
func unsupportedSeries(t *testing.T, registry *prometheus.Registry) map[string]float64 {
	return gaugeSeries(t, registry, "archway_unsupported_annotations", "annotation")
}

// TestUnsupportedAnnotationsAreBounded checks that the Ingresses using an
// unsupported annotation are counted by its ingress-nginx name, that keys
// ingress-nginx does not have all count as "unknown" however many a tenant
// invents, that snippets and supported annotations are not counted, and
// that a series goes when no Ingress uses its annotation any more.
func TestUnsupportedAnnotationsAreBounded(t *testing.T) {
	key := func(name string) string { return annotations.DefaultPrefix + "/" + name }
	h := startHarness(t, 0)
	require.Eventually(t, h.ctrl.Ready, 2*time.Second, 5*time.Millisecond)
	a := ingress("a", "a.example.com")
	a.Annotations = map[string]string{key("mirror-target"): "https://mirror",
		key("server-snippet"): "return 200;", key("proxy-body-size"): "2m"}
	for i := range 100 {
		a.Annotations[key(fmt.Sprintf("x-invented-%d", i))] = "1"
	}
	h.src.addIngress(a)
	b := ingress("b", "b.example.com")
	b.Annotations = map[string]string{key("mirror-target"): "https://mirror"}
	h.src.addIngress(b)
	want := map[string]float64{"mirror-target": 2, "unknown": 100}
	require.Eventually(t, func() bool { return fmt.Sprint(unsupportedSeries(t, h.registry)) == fmt.Sprint(want) },
		2*time.Second, 5*time.Millisecond, "%v", unsupportedSeries(t, h.registry))
	require.Contains(t, h.logs.String(), "reason=SnippetRefused")

	h.src.mu.Lock()
	h.src.snap.Ingresses = slices.DeleteFunc(h.src.snap.Ingresses, func(ing *networkingv1.Ingress) bool { return ing == a })
	h.src.mu.Unlock()
	h.src.Notify()
	want = map[string]float64{"mirror-target": 1}
	require.Eventually(t, func() bool { return fmt.Sprint(unsupportedSeries(t, h.registry)) == fmt.Sprint(want) },
		2*time.Second, 5*time.Millisecond, "%v", unsupportedSeries(t, h.registry))
}
