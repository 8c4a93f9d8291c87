package annotations

import (
	"errors"
	"reflect"

	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
)

// OwnPrefix is the prefix of archway's own annotations: keys that
// ingress-nginx never had. Their Spec.Key is the whole key, so they read
// the same whatever --annotations-prefix says.
const OwnPrefix = "archway.dev"

// WAF holds the ModSecurity annotations. Unset values (nil, zero) take the
// ConfigMap's: package builder merges the two.
type WAF struct {
	Enable, CoreRules *bool
	TransactionID     model.Template
	Mode              model.WAFMode
	// Paranoia and the thresholds are 0 when unset.
	Paranoia, InboundThreshold, OutboundThreshold int
	ExcludeIDs                                    []model.RuleIDRange
	ExcludeTags                                   []string
}

// IsSet reports whether the Ingress set any ModSecurity annotation.
func (w WAF) IsSet() bool { return !reflect.ValueOf(w).IsZero() }

// transactionIDVars are the variables a transaction ID may use: none can
// hold what a client sends.
var transactionIDVars = wordSet("request_id", "msec", "connection", "connection_requests", "pid")

const maxTransactionID = 128

func wafSpecs() []Spec {
	const g = "Web application firewall (ModSecurity)"
	waf := func(p *Parsed) *WAF { return &p.Location.WAF }
	flag := func(f func(*WAF) **bool) func(string, *Parsed) error {
		return set(grammar.Bool, func(p *Parsed, v bool) { *f(waf(p)) = &v })
	}
	threshold := grammar.IntRange(1, model.MaxAnomalyThreshold)
	return []Spec{
		{Key: "enable-modsecurity", Group: g, Scope: ScopeLocation, Syntax: boolSyntax, Default: "the ConfigMap's `enable-modsecurity`",
			Doc:   "Runs ModSecurity on the Ingress's paths (`false` turns off what the ConfigMap turned on). Without `archway.dev/modsecurity-mode: On` it only logs, as in ingress-nginx.",
			apply: flag(func(w *WAF) **bool { return &w.Enable })},
		{Key: "enable-owasp-core-rules", Group: g, Scope: ScopeLocation, Syntax: boolSyntax, Default: "the ConfigMap's `enable-owasp-modsecurity-crs`",
			Doc:   "Adds the OWASP Core Rule Set (Debian's modsecurity-crs) where ModSecurity runs.",
			apply: flag(func(w *WAF) **bool { return &w.CoreRules })},
		{Key: "modsecurity-transaction-id", Group: g, Scope: ScopeLocation,
			Syntax: "letters, digits and `-._:`, with `$request_id`, `$msec`, `$connection`, `$connection_requests`, `$pid`; at most 128 bytes", Default: "`$request_id`",
			Doc: "The end of the transaction ID in the audit log, after the `namespace/ingress/` that archway puts first.",
			apply: set(func(s string) (model.Template, error) {
				if len(s) > maxTransactionID {
					return nil, errors.New("want at most 128 characters")
				}
				return parseTemplate(s, transactionIDVars, "-._:")
			}, func(p *Parsed, v model.Template) { waf(p).TransactionID = v })},
		{Key: OwnPrefix + "/modsecurity-mode", Group: g, Scope: ScopeLocation, Syntax: "`On` or `DetectionOnly`", Default: "the ConfigMap's `modsecurity-mode` (`DetectionOnly`)",
			Doc:   "`On` answers 403 to the requests the rules refuse; `DetectionOnly` logs them and lets them through. Replaces `SecRuleEngine` in a modsecurity-snippet.",
			apply: set(model.ParseWAFMode, func(p *Parsed, v model.WAFMode) { waf(p).Mode = v })},
		{Key: OwnPrefix + "/modsecurity-paranoia-level", Group: g, Scope: ScopeLocation, Syntax: "1 to 4", Default: "the ConfigMap's (`1`)",
			Doc:   "The CRS paranoia level: higher levels run more rules and refuse more legitimate requests.",
			apply: set(grammar.IntRange(1, model.MaxParanoia), func(p *Parsed, v int) { waf(p).Paranoia = v })},
		{Key: OwnPrefix + "/modsecurity-inbound-anomaly-threshold", Group: g, Scope: ScopeLocation, Syntax: "1 to 10000", Default: "the ConfigMap's (`5`)",
			Doc:   "The CRS anomaly score from which a request is refused (a critical rule scores 5).",
			apply: set(threshold, func(p *Parsed, v int) { waf(p).InboundThreshold = v })},
		{Key: OwnPrefix + "/modsecurity-outbound-anomaly-threshold", Group: g, Scope: ScopeLocation, Syntax: "1 to 10000", Default: "the ConfigMap's (`4`)",
			Doc:   "The CRS anomaly score from which a response is refused.",
			apply: set(threshold, func(p *Parsed, v int) { waf(p).OutboundThreshold = v })},
		{Key: OwnPrefix + "/modsecurity-exclude-rule-ids", Group: g, Scope: ScopeLocation,
			Syntax: "comma-separated rule IDs and ranges (`942100, 920000-920999`), at most 256",
			Doc:    "Rules that do not run on the Ingress's paths, besides the ConfigMap's (`SecRuleRemoveById`).",
			apply:  set(model.ParseRuleIDs, func(p *Parsed, v []model.RuleIDRange) { waf(p).ExcludeIDs = v })},
		{Key: OwnPrefix + "/modsecurity-exclude-rule-tags", Group: g, Scope: ScopeLocation,
			Syntax: "comma-separated rule tags of letters, digits and `-_./` (`attack-xss, paranoia-level/2`), at most 256",
			Doc:    "Rules with these tags do not run on the Ingress's paths, besides the ConfigMap's (`SecRuleRemoveByTag`).",
			apply:  set(model.ParseRuleTags, func(p *Parsed, v []string) { waf(p).ExcludeTags = v })},
	}
}
