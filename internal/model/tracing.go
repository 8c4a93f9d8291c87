package model

import "time"

// Tracing is the OpenTelemetry tracing of the ConfigMap. nginx (Lua)
// starts or continues a W3C traceparent on the locations that trace and
// passes it to the backend; archway exports one server span per sampled
// request to the collector over OTLP/HTTP.
type Tracing struct {
	// Enable traces every Ingress's locations unless its annotation says
	// otherwise (enable-opentelemetry).
	Enable bool
	// CollectorHost (a DNS name or an IP address) and CollectorPort are
	// the OTLP/HTTP collector; no host exports no span.
	CollectorHost string
	CollectorPort int
	ServiceName   string
	Sampler       Sampler
	// Ratio is the share of traces TraceIdRatioBased samples, 0 to 1.
	Ratio float64
	// ParentBased follows the sampled flag of a trusted incoming
	// traceparent; the Sampler decides for new traces only.
	ParentBased bool
	// TrustIncoming continues a client's traceparent by default
	// (opentelemetry-trust-incoming-span).
	TrustIncoming bool
	// ExportDelay is how long spans are batched before export.
	ExportDelay time.Duration
}

// Sampler is ingress-nginx's otel-sampler.
type Sampler string

// The samplers.
const (
	SamplerAlwaysOn   Sampler = "AlwaysOn"
	SamplerAlwaysOff  Sampler = "AlwaysOff"
	SamplerTraceRatio Sampler = "TraceIdRatioBased"
)

// Trace is what a location does with trace context: every request gets a
// server span id and a traceparent to the backend, which continues the
// client's trace only when TrustIncoming.
type Trace struct {
	TrustIncoming bool
}
