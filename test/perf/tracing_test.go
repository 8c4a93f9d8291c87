//go:build perf

package perf

import (
	"fmt"
	"strconv"
	"time"

	"github.com/stretchr/testify/require"

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
	p.reloadWithConfigMap(map[string]string{"enable-opentelemetry": "true", "otel-sampler": "AlwaysOn",
		"otlp-collector-host": "127.0.0.1", "otlp-collector-port": strconv.Itoa(receiver.Port)})
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
	p.deleteConfigMap()
	p.reloads()
}
