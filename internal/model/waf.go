package model

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// WAF is the ModSecurity policy of a location (enable-modsecurity and the
// keys that refine it). Every value is typed: package render turns it into
// ModSecurity directives of its own, never into text a user wrote.
type WAF struct {
	Mode WAFMode
	// CoreRules runs the OWASP Core Rule Set; without it only the base
	// rules (request body checks) run.
	CoreRules bool
	// Paranoia is the CRS paranoia level (1 to 4); 0 keeps the CRS's 1.
	Paranoia int
	// InboundThreshold and OutboundThreshold are the CRS anomaly score
	// thresholds (1 to MaxAnomalyThreshold); 0 keeps the CRS's 5 and 4.
	InboundThreshold, OutboundThreshold int
	// ExcludeIDs and ExcludeTags name rules that do not run here.
	ExcludeIDs  []RuleIDRange
	ExcludeTags []string
	// TransactionID ends the ModSecurity transaction ID, after the
	// "namespace/ingress/" that archway puts first; nil uses $request_id.
	TransactionID Template
}

// WAFMode is ModSecurity's SecRuleEngine: block, or only log.
type WAFMode string

// The modes.
const (
	WAFOn            WAFMode = "On"
	WAFDetectionOnly WAFMode = "DetectionOnly"
)

// WAFSettings are the ConfigMap's ModSecurity keys: the defaults of every
// location's WAF.
type WAFSettings struct {
	// Enable turns ModSecurity on everywhere (enable-modsecurity);
	// CoreRules adds the CRS wherever it is on.
	Enable, CoreRules bool
	// The rest is a WAF's refinement, used where an Ingress sets none.
	Mode                                WAFMode
	Paranoia                            int
	InboundThreshold, OutboundThreshold int
	ExcludeIDs                          []RuleIDRange
	ExcludeTags                         []string
}

// RuleIDRange is a range of ModSecurity rule IDs, First <= Last.
type RuleIDRange struct{ First, Last int }

// Limits of the typed WAF values.
const (
	MaxRuleID           = 9999999
	MaxParanoia         = 4
	MaxAnomalyThreshold = 10000
	maxRuleTag          = 128
	maxRuleExclusions   = 256
)

// ParseWAFMode reads "On" or "DetectionOnly", as ModSecurity spells them.
func ParseWAFMode(s string) (WAFMode, error) {
	if m := WAFMode(s); m == WAFOn || m == WAFDetectionOnly {
		return m, nil
	}
	return "", errors.New(`want "On" or "DetectionOnly"`)
}

// ParseRuleIDs reads a comma-separated list of rule IDs and ranges
// ("942100, 920000-920999").
func ParseRuleIDs(s string) ([]RuleIDRange, error) {
	return parseRuleList(s, func(item string) (RuleIDRange, error) {
		first, last, isRange := strings.Cut(item, "-")
		lo, err := ruleID(first)
		hi := lo
		if err == nil && isRange {
			hi, err = ruleID(last)
		}
		if err == nil && hi < lo {
			err = fmt.Errorf("range %s ends before it starts", item)
		}
		return RuleIDRange{First: lo, Last: hi}, err
	})
}

// ParseRuleTags reads a comma-separated list of rule tags ("attack-sqli",
// "paranoia-level/2").
func ParseRuleTags(s string) ([]string, error) {
	return parseRuleList(s, func(item string) (string, error) { return item, CheckRuleTag(item) })
}

func parseRuleList[T any](s string, item func(string) (T, error)) ([]T, error) {
	var out []T
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		v, err := item(part)
		if err != nil {
			return nil, err
		}
		if out = append(out, v); len(out) > maxRuleExclusions {
			return nil, fmt.Errorf("more than %d items", maxRuleExclusions)
		}
	}
	return out, nil
}

func ruleID(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxRuleID || s != strconv.Itoa(n) {
		return 0, fmt.Errorf("rule ID %q is not a number from 1 to %d", s, MaxRuleID)
	}
	return n, nil
}

// CheckRuleTag accepts the tags of the CRS's alphabet: letters, digits and
// "-_./", at most 128 bytes. Nothing else can reach a rule file.
func CheckRuleTag(tag string) error {
	if tag == "" || len(tag) > maxRuleTag || strings.ContainsFunc(tag, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("-_./", r))
	}) {
		return fmt.Errorf("rule tag %q is not 1 to %d letters, digits or -_./", tag, maxRuleTag)
	}
	return nil
}

// Check refuses what ModSecurity must never see: render checks again
// what build should have refused.
func (w *WAF) Check() error {
	if _, err := ParseWAFMode(string(w.Mode)); err != nil {
		return fmt.Errorf("WAF mode: %w", err)
	}
	if w.Paranoia < 0 || w.Paranoia > MaxParanoia {
		return fmt.Errorf("WAF paranoia level %d is not from 1 to %d", w.Paranoia, MaxParanoia)
	}
	for _, t := range []int{w.InboundThreshold, w.OutboundThreshold} {
		if t < 0 || t > MaxAnomalyThreshold {
			return fmt.Errorf("WAF anomaly threshold %d is not from 1 to %d", t, MaxAnomalyThreshold)
		}
	}
	for _, r := range w.ExcludeIDs {
		if r.First < 1 || r.Last > MaxRuleID || r.Last < r.First {
			return fmt.Errorf("WAF rule ID range %d-%d is not within 1-%d", r.First, r.Last, MaxRuleID)
		}
	}
	for _, t := range w.ExcludeTags {
		if err := CheckRuleTag(t); err != nil {
			return err
		}
	}
	return nil
}
