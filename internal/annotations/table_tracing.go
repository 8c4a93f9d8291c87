package annotations

import (
	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
)

// Tracing holds the OpenTelemetry annotations; nil values leave the
// ConfigMap's.
type Tracing struct {
	Enable, TrustIncoming *bool
}

func tracingSpecs() []Spec {
	const g = "Tracing (OpenTelemetry)"
	flag := func(f func(*Tracing) **bool) func(string, *Parsed) error {
		return set(grammar.Bool, func(p *Parsed, v bool) { *f(&p.Location.Tracing) = &v })
	}
	return []Spec{
		{Key: "enable-opentelemetry", Group: g, Scope: ScopeLocation, Syntax: boolSyntax, Default: "the ConfigMap's (`false`)",
			Doc:   "Traces the Ingress's requests: a W3C `traceparent` to the backend, and a server span per sampled request to the ConfigMap's collector (`false` turns off what the ConfigMap turned on).",
			apply: flag(func(t *Tracing) **bool { return &t.Enable })},
		{Key: "opentelemetry-trust-incoming-span", Group: g, Scope: ScopeLocation, Syntax: boolSyntax, Default: "the ConfigMap's (`false`)",
			Doc:   "Continues the trace of a client's `traceparent` on the Ingress's paths; otherwise every request starts a new trace. ingress-nginx trusts by default.",
			apply: flag(func(t *Tracing) **bool { return &t.TrustIncoming })},
	}
}

// Trace returns the trace context of the Ingress's locations under the
// ConfigMap's defaults; nil when it does not trace.
func (t Tracing) Trace(defaults model.Tracing) *model.Trace {
	enable, trust := defaults.Enable, defaults.TrustIncoming
	if t.Enable != nil {
		enable = *t.Enable
	}
	if t.TrustIncoming != nil {
		trust = *t.TrustIncoming
	}
	if !enable {
		return nil
	}
	return &model.Trace{TrustIncoming: trust}
}
