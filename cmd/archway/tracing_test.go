package main

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/archway-ingress/archway/internal/testutil"
)

// traceBackend answers 200 and keeps the traceparent and tracestate each
// request brought, by its X-Tag header.
type traceBackend struct {
	port int
	mu   sync.Mutex
	seen map[string][2]string
}

func newTraceBackend(t *testing.T) *traceBackend {
	b := &traceBackend{seen: map[string][2]string{}}
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		b.seen[r.Header.Get("X-Tag")] = [2]string{r.Header.Get("traceparent"), r.Header.Get("tracestate")}
		b.mu.Unlock()
	}))
	t.Cleanup(server.Close)
	b.port = server.Listener.Addr().(*net.TCPAddr).Port
	return b
}

// traceparent returns what the backend got for tag, split into trace id,
// parent span id and flags; nil without one.
func (b *traceBackend) traceparent(t *testing.T, tag string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	seen, ok := b.seen[tag]
	require.True(t, ok, "request %s never reached the backend", tag)
	if seen[0] == "" {
		return nil
	}
	parts := strings.Split(seen[0], "-")
	require.Len(t, parts, 4, seen[0])
	require.Equal(t, "00", parts[0])
	return parts[1:]
}

func (b *traceBackend) tracestate(tag string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.seen[tag][1]
}

// startTracing runs archway, as `make run` does, on Ingresses of backend b
// and a ConfigMap whose collector is receiver, with the data given.
func startTracing(t *testing.T, b *traceBackend, receiver *testutil.OTLPReceiver, data, ingresses string) *archwayProcess {
	requireRoot(t)
	return serveManifests(t, backendManifests("web", b.port)+ingresses+fmt.Sprintf(`
---
apiVersion: v1
kind: ConfigMap
metadata: {name: archway}
data:
  otlp-collector-host: 127.0.0.1
  otlp-collector-port: "%d"
  otel-schedule-delay-millis: "50"
  otel-service-name: edge
%s`, receiver.Port, data))
}

// tracedIngress is ingressManifest's Ingress of Service web with these
// annotations (a YAML flow mapping's content).
func tracedIngress(name, host, path, annotations string) string {
	return "---" + annotatedIngress(name, host, path, "web", annotations)
}

// sendTagged sends GET host/path with X-Tag: tag and the headers given.
func sendTagged(t *testing.T, p *archwayProcess, host, path, tag string, headers ...string) {
	t.Helper()
	require.Equal(t, http.StatusOK, p.get(host, path, append([]string{"X-Tag", tag}, headers...)...).StatusCode)
}

// waitSpans waits until the receiver holds exactly the spans of these
// trace ids, in any order, and returns them by trace id. Spans are
// exported in the order of the requests, so a span that should not exist
// would have come before the last one expected.
func waitSpans(t *testing.T, receiver *testutil.OTLPReceiver, traceIDs ...string) map[string]testutil.ReceivedSpan {
	t.Helper()
	var got []string
	require.Eventually(t, func() bool {
		got = nil
		for _, s := range receiver.Spans() {
			got = append(got, s.TraceID)
		}
		return len(got) >= len(traceIDs)
	}, 15*time.Second, 20*time.Millisecond, "spans of %v, got %v", traceIDs, got)
	require.ElementsMatch(t, traceIDs, got)
	spans := map[string]testutil.ReceivedSpan{}
	for _, s := range receiver.Spans() {
		spans[s.TraceID] = s
	}
	return spans
}

const (
	clientTrace  = "4bf92f3577b34da6a3ce929d0e0e4736"
	clientParent = "00f067aa0ba902b7"
)

// TestTracingSpans: a real OTLP/HTTP receiver gets one server span per
// request, whose ids are those of the traceparent the backend got; a
// client's trace is replaced where it is not trusted and continued where
// an Ingress trusts it; an Ingress whose annotation turns tracing off
// gets neither a traceparent nor a span.
func TestTracingSpans(t *testing.T) {
	b, receiver := newTraceBackend(t), testutil.NewOTLPReceiver(t)
	p := startTracing(t, b, receiver, `  enable-opentelemetry: "true"`,
		tracedIngress("open", "open.example.com", "/app", "")+
			tracedIngress("trusting", "trust.example.com", "/", `nginx.ingress.kubernetes.io/opentelemetry-trust-incoming-span: "true"`)+
			tracedIngress("quiet", "quiet.example.com", "/", `nginx.ingress.kubernetes.io/enable-opentelemetry: "false"`))

	incoming := "00-" + clientTrace + "-" + clientParent + "-01"
	for i := range 3 {
		sendTagged(t, p, "open.example.com", "/app/x?q="+strconv.Itoa(i), "open"+strconv.Itoa(i))
	}
	sendTagged(t, p, "open.example.com", "/app", "untrusted", "traceparent", incoming, "tracestate", "client=1")
	sendTagged(t, p, "trust.example.com", "/deep/path", "trusted", "traceparent", incoming, "tracestate", "client=1")
	sendTagged(t, p, "quiet.example.com", "/", "quiet", "traceparent", incoming)
	sendTagged(t, p, "quiet.example.com", "/", "quiet-bare")

	require.Equal(t, []string{clientTrace, clientParent, "01"}, b.traceparent(t, "quiet"), "passed on unchanged")
	require.Nil(t, b.traceparent(t, "quiet-bare"))
	untrusted, trusted := b.traceparent(t, "untrusted"), b.traceparent(t, "trusted")
	require.NotEqual(t, clientTrace, untrusted[0], "an untrusted trace is replaced")
	require.Empty(t, b.tracestate("untrusted"), "with its tracestate")
	require.Equal(t, clientTrace, trusted[0], "a trusted trace is continued")
	require.Equal(t, "client=1", b.tracestate("trusted"))

	tags := []string{"open0", "open1", "open2", "untrusted", "trusted"}
	seen := map[string][]string{}
	var traceIDs []string
	for _, tag := range tags {
		seen[tag] = b.traceparent(t, tag)
		require.Equal(t, "01", seen[tag][2], "AlwaysOn samples every request")
		traceIDs = append(traceIDs, seen[tag][0])
	}
	spans := waitSpans(t, receiver, traceIDs...)
	for _, tag := range tags {
		s := spans[seen[tag][0]]
		require.Equal(t, seen[tag][1], s.SpanID, "the backend's parent is the server span")
		require.Equal(t, tracepb.Span_SPAN_KIND_SERVER, s.Kind)
		require.Equal(t, "edge", s.Service)
		require.False(t, s.End.Before(s.Start))
		require.WithinDuration(t, time.Now(), s.End, time.Minute)
		require.Equal(t, "127.0.0.1:"+strconv.Itoa(b.port), s.Attributes["ingress.upstream_address"])
		require.Equal(t, "200", s.Attributes["http.response.status_code"])
		require.Equal(t, "GET", s.Attributes["http.request.method"])
		require.Equal(t, "web", s.Attributes["ingress.service_name"])
		require.Equal(t, "default", s.Attributes["ingress.namespace"])
	}
	open := spans[seen["open0"][0]]
	require.Equal(t, "GET /app", open.Name, "the route, not the URI")
	require.Equal(t, "/app", open.Attributes["http.route"])
	require.Equal(t, "open.example.com", open.Attributes["server.address"])
	require.Equal(t, "open", open.Attributes["ingress.name"])
	require.Empty(t, open.ParentSpanID)
	require.Empty(t, spans[untrusted[0]].ParentSpanID, "a new trace")
	require.Equal(t, clientParent, spans[clientTrace].ParentSpanID, "the client's span is the parent")
	require.Equal(t, "trusting", spans[clientTrace].Attributes["ingress.name"])
	require.Equal(t, "/", spans[clientTrace].Attributes["http.route"])
}

// TestTracingSamplerOff: with AlwaysOff, the backend is told "not
// sampled" and no span is exported, but for a trusted client's sampled
// trace (parent-based); tracing is on only for the Ingress whose
// annotation turns it on.
func TestTracingSamplerOff(t *testing.T) {
	b, receiver := newTraceBackend(t), testutil.NewOTLPReceiver(t)
	p := startTracing(t, b, receiver, `  otel-sampler: AlwaysOff
  opentelemetry-trust-incoming-span: "true"`,
		tracedIngress("traced", "traced.example.com", "/", `nginx.ingress.kubernetes.io/enable-opentelemetry: "true"`)+
			tracedIngress("plain", "plain.example.com", "/", ""))

	for i := range 5 {
		sendTagged(t, p, "traced.example.com", "/", "off"+strconv.Itoa(i))
		require.Equal(t, "00", b.traceparent(t, "off"+strconv.Itoa(i))[2])
	}
	sendTagged(t, p, "traced.example.com", "/", "unsampled", "traceparent", "00-"+clientTrace+"-"+clientParent+"-00")
	require.Equal(t, []string{clientTrace, b.traceparent(t, "unsampled")[1], "00"}, b.traceparent(t, "unsampled"))
	sendTagged(t, p, "plain.example.com", "/", "plain")
	require.Nil(t, b.traceparent(t, "plain"), "the ConfigMap leaves tracing off")

	const sampledTrace = "0af7651916cd43dd8448eb211c80319c"
	sendTagged(t, p, "traced.example.com", "/", "sampled", "traceparent", "00-"+sampledTrace+"-"+clientParent+"-01")
	require.Equal(t, "01", b.traceparent(t, "sampled")[2], "parent-based: the client's decision")
	spans := waitSpans(t, receiver, sampledTrace)
	require.Equal(t, clientParent, spans[sampledTrace].ParentSpanID)
}

// TestTracingRatioConsistent: with TraceIdRatioBased, the flag nginx
// passes to the backend is the OpenTelemetry Go SDK's decision for the
// trace id, down to the last bit of the bound, and the spans exported are
// exactly those of the sampled requests.
func TestTracingRatioConsistent(t *testing.T) {
	ratio := 0.3
	b, receiver := newTraceBackend(t), testutil.NewOTLPReceiver(t)
	p := startTracing(t, b, receiver, `  enable-opentelemetry: "true"
  otel-sampler: TraceIdRatioBased
  otel-sampler-ratio: "0.3"
  otel-sampler-parent-based: "false"
  opentelemetry-trust-incoming-span: "true"`,
		tracedIngress("app", "app.example.com", "/", ""))

	// Trusted trace ids at the sampler's bound: the client's sampled flag
	// does not decide, since the sampler is not parent-based.
	bound := uint64(ratio * (1 << 63)) // the SDK's

	var tags []string
	for i, low := range []uint64{2*bound - 2, 2*bound - 1, 2 * bound, 2*bound + 1, 0, 1<<64 - 1} {
		id := make([]byte, 16)
		id[0] = byte(i + 1)
		binary.BigEndian.PutUint64(id[8:], low)
		tag := "edge" + strconv.Itoa(i)
		sendTagged(t, p, "app.example.com", "/", tag, "traceparent", "00-"+hex.EncodeToString(id)+"-"+clientParent+"-01")
		tags = append(tags, tag)
	}
	for i := range 40 {
		tag := "random" + strconv.Itoa(i)
		sendTagged(t, p, "app.example.com", "/", tag)
		tags = append(tags, tag)
	}

	sdkSampler := sdktrace.TraceIDRatioBased(ratio)
	var sampled []string
	for _, tag := range tags {
		tp := b.traceparent(t, tag)
		id, err := trace.TraceIDFromHex(tp[0])
		require.NoError(t, err)
		want := sdkSampler.ShouldSample(sdktrace.SamplingParameters{TraceID: id}).Decision == sdktrace.RecordAndSample
		require.Equal(t, want, tp[2] == "01", "%s: trace %s", tag, tp[0])
		if want {
			sampled = append(sampled, tp[0])
		}
	}
	require.True(t, slices.Contains(sampled, b.traceparent(t, "edge1")[0]) && !slices.Contains(sampled, b.traceparent(t, "edge2")[0]),
		"the bound itself is not sampled, the id below it is")
	waitSpans(t, receiver, sampled...)
}
