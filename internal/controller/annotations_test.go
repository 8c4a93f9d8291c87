package controller

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/annotations"
)

// unsupportedCount returns archway_unsupported_annotations_total for key.
func unsupportedCount(t *testing.T, registry *prometheus.Registry, key string) float64 {
	t.Helper()
	families, err := registry.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() != "archway_unsupported_annotations_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "annotation" && l.GetValue() == key {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// TestUnsupportedAnnotationsAreCounted checks that each Ingress using an
// unsupported annotation is counted once, however many syncs see it, and
// that snippets and supported annotations are not counted.
func TestUnsupportedAnnotationsAreCounted(t *testing.T) {
	key := func(name string) string { return annotations.DefaultPrefix + "/" + name }
	h := startHarness(t, 0)
	require.Eventually(t, h.ctrl.Ready, 2*time.Second, 5*time.Millisecond)
	a := ingress("a", "a.example.com")
	a.Annotations = map[string]string{key("mirror-target"): "https://mirror", key("x-custom"): "1",
		key("server-snippet"): "return 200;", key("proxy-body-size"): "2m"}
	h.src.addIngress(a)
	b := ingress("b", "b.example.com")
	b.Annotations = map[string]string{key("mirror-target"): "https://mirror"}
	h.src.addIngress(b)
	require.Eventually(t, func() bool {
		return unsupportedCount(t, h.registry, key("mirror-target")) == 2
	}, 2*time.Second, 5*time.Millisecond, h.logs.String())
	for i := range 3 {
		h.src.addIngress(ingress("more"+strings.Repeat("x", i), "more.example.com"))
		time.Sleep(100 * time.Millisecond)
	}
	require.Equal(t, 2.0, unsupportedCount(t, h.registry, key("mirror-target")))
	require.Equal(t, 1.0, unsupportedCount(t, h.registry, key("x-custom")))
	require.Zero(t, unsupportedCount(t, h.registry, key("server-snippet")))
	require.Zero(t, unsupportedCount(t, h.registry, key("proxy-body-size")))
	require.Contains(t, h.logs.String(), "reason=SnippetRefused")
}
