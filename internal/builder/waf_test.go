package builder

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/source"
)

func wafConfigMap(data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ingress", Name: "archway"}, Data: data}
}

// wafAnnotations are annotation keys and values: ingress-nginx's keys
// without their prefix, archway's own whole.
func wafAnnotations(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// wafIngress is pathIngress with WAF annotations.
func wafIngress(name string, age int, host, path string, annots map[string]string) *networkingv1.Ingress {
	ing := pathIngress(name, age, host, path, nil)
	for k, v := range annots {
		if !strings.HasPrefix(k, annotations.OwnPrefix+"/") {
			k = annotations.DefaultPrefix + "/" + k
		}
		ing.Annotations[k] = v
	}
	return ing
}

// TestBuildWAF: each location's WAF is the ConfigMap's refined by its
// Ingress's annotations, as ingress-nginx has it per location.
func TestBuildWAF(t *testing.T) {
	crs := map[string]string{"enable-modsecurity": "true", "enable-owasp-modsecurity-crs": "true"}
	tests := map[string]struct {
		configMap map[string]string
		annots    map[string]string
		want      *model.WAF
	}{
		"off by default": {},
		"annotation alone": {annots: wafAnnotations("enable-modsecurity", "true"),
			want: &model.WAF{Mode: model.WAFDetectionOnly, Paranoia: 1, InboundThreshold: 5, OutboundThreshold: 4}},
		"core rules need ModSecurity": {annots: wafAnnotations("enable-owasp-core-rules", "true")},
		"annotation adds the CRS": {annots: wafAnnotations("enable-modsecurity", "true", "enable-owasp-core-rules", "true"),
			want: &model.WAF{Mode: model.WAFDetectionOnly, CoreRules: true, Paranoia: 1, InboundThreshold: 5, OutboundThreshold: 4}},
		"ConfigMap for all": {configMap: crs,
			want: &model.WAF{Mode: model.WAFDetectionOnly, CoreRules: true, Paranoia: 1, InboundThreshold: 5, OutboundThreshold: 4}},
		"annotation turns the ConfigMap's off": {configMap: crs, annots: wafAnnotations("enable-modsecurity", "false")},
		"annotation cannot take the ConfigMap's CRS": {configMap: crs, annots: wafAnnotations("enable-owasp-core-rules", "false"),
			want: &model.WAF{Mode: model.WAFDetectionOnly, CoreRules: true, Paranoia: 1, InboundThreshold: 5, OutboundThreshold: 4}},
		"typed refinements": {
			configMap: map[string]string{"enable-modsecurity": "true", "enable-owasp-modsecurity-crs": "true", "modsecurity-mode": "On",
				"modsecurity-paranoia-level": "2", "modsecurity-exclude-rule-ids": "920350", "modsecurity-exclude-rule-tags": "attack-rce"},
			annots: wafAnnotations(annotations.OwnPrefix+"/modsecurity-inbound-anomaly-threshold", "10",
				annotations.OwnPrefix+"/modsecurity-exclude-rule-ids", "942100-942199", annotations.OwnPrefix+"/modsecurity-exclude-rule-tags", "attack-xss",
				"modsecurity-transaction-id", "$request_id"),
			want: &model.WAF{Mode: model.WAFOn, CoreRules: true, Paranoia: 2, InboundThreshold: 10, OutboundThreshold: 4,
				ExcludeIDs:  []model.RuleIDRange{{First: 920350, Last: 920350}, {First: 942100, Last: 942199}},
				ExcludeTags: []string{"attack-rce", "attack-xss"}, TransactionID: model.Template{{Var: "request_id"}}},
		},
		"annotation mode wins": {configMap: map[string]string{"enable-modsecurity": "true", "modsecurity-mode": "On"},
			annots: wafAnnotations(annotations.OwnPrefix+"/modsecurity-mode", "DetectionOnly"),
			want:   &model.WAF{Mode: model.WAFDetectionOnly, Paranoia: 1, InboundThreshold: 5, OutboundThreshold: 4}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			snap := tenantSnapshot(t, wafIngress("app", 0, sharedHost, "/", tc.annots))
			snap.ConfigMap = wafConfigMap(tc.configMap)
			cfg, report := Build(snap, defaultOpts())
			require.Empty(t, report.Problems)
			require.Equal(t, tc.want, policyOf(serverOf(t, cfg, sharedHost).Locations[0]).WAF)
		})
	}
}

// TestBuildWAFRefusesHostileValues: every ConfigMap key refuses what could
// become rule text, keeping its default.
func TestBuildWAFRefusesHostileValues(t *testing.T) {
	hostile := []string{`On"`, "1\nSecRuleEngine Off", `942100"` + "\n", "attack-xss\" \"x", "On;", "${x}", "1 2"}
	for _, key := range []string{"enable-modsecurity", "enable-owasp-modsecurity-crs", "modsecurity-mode", "modsecurity-paranoia-level",
		"modsecurity-inbound-anomaly-threshold", "modsecurity-outbound-anomaly-threshold", "modsecurity-exclude-rule-ids", "modsecurity-exclude-rule-tags"} {
		for _, value := range hostile {
			cfg, report := Build(source.Snapshot{ConfigMap: wafConfigMap(map[string]string{key: value})}, defaultOpts())
			require.Len(t, report.Problems, 1, "%s: %q", key, value)
			require.Equal(t, reason.InvalidSetting, report.Problems[0].Reason)
			require.Equal(t, key, report.Problems[0].Key)
			require.Equal(t, defaultSettings().WAF, cfg.Settings.WAF, "%s: %q keeps the default", key, value)
		}
	}
}

// TestWAFNeedsTheHost: an Ingress of another namespace cannot turn the WAF
// of a host it does not own off, nor loosen it; its paths there get the
// owner's WAF, and asking for another is reported.
func TestWAFNeedsTheHost(t *testing.T) {
	strict := wafAnnotations("enable-modsecurity", "true", "enable-owasp-core-rules", "true", annotations.OwnPrefix+"/modsecurity-mode", "On")
	ownerWAF := &model.WAF{Mode: model.WAFOn, CoreRules: true, Paranoia: 1, InboundThreshold: 5, OutboundThreshold: 4}
	for name, tc := range map[string]struct {
		intruder map[string]string
		problem  bool
	}{
		"turn it off":         {intruder: wafAnnotations("enable-modsecurity", "false"), problem: true},
		"detection only":      {intruder: wafAnnotations("enable-modsecurity", "true", annotations.OwnPrefix+"/modsecurity-mode", "DetectionOnly"), problem: true},
		"exclude rules":       {intruder: wafAnnotations(annotations.OwnPrefix+"/modsecurity-exclude-rule-ids", "942100"), problem: true},
		"raise the threshold": {intruder: wafAnnotations(annotations.OwnPrefix+"/modsecurity-inbound-anomaly-threshold", "10000"), problem: true},
		"say nothing":         {},
		"ask for the same":    {intruder: strict},
	} {
		t.Run(name, func(t *testing.T) {
			other := inNamespace(intruder, wafIngress("app", 1, sharedHost, "/other", tc.intruder))
			mine := pathIngress("mine", 2, "mine.example.com", "/", nil)
			cfg, report := Build(tenantSnapshot(t, wafIngress("owner", 0, sharedHost, "/", strict), other, inNamespace(intruder, mine)), defaultOpts())
			srv := serverOf(t, cfg, sharedHost)
			require.Len(t, srv.Locations, 2)
			for _, l := range srv.Locations {
				require.Equal(t, ownerWAF, policyOf(l).WAF, l.Path)
			}
			var want []string
			if tc.problem {
				want = []string{"other/app metadata.annotations HostNotOwned"}
			}
			require.Equal(t, want, problemsOf(report))
			// On its own host, the intruder decides.
			mineWAF := policyOf(serverOf(t, cfg, "mine.example.com").Locations[0]).WAF
			require.Nil(t, mineWAF)
		})
	}
}
