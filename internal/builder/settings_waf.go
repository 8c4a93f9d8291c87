package builder

import (
	"fmt"

	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
)

// wafSettings are the ConfigMap keys of ModSecurity (see model.WAFSettings):
// ingress-nginx's two, and archway's typed replacements for what its
// modsecurity-snippet was used for.
func wafSettings() []SettingSpec {
	const g = "Web application firewall"
	waf := func(s *model.Settings) *model.WAFSettings { return &s.WAF }
	threshold := fmt.Sprintf("a number from 1 to %d", model.MaxAnomalyThreshold)
	return []SettingSpec{
		{Key: "enable-modsecurity", Group: g, Scope: ScopeLocationDefault, Syntax: boolSyntax, Default: "false",
			Doc: "Run ModSecurity on every path (an Ingress's `enable-modsecurity: \"false\"` turns it off for its paths); see the README's Web application firewall.",
			set: parseInto(grammar.Bool, func(s *model.Settings) *bool { return &waf(s).Enable })},
		{Key: "enable-owasp-modsecurity-crs", Group: g, Scope: ScopeLocationDefault, Syntax: boolSyntax, Default: "false",
			Doc: "Add the OWASP Core Rule Set wherever ModSecurity runs.",
			set: parseInto(grammar.Bool, func(s *model.Settings) *bool { return &waf(s).CoreRules })},
		{Key: "modsecurity-mode", Group: g, Scope: ScopeLocationDefault, Syntax: "`On` or `DetectionOnly`", Default: string(model.WAFDetectionOnly),
			Doc: "`On` answers 403 to what the rules refuse; `DetectionOnly` only logs it (ingress-nginx's default, whose `modsecurity-snippet` set `SecRuleEngine On`).",
			set: parseInto(model.ParseWAFMode, func(s *model.Settings) *model.WAFMode { return &waf(s).Mode })},
		{Key: "modsecurity-paranoia-level", Group: g, Scope: ScopeLocationDefault, Syntax: fmt.Sprintf("a number from 1 to %d", model.MaxParanoia), Default: "1",
			Doc: "The CRS paranoia level.",
			set: parseInto(grammar.IntRange(1, model.MaxParanoia), func(s *model.Settings) *int { return &waf(s).Paranoia })},
		{Key: "modsecurity-inbound-anomaly-threshold", Group: g, Scope: ScopeLocationDefault, Syntax: threshold, Default: "5",
			Doc: "The CRS anomaly score from which a request is refused.",
			set: parseInto(grammar.IntRange(1, model.MaxAnomalyThreshold), func(s *model.Settings) *int { return &waf(s).InboundThreshold })},
		{Key: "modsecurity-outbound-anomaly-threshold", Group: g, Scope: ScopeLocationDefault, Syntax: threshold, Default: "4",
			Doc: "The same for responses.",
			set: parseInto(grammar.IntRange(1, model.MaxAnomalyThreshold), func(s *model.Settings) *int { return &waf(s).OutboundThreshold })},
		{Key: "modsecurity-exclude-rule-ids", Group: g, Scope: ScopeLocationDefault, Syntax: "comma-separated rule IDs and ranges (`920350, 942100-942199`)",
			Doc: "Rules that never run.",
			set: parseInto(orNone(model.ParseRuleIDs), func(s *model.Settings) *[]model.RuleIDRange { return &waf(s).ExcludeIDs })},
		{Key: "modsecurity-exclude-rule-tags", Group: g, Scope: ScopeLocationDefault, Syntax: "comma-separated rule tags (`attack-rce`)",
			Doc: "Rules with these tags never run.",
			set: parseInto(orNone(model.ParseRuleTags), func(s *model.Settings) *[]string { return &waf(s).ExcludeTags })},
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
