// Package tracing exports OpenTelemetry server spans of the requests that
// nginx traced.
//
// In: the spans of the per-request records (package accesslog: trace id,
// span id, parent span id, sampled flag, timings, route, host, method,
// status, upstream address, Ingress), and the live config's
// model.Tracing (Configure).
// Out: one SERVER span per sampled request, exported over OTLP/HTTP with
// the OpenTelemetry Go SDK to the configured collector.
// Invariants: a span keeps the ids nginx gave the request and sent the
// backend in traceparent: the SDK draws them from the record (an
// IDGenerator reading the request's context), and its parent is the
// client's span when nginx continued a trusted traceparent. The SDK's
// sampler is the configured one, which nginx's Lua (tracing.lua) mirrors
// exactly, so that the spans exported are those whose traceparent told
// the backend "sampled". Export never blocks the records: the SDK's batch
// queue drops spans when the collector cannot keep up.
package tracing
