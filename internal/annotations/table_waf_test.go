package annotations

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

func init() {
	waf := func(p Parsed) *WAF { return &p.Location.WAF }
	for key, c := range map[string]annotationCase{
		"enable-modsecurity": {
			valid:   map[string]any{"true": on(true), "false": on(false)},
			invalid: []string{"on", "yes", ""},
			get:     func(p Parsed) any { return waf(p).Enable },
		},
		"enable-owasp-core-rules": {
			valid:   map[string]any{"true": on(true), "FALSE": on(false)},
			invalid: []string{"yes", "crs"},
			get:     func(p Parsed) any { return waf(p).CoreRules },
		},
		"modsecurity-transaction-id": {
			valid: map[string]any{
				"$request_id":        model.Template{variable("request_id")},
				"app-1.${msec}:$pid": model.Template{text("app-1."), variable("msec"), text(":"), variable("pid")},
			},
			invalid: []string{"$http_x_request_id", "$remote_addr", "a/b", "a b", `a"b`, "$", strings.Repeat("a", 129)},
			get:     func(p Parsed) any { return waf(p).TransactionID },
		},
		OwnPrefix + "/modsecurity-mode": {
			valid:   map[string]any{"On": model.WAFOn, "DetectionOnly": model.WAFDetectionOnly},
			invalid: []string{"on", "Off", "detectiononly", "On DetectionOnly", ""},
			get:     func(p Parsed) any { return waf(p).Mode },
		},
		OwnPrefix + "/modsecurity-paranoia-level": {
			valid:   map[string]any{"1": 1, "4": 4},
			invalid: []string{"0", "5", "01", "two", "-1"},
			get:     func(p Parsed) any { return waf(p).Paranoia },
		},
		OwnPrefix + "/modsecurity-inbound-anomaly-threshold": {
			valid:   map[string]any{"1": 1, "10000": 10000},
			invalid: []string{"0", "10001", "5.5"},
			get:     func(p Parsed) any { return waf(p).InboundThreshold },
		},
		OwnPrefix + "/modsecurity-outbound-anomaly-threshold": {
			valid:   map[string]any{"4": 4},
			invalid: []string{"0", "x"},
			get:     func(p Parsed) any { return waf(p).OutboundThreshold },
		},
		OwnPrefix + "/modsecurity-exclude-rule-ids": {
			valid: map[string]any{
				"942100":                  []model.RuleIDRange{{First: 942100, Last: 942100}},
				"942100, 920000-920999,1": []model.RuleIDRange{{First: 942100, Last: 942100}, {First: 920000, Last: 920999}, {First: 1, Last: 1}},
				"9999999":                 []model.RuleIDRange{{First: 9999999, Last: 9999999}},
			},
			invalid: []string{"0", "10000000", "942100-1", "a", "942100,", "0942100", "1-2-3", "942100 942101",
				"1" + strings.Repeat(",1", 256)},
			get: func(p Parsed) any { return waf(p).ExcludeIDs },
		},
		OwnPrefix + "/modsecurity-exclude-rule-tags": {
			valid: map[string]any{
				"attack-sqli":                            []string{"attack-sqli"},
				"paranoia-level/2, OWASP_CRS/WEB_ATTACK": []string{"paranoia-level/2", "OWASP_CRS/WEB_ATTACK"},
			},
			invalid: []string{"attack sqli", "a,", `a"b`, "a'b", "a|b", strings.Repeat("t", 129)},
			get:     func(p Parsed) any { return waf(p).ExcludeTags },
		},
	} {
		annotationCases[key] = c
	}
}

// Fixes the old behaviour: keys under archway's own prefix were ignored,
// so a typo there silently left the WAF as it was.
func TestOwnPrefix(t *testing.T) {
	p, problems := Parse(map[string]string{OwnPrefix + "/modsecurity-mode": "On", prefix + "/enable-modsecurity": "true"}, prefix)
	require.Empty(t, problems)
	require.Equal(t, model.WAFOn, p.Location.WAF.Mode)
	require.True(t, p.Location.WAF.IsSet())

	// archway's own keys are not read under the ingress-nginx prefix, and
	// unknown keys under archway's are reported.
	_, problems = Parse(map[string]string{prefix + "/modsecurity-mode": "On", OwnPrefix + "/modsecurity-mod": "On"}, prefix)
	require.Len(t, problems, 2)
	for _, p := range problems {
		require.Equal(t, reason.UnsupportedAnnotation, p.Reason, p.Key)
	}

	// With archway's prefix for every key, both kinds read.
	p, problems = Parse(map[string]string{OwnPrefix + "/modsecurity-mode": "On", OwnPrefix + "/enable-modsecurity": "true"}, OwnPrefix)
	require.Empty(t, problems)
	require.Equal(t, model.WAFOn, p.Location.WAF.Mode)
	require.Equal(t, on(true), p.Location.WAF.Enable)

	// modsecurity-snippet stays refused.
	_, problems = Parse(map[string]string{prefix + "/modsecurity-snippet": "SecRuleEngine Off"}, prefix)
	require.Equal(t, reason.SnippetRefused, problems[0].Reason)
}
