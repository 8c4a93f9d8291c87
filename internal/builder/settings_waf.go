package builder

import (
	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
)

// wafSettings are the ConfigMap keys of ModSecurity (see model.WAFSettings):
// ingress-nginx's two, and archway's typed replacements for what its
// modsecurity-snippet was used for.
func wafSettings() []setting {
	waf := func(s *model.Settings) *model.WAFSettings { return &s.WAF }
	return []setting{
		{key: "enable-modsecurity", def: "false", set: parseInto(grammar.Bool, func(s *model.Settings) *bool { return &waf(s).Enable })},
		{key: "enable-owasp-modsecurity-crs", def: "false", set: parseInto(grammar.Bool, func(s *model.Settings) *bool { return &waf(s).CoreRules })},
		{key: "modsecurity-mode", def: string(model.WAFDetectionOnly), set: parseInto(model.ParseWAFMode, func(s *model.Settings) *model.WAFMode { return &waf(s).Mode })},
		{key: "modsecurity-paranoia-level", def: "1", set: parseInto(grammar.IntRange(1, model.MaxParanoia), func(s *model.Settings) *int { return &waf(s).Paranoia })},
		{key: "modsecurity-inbound-anomaly-threshold", def: "5", set: parseInto(grammar.IntRange(1, model.MaxAnomalyThreshold), func(s *model.Settings) *int { return &waf(s).InboundThreshold })},
		{key: "modsecurity-outbound-anomaly-threshold", def: "4", set: parseInto(grammar.IntRange(1, model.MaxAnomalyThreshold), func(s *model.Settings) *int { return &waf(s).OutboundThreshold })},
		{key: "modsecurity-exclude-rule-ids", def: "", set: parseInto(orNone(model.ParseRuleIDs), func(s *model.Settings) *[]model.RuleIDRange { return &waf(s).ExcludeIDs })},
		{key: "modsecurity-exclude-rule-tags", def: "", set: parseInto(orNone(model.ParseRuleTags), func(s *model.Settings) *[]string { return &waf(s).ExcludeTags })},
	}
}

// orNone lets a list parser take "" for an empty list.
func orNone[T any](parse func(string) ([]T, error)) func(string) ([]T, error) {
	return func(s string) ([]T, error) {
		if s == "" {
			return nil, nil
		}
		return parse(s)
	}
}
