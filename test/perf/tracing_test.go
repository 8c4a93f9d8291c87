//go:build perf

package perf

import (
	"fmt"
	"strconv"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/internal/testutil"
	"github.com/archway-ingress/archway/test/harness"
)

// tracingCost measures requests per second through nginx with tracing
// off (the default) and on for every Ingress (the ConfigMap's
// enable-opentelemetry, AlwaysOn: a traceparent to the backend and a span
// exported for every request, to an OTLP/HTTP receiver in this process),
// in the same run, on the same hosts, and counts the spans received.
func (p *perfRun) tracingCost() {
	p.settled()
	off := p.requestsPerSecond()
	receiver := testutil.NewOTLPReceiver(p.t)
	name := "perf-" + strconv.Itoa(p.n) // wafConfigMap's
	cms := p.client.CoreV1().ConfigMaps(harness.ControllerNamespace)
	before := p.reloads()
	_, err := cms.Create(p.t.Context(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: map[string]string{
		"enable-opentelemetry": "true", "otel-sampler": "AlwaysOn", "otlp-collector-host": "127.0.0.1",
		"otlp-collector-port": strconv.Itoa(receiver.Port)}}, metav1.CreateOptions{})
	require.NoError(p.t, err)
	require.NoError(p.t, harness.Eventually(time.Minute, 10*time.Millisecond, func() error {
		if p.reloads() <= before {
			return fmt.Errorf("tracing is still off")
		}
		return nil
	}))
	p.settled()
	on := p.requestsPerSecond()
	// The SDK exports a batch at the latest 5 s after its first span.
	require.NoError(p.t, harness.Eventually(time.Minute, 100*time.Millisecond, func() error {
		if len(receiver.Spans()) == 0 {
			return fmt.Errorf("no span exported")
		}
		return nil
	}))
	p.add("requests per second through nginx, tracing off / on (AlwaysOn, spans received)",
		fmt.Sprintf("%.0f / %.0f (%d)", off, on, len(receiver.Spans())))
	require.NoError(p.t, cms.Delete(p.t.Context(), name, metav1.DeleteOptions{}))
	p.reloads()
}
