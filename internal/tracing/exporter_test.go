package tracing

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/accesslog"
	"github.com/archway-ingress/archway/internal/metrics"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/testutil"
)

func collector(r *testutil.OTLPReceiver, service string) model.Tracing {
	return model.Tracing{CollectorHost: "127.0.0.1", CollectorPort: r.Port, ServiceName: service, Sampler: model.SamplerAlwaysOn,
		ExportDelay: 10 * time.Millisecond}
}

func span(traceByte byte, status string) accesslog.Span {
	end := time.Now()
	return accesslog.Span{TraceID: [16]byte{traceByte, 1}, SpanID: [8]byte{traceByte, 2}, Sampled: true, Start: end.Add(-time.Second), End: end,
		Request: metrics.Request{Method: "OTHER", Status: status, Host: "_"}}
}

// TestExporterFollowsSettings: a new collector or service name takes the
// spans from then on; no collector drops them; the times and status are
// the record's.
func TestExporterFollowsSettings(t *testing.T) {
	first, second := testutil.NewOTLPReceiver(t), testutil.NewOTLPReceiver(t)
	var e Exporter
	e.RecordSpan(span(1, "200")) // no collector yet: dropped
	e.Configure(collector(first, "a"))
	e.RecordSpan(span(2, "503"))
	e.Configure(collector(second, "b"))
	e.RecordSpan(span(3, "200"))
	e.Configure(model.Tracing{})
	e.RecordSpan(span(4, "200"))
	require.NoError(t, e.Shutdown())

	var got []testutil.ReceivedSpan
	require.Eventually(t, func() bool { got = first.Spans(); return len(got) > 0 }, 10*time.Second, 10*time.Millisecond,
		"the replaced pipeline exports its last spans")
	require.Len(t, got, 1)
	s := got[0]
	require.Equal(t, "02010000000000000000000000000000", s.TraceID)
	require.Equal(t, "0202000000000000", s.SpanID)
	require.Equal(t, "a", s.Service)
	require.Equal(t, "HTTP", s.Name, "an unknown method, no route")
	require.Equal(t, "_OTHER", s.Attributes["http.request.method"])
	require.True(t, s.Error, "a 5xx is an error")
	require.Equal(t, time.Second, s.End.Sub(s.Start))
	require.Eventually(t, func() bool { got = second.Spans(); return len(got) > 0 }, 10*time.Second, 10*time.Millisecond)
	require.Len(t, got, 1)
	require.Equal(t, "b", got[0].Service)
	require.Equal(t, "03010000000000000000000000000000", got[0].TraceID)
	require.False(t, got[0].Error)
}
