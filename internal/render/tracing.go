package render

import (
	"fmt"

	"github.com/archway-ingress/archway/internal/model"
)

// Tracing (templates/lua/archway/tracing.lua): a location that traces sets
// $archway_trace to traceOn or traceTrust, and the Lua module, which reads
// the sampler from $archway_trace_sampler, does the rest; the per-request
// record carries the trace to archway's exporter.
const (
	traceOn    = "on"
	traceTrust = "trust"
)

// traceSampler returns $archway_trace_sampler, quoted: the bound below
// which TraceIDRatioBased samples a trace, uint64(ratio * 2^63) as the
// OpenTelemetry Go SDK computes it, split into its high 32 and low 31 bits
// (Lua's numbers are doubles), and 1 when a trusted parent's sampled flag
// decides, else 0.
func traceSampler(t model.Tracing) (string, error) {
	var bound uint64
	switch t.Sampler {
	case model.SamplerAlwaysOn:
		bound = 1 << 63
	case model.SamplerAlwaysOff, "": // "": the zero Settings
	case model.SamplerTraceRatio:
		bound = RatioBound(t.Ratio)
	default:
		return "", fmt.Errorf("unknown sampler %q", t.Sampler)
	}
	parent := 0
	if t.ParentBased {
		parent = 1
	}
	return fmt.Sprintf(`"%d %d %d"`, bound>>31, bound&(1<<31-1), parent), nil
}

// RatioBound is the OpenTelemetry Go SDK's TraceIDRatioBased bound for
// ratio: a trace is sampled when the last 8 bytes of its id, shifted right
// by one, are below it.
func RatioBound(ratio float64) uint64 {
	switch {
	case ratio >= 1:
		return 1 << 63
	case ratio <= 0:
		return 0
	}
	return uint64(ratio * (1 << 63))
}

// traceView sets the location's $archway_trace.
func traceView(v *policyView, l model.Location) error {
	switch t := l.Policy.Trace; {
	case t == nil:
	case t.TrustIncoming:
		v.Trace = traceTrust
	default:
		v.Trace = traceOn
	}
	return nil
}
