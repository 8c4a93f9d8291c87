package controller

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// unsupportedSettingSeries returns archway_unsupported_settings by "key
// reason".
func unsupportedSettingSeries(t *testing.T, registry *prometheus.Registry) map[string]float64 {
	return gaugeSeries(t, registry, "archway_unsupported_settings", "key", "reason")
}

// TestUnsupportedSettings checks that each ConfigMap key archway ignores is
// logged once, however many syncs follow, and has a series labelled by key
// and reason, which goes with the key.
func TestUnsupportedSettings(t *testing.T) {
	h := startHarness(t, 0)
	require.Eventually(t, h.ctrl.Ready, 2*time.Second, 5*time.Millisecond)
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ingress", Name: "archway"},
		Data: map[string]string{"use-geoip2": "100m", "http-snippet": "x", "worker-shutdown-timeout": "30s"}}
	h.src.mu.Lock()
	h.src.snap.ConfigMap = cm
	h.src.mu.Unlock()
	h.src.Notify()
	want := map[string]float64{"http-snippet SnippetRefused": 1, "use-geoip2 UnsupportedSetting": 1}
	require.Eventually(t, func() bool { return fmt.Sprint(unsupportedSettingSeries(t, h.registry)) == fmt.Sprint(want) },
		2*time.Second, 5*time.Millisecond, "%v", unsupportedSettingSeries(t, h.registry))

	applied := len(h.applier.applied())
	h.src.addIngress(ingress("a", "a.example.com")) // another sync
	require.Eventually(t, func() bool { return len(h.applier.applied()) > applied }, 2*time.Second, 5*time.Millisecond)
	require.Equal(t, 1, strings.Count(h.logs.String(), "field=data.use-geoip2 reason=UnsupportedSetting"), h.logs.String())

	h.src.mu.Lock()
	h.src.snap.ConfigMap = &corev1.ConfigMap{ObjectMeta: cm.ObjectMeta, Data: map[string]string{"http-snippet": "x"}}
	h.src.mu.Unlock()
	h.src.Notify()
	want = map[string]float64{"http-snippet SnippetRefused": 1}
	require.Eventually(t, func() bool { return fmt.Sprint(unsupportedSettingSeries(t, h.registry)) == fmt.Sprint(want) },
		2*time.Second, 5*time.Millisecond, "%v", unsupportedSettingSeries(t, h.registry))
	require.Contains(t, h.logs.String(), `msg=resolved kind=ConfigMap object=ingress/archway field=data.use-geoip2`)
}
