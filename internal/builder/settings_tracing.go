package builder

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
)

// tracingSettings are the ConfigMap keys of OpenTelemetry tracing (see
// model.Tracing), with ingress-nginx's names and defaults but two:
// archway exports over OTLP/HTTP, whose port is 4318 (ingress-nginx's
// 4317 is OTLP/gRPC's), and it trusts no client's traceparent unless
// told to.
func tracingSettings() []SettingSpec {
	const g = "Tracing (OpenTelemetry)"
	tr := func(s *model.Settings) *model.Tracing { return &s.Tracing }
	return []SettingSpec{
		{Key: "enable-opentelemetry", Group: g, Scope: ScopeLocationDefault, Syntax: boolSyntax, Default: "false",
			Doc: "Trace every Ingress's requests (the README's Tracing); an Ingress's `enable-opentelemetry` annotation overrides it.",
			set: parseInto(grammar.Bool, func(s *model.Settings) *bool { return &tr(s).Enable })},
		{Key: "otlp-collector-host", Group: g, Scope: ScopeGlobal, Syntax: "a lowercase DNS name or an IP address",
			Doc: "The OpenTelemetry collector; without one no span is exported (backends still get the traceparent).",
			set: parseInto(collectorHost, func(s *model.Settings) *string { return &tr(s).CollectorHost })},
		{Key: "otlp-collector-port", Group: g, Scope: ScopeGlobal, Syntax: "a port, 1 to 65535", Default: "4318",
			Doc: "Its OTLP/HTTP port (plain HTTP, `/v1/traces`); ingress-nginx's `4317` is OTLP/gRPC, which archway does not speak.",
			set: parseInto(grammar.IntRange(1, 65535), func(s *model.Settings) *int { return &tr(s).CollectorPort })},
		{Key: "otel-service-name", Group: g, Scope: ScopeGlobal, Syntax: "1 to 128 letters, digits and `-_.:/`", Default: "nginx",
			Doc: "The spans' `service.name`.",
			set: parseInto(serviceName, func(s *model.Settings) *string { return &tr(s).ServiceName })},
		{Key: "otel-sampler", Group: g, Scope: ScopeGlobal, Syntax: "`AlwaysOn`, `AlwaysOff` or `TraceIdRatioBased`", Default: string(model.SamplerAlwaysOn),
			Doc: "Which new traces are sampled: nginx tells the backend, and archway exports the spans of those alone.",
			set: parseInto(grammar.OneOf(model.SamplerAlwaysOn, model.SamplerAlwaysOff, model.SamplerTraceRatio),
				func(s *model.Settings) *model.Sampler { return &tr(s).Sampler })},
		{Key: "otel-sampler-ratio", Group: g, Scope: ScopeGlobal, Syntax: "a decimal from 0 to 1 (`0.25`)", Default: "0.01",
			Doc: "The share of traces `TraceIdRatioBased` samples, by trace id as the OpenTelemetry SDKs do.",
			set: parseInto(ratio, func(s *model.Settings) *float64 { return &tr(s).Ratio })},
		{Key: "otel-sampler-parent-based", Group: g, Scope: ScopeGlobal, Syntax: boolSyntax, Default: "true",
			Doc: "A trusted client's sampled flag decides for its trace; the sampler decides for the others.",
			set: parseInto(grammar.Bool, func(s *model.Settings) *bool { return &tr(s).ParentBased })},
		{Key: "opentelemetry-trust-incoming-span", Group: g, Scope: ScopeLocationDefault, Syntax: boolSyntax, Default: "false",
			Doc: "Continue a client's `traceparent` (ingress-nginx trusts by default: anyone could then choose archway's trace ids and force sampling); an Ingress's annotation overrides it.",
			set: parseInto(grammar.Bool, func(s *model.Settings) *bool { return &tr(s).TrustIncoming })},
		{Key: "otel-schedule-delay-millis", Group: g, Scope: ScopeGlobal, Syntax: "milliseconds, 1 to 60000", Default: "5000",
			Doc: "How long spans are batched before export.",
			set: parseInto(millis, func(s *model.Settings) *time.Duration { return &tr(s).ExportDelay })},
	}
}

// collectorHost accepts "" (no export), a lowercase DNS name or an IP
// address.
func collectorHost(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return a.String(), nil
	}
	if _, err := grammar.DNSName(s); err != nil {
		return "", errors.New("want a lowercase DNS name or an IP address")
	}
	return s, nil
}

// serviceName accepts an OpenTelemetry service.name of letters, digits and
// "-_.:/".
func serviceName(s string) (string, error) {
	return s, grammar.OnlyChars(s, "-_.:/", 128)
}

// ratio accepts a decimal from 0 to 1 ("0.25", "1"; ".5" is refused).
func ratio(s string) (float64, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if (whole != "0" && whole != "1") || len(frac) > 17 || strings.Trim(frac, "0123456789") != "" {
		return 0, errors.New("want a decimal from 0 to 1, such as 0.25")
	}
	r, err := strconv.ParseFloat(s, 64)
	if err != nil || r > 1 {
		return 0, errors.New("want a decimal from 0 to 1, such as 0.25")
	}
	return r, nil
}

// millis accepts ingress-nginx's otel-schedule-delay-millis: milliseconds
// from 1 to a minute.
func millis(s string) (time.Duration, error) {
	n, err := grammar.IntRange(1, 60000)(s)
	return time.Duration(n) * time.Millisecond, err
}
