package tracing

import (
	"context"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/archway-ingress/archway/internal/accesslog"
	"github.com/archway-ingress/archway/internal/model"
)

// Exporter exports the spans it records while a collector is configured;
// the zero Exporter drops them. It is safe for concurrent use.
type Exporter struct {
	Logger *slog.Logger

	mu       sync.Mutex // serializes Configure
	settings pipelineSettings
	current  atomic.Pointer[pipeline]
}

// pipelineSettings are the parts of model.Tracing that make a pipeline.
type pipelineSettings struct {
	endpoint, service string
	sampler           model.Sampler
	ratio             float64
	parentBased       bool
	delay             time.Duration
}

// pipeline is one collector's tracer.
type pipeline struct {
	provider *sdktrace.TracerProvider
	tracer   trace.Tracer
}

// shutdownTimeout bounds the export of a replaced pipeline's last spans.
const shutdownTimeout = 10 * time.Second

// Configure follows the live config: another collector, service name,
// sampler or export delay replaces the pipeline, whose queued spans are
// exported in the background; no collector host drops spans from now on.
func (e *Exporter) Configure(t model.Tracing) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := pipelineSettings{service: t.ServiceName, sampler: t.Sampler, ratio: t.Ratio, parentBased: t.ParentBased, delay: t.ExportDelay}
	if t.CollectorHost != "" {
		s.endpoint = net.JoinHostPort(t.CollectorHost, strconv.Itoa(t.CollectorPort))
	}
	if s == e.settings {
		return
	}
	e.settings = s
	var next *pipeline
	if s.endpoint != "" {
		next = newPipeline(s)
	}
	if old := e.current.Swap(next); old != nil {
		go func() { _ = old.shutdown() }()
	}
	if e.Logger != nil {
		e.Logger.Info("tracing configured", "collector", s.endpoint, "service", s.service, "sampler", s.sampler,
			"ratio", s.ratio, "parent_based", s.parentBased)
	}
}

// Shutdown exports the queued spans and stops exporting.
func (e *Exporter) Shutdown() error {
	if p := e.current.Swap(nil); p != nil {
		return p.shutdown()
	}
	return nil
}

func (p *pipeline) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	return p.provider.Shutdown(ctx)
}

func newPipeline(s pipelineSettings) *pipeline {
	// New only fails on options it does not know; it connects lazily.
	exporter, _ := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpoint(s.endpoint), otlptracehttp.WithInsecure())
	provider := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exporter, sdktrace.WithBatchTimeout(s.delay)),
		sdktrace.WithResource(resource.NewWithAttributes(semconv.SchemaURL, semconv.ServiceName(s.service))),
		sdktrace.WithSampler(sampler(s)),
		sdktrace.WithIDGenerator(recordIDs{}),
	)
	return &pipeline{provider: provider, tracer: provider.Tracer("github.com/archway-ingress/archway")}
}

// sampler is the configured sampler, which templates/lua/archway/tracing.lua
// mirrors.
func sampler(s pipelineSettings) sdktrace.Sampler {
	var root sdktrace.Sampler
	switch s.sampler {
	case model.SamplerAlwaysOn:
		root = sdktrace.AlwaysSample()
	case model.SamplerTraceRatio:
		root = sdktrace.TraceIDRatioBased(s.ratio)
	default:
		root = sdktrace.NeverSample()
	}
	if s.parentBased {
		return sdktrace.ParentBased(root)
	}
	return root
}

// RecordSpan starts and ends the request's span with its ids and times;
// the SDK's sampler decides whether it is exported.
func (e *Exporter) RecordSpan(s accesslog.Span) {
	p := e.current.Load()
	if p == nil {
		return
	}
	ctx := context.WithValue(context.Background(), idsKey{}, recordedIDs{trace: s.TraceID, span: s.SpanID})
	if s.Parent != [8]byte{} {
		var flags trace.TraceFlags
		if s.Sampled {
			flags = trace.FlagsSampled // the client's flag, where it decides
		}
		ctx = trace.ContextWithRemoteSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: s.TraceID, SpanID: s.Parent, TraceFlags: flags, Remote: true}))
	}
	// The semantic conventions' name: "{method} {route}", "HTTP" for an
	// unknown method.
	name := s.Request.Method
	if name == "OTHER" {
		name = "HTTP"
	}
	if s.Request.Path != "" {
		name += " " + s.Request.Path
	}
	_, span := p.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(s.Start))
	if sampled := span.SpanContext().IsSampled(); sampled != s.Sampled && e.Logger != nil {
		// Only while nginx and archway switch to a new sampler.
		e.Logger.Debug("sampling decisions differ", "trace_id", span.SpanContext().TraceID(), "nginx", s.Sampled, "archway", sampled)
	}
	if span.IsRecording() {
		span.SetAttributes(attributes(s)...)
		if s.Status() >= 500 {
			span.SetStatus(codes.Error, "")
		}
	}
	span.End(trace.WithTimestamp(s.End))
}

// attributes are the span's: OpenTelemetry's HTTP server attributes,
// ingress-nginx's Ingress attributes, and the endpoints tried.
func attributes(s accesslog.Span) []attribute.KeyValue {
	r := s.Request
	method := r.Method
	if method == "OTHER" {
		method = "_OTHER" // the semantic conventions' word for it
	}
	attrs := []attribute.KeyValue{
		semconv.HTTPRequestMethodKey.String(method),
		semconv.HTTPResponseStatusCode(s.Status()),
		semconv.ServerAddress(r.Host),
	}
	if r.Path != "" {
		attrs = append(attrs, semconv.HTTPRoute(r.Path))
	}
	if r.Ingress != "" {
		attrs = append(attrs, attribute.String("ingress.namespace", r.Namespace), attribute.String("ingress.name", r.Ingress),
			attribute.String("ingress.service_name", r.Service))
	}
	if s.Upstream != "" {
		attrs = append(attrs, attribute.String("ingress.upstream_address", s.Upstream))
	}
	return attrs
}

// idsKey is the context key of the ids of the span being started.
type idsKey struct{}

type recordedIDs struct {
	trace trace.TraceID
	span  trace.SpanID
}

// recordIDs is the SDK's IDGenerator for spans whose ids nginx chose:
// they come with the context RecordSpan starts the span with.
type recordIDs struct{}

func (recordIDs) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	ids, _ := ctx.Value(idsKey{}).(recordedIDs)
	return ids.trace, ids.span
}

func (recordIDs) NewSpanID(ctx context.Context, _ trace.TraceID) trace.SpanID {
	ids, _ := ctx.Value(idsKey{}).(recordedIDs)
	return ids.span
}
