package builder

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/source"
)

// settingCase lists, for one ConfigMap key, values that must parse (with
// the value get must then return; boundaries included) and values that
// must be refused, keeping the default.
type settingCase struct {
	valid   map[string]any
	invalid []string
	get     func(model.Settings) any
}

func prefixes(s ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range s {
		out = append(out, netip.MustParsePrefix(p))
	}
	return out
}

var settingCases = map[string]settingCase{
	SafeSnippetsKey: {
		valid: map[string]any{"true": true, "0": false}, invalid: []string{"yes", ""},
		get: func(s model.Settings) any { return s.SafeSnippets },
	},
	"worker-shutdown-timeout": {
		valid:   map[string]any{"30": 30 * time.Second, "1500ms": 1500 * time.Millisecond, "1ms": time.Millisecond, "24h": 24 * time.Hour, "1d": 24 * time.Hour},
		invalid: []string{"", "0s", "25h", "-1s", "1m30s", "1s; user root", "0000000001s"},
		get:     func(s model.Settings) any { return s.WorkerShutdownTimeout },
	},
	"ssl-protocols": {
		valid:   map[string]any{"TLSv1.3": []string{"TLSv1.3"}, "TLSv1.3  TLSv1.2 TLSv1.3": []string{"TLSv1.2", "TLSv1.3"}},
		invalid: []string{"", "TLSv1.1", "TLSv1", "SSLv3", "tlsv1.2", "TLSv1.2;"},
		get:     func(s model.Settings) any { return s.TLS.Protocols },
	},
	"ssl-ciphers": {
		valid: map[string]any{"HIGH:!aNULL:!MD5": "HIGH:!aNULL:!MD5", "ECDHE-RSA-AES128-GCM-SHA256": "ECDHE-RSA-AES128-GCM-SHA256",
			"ECDHE:-SHA1:!PSK": "ECDHE:-SHA1:!PSK"},
		invalid: []string{"", "!aNULL", "FOO", "HIGH:", "HIGH::MD5", "HIGH:!HIGH", "ALL", "HIGH:@STRENGTH", "HIGH;", "HIGH:!aNULL\"", "eNULL"},
		get:     func(s model.Settings) any { return s.TLS.Ciphers },
	},
	"hsts": {
		valid:   map[string]any{"false": false, "TRUE": true, "1": true},
		invalid: []string{"off", "yes"},
		get:     func(s model.Settings) any { return s.TLS.HSTS },
	},
	"hsts-max-age": {
		valid:   map[string]any{"0": time.Duration(0), "63072000": 2 * 365 * 24 * time.Hour},
		invalid: []string{"-1", "1d", "315360001", "+5", " 5"},
		get:     func(s model.Settings) any { return s.TLS.HSTSMaxAge },
	},
	"hsts-include-subdomains": {
		valid: map[string]any{"false": false}, invalid: []string{"no"},
		get: func(s model.Settings) any { return s.TLS.HSTSIncludeSubdomains },
	},
	"hsts-preload": {
		valid: map[string]any{"true": true}, invalid: []string{"yes"},
		get: func(s model.Settings) any { return s.TLS.HSTSPreload },
	},
	"use-forwarded-headers": {
		valid: map[string]any{"true": true}, invalid: []string{"on"},
		get: func(s model.Settings) any { return s.Clients.UseForwardedHeaders },
	},
	"forwarded-for-header": {
		valid: map[string]any{"CF-Connecting-IP": "CF-Connecting-IP", "X-Real-IP": "X-Real-IP", "1X": "1X", "X_Forwarded": "X_Forwarded",
			strings.Repeat("X", 128): strings.Repeat("X", 128)},
		invalid: []string{"", "X Forwarded", "X-Forwarded-For;", strings.Repeat("X", 129)},
		get:     func(s model.Settings) any { return s.Clients.ForwardedForHeader },
	},
	"proxy-real-ip-cidr": {
		valid: map[string]any{"10.0.0.0/8, 192.168.1.1": prefixes("10.0.0.0/8", "192.168.1.1/32"),
			"fd00::1/8": prefixes("fd00::/8"), "::ffff:10.0.0.1": prefixes("10.0.0.1/32")},
		invalid: []string{"", "10.0.0.0/8,", "10.0.0.0/33", "any", "fe80::1%eth0", "::ffff:10.0.0.0/104"},
		get:     func(s model.Settings) any { return s.Clients.TrustedProxies },
	},
	"use-proxy-protocol": {
		valid: map[string]any{"true": true}, invalid: []string{"v2"},
		get: func(s model.Settings) any { return s.Clients.UseProxyProtocol },
	},
	"compute-full-forwarded-for": {
		valid: map[string]any{"true": true}, invalid: []string{"yes"},
		get: func(s model.Settings) any { return s.Clients.ComputeFullForwardedFor },
	},
	"disable-ipv6": {
		valid: map[string]any{"true": true, "false": false}, invalid: []string{"yes"},
		get: func(s model.Settings) any { return s.DisableIPv6 },
	},
	"bind-address": {
		valid: map[string]any{"": []netip.Addr(nil), "10.0.0.5, fd00::5": []netip.Addr{netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("fd00::5")},
			"::ffff:10.0.0.5": []netip.Addr{netip.MustParseAddr("10.0.0.5")}},
		invalid: []string{"10.0.0.5,", "10.0.0.0/8", "[::1]:80", "fe80::1%eth0", "10.0.0.5; listen 1", "any"},
		get:     func(s model.Settings) any { return s.BindAddresses },
	},
	"whitelist-source-range": {
		valid:   map[string]any{"": []netip.Prefix(nil), "10.0.0.0/8": prefixes("10.0.0.0/8")},
		invalid: []string{"10.0.0.0/8;", "10.0.0.0/8 deny"},
		get:     func(s model.Settings) any { return s.Clients.Allow },
	},
	"disable-access-log": {
		valid: map[string]any{"true": true, "false": false}, invalid: []string{"yes"},
		get: func(s model.Settings) any { return s.AccessLog.Off },
	},
	"access-log-path": {
		valid: map[string]any{"stderr": model.AccessLogStderr, "access.log": "access.log", "ingress_access-1.log": "ingress_access-1.log",
			strings.Repeat("a", 96) + ".log": strings.Repeat("a", 96) + ".log"},
		invalid: []string{"/var/log/nginx/access.log", ".log", "nginx.conf", "../x.log", "a/b.log", "x.log;", strings.Repeat("a", 97) + ".log"},
		get:     func(s model.Settings) any { return s.AccessLog.Path },
	},
	"log-format-upstream": {
		valid:   map[string]any{"$status": model.LogFormat{{Var: "status"}}, `{"s": ${status}}`: model.LogFormat{{Text: `{"s": `}, {Var: "status"}, {Text: "}"}}},
		invalid: []string{"", "$request_body", "it's $status", `a\b`, "a\nb", strings.Repeat("a", 4097)},
		get:     func(s model.Settings) any { return s.AccessLog.Format },
	},
	"log-format-stream": {
		// Checked only: nothing is stored.
		valid:   map[string]any{"$remote_addr $upstream_addr": nil, streamInfo: nil},
		invalid: []string{"$request_uri", "$http_x", ""},
		get:     func(model.Settings) any { return nil },
	},
	"log-format-escape-json": {
		valid: map[string]any{"true": "json", "false": "default"}, invalid: []string{"yes"},
		get: func(s model.Settings) any { return s.AccessLog.Escape },
	},
	"log-format-escape-none": {
		valid: map[string]any{"true": "none", "false": "default"}, invalid: []string{"on"},
		get: func(s model.Settings) any { return s.AccessLog.Escape },
	},
	"skip-access-log-urls": {
		valid: map[string]any{"": []string(nil), "/healthz, /metrics?x=1,/healthz": []string{"/healthz", "/metrics?x=1"},
			"/" + strings.Repeat("a", 255): []string{"/" + strings.Repeat("a", 255)}},
		invalid: []string{`/a"b`, "healthz", "/a b", "/" + strings.Repeat("a", 256)},
		get:     func(s model.Settings) any { return s.AccessLog.SkipURLs },
	},
	"enable-modsecurity": {
		valid: map[string]any{"true": true}, invalid: []string{"on"},
		get: func(s model.Settings) any { return s.WAF.Enable },
	},
	"enable-owasp-modsecurity-crs": {
		valid: map[string]any{"1": true}, invalid: []string{"yes"},
		get: func(s model.Settings) any { return s.WAF.CoreRules },
	},
	"modsecurity-mode": {
		valid: map[string]any{"On": model.WAFOn, "DetectionOnly": model.WAFDetectionOnly}, invalid: []string{"Off", "on", ""},
		get: func(s model.Settings) any { return s.WAF.Mode },
	},
	"modsecurity-paranoia-level": {
		valid: map[string]any{"1": 1, "4": 4}, invalid: []string{"0", "5", "2.5"},
		get: func(s model.Settings) any { return s.WAF.Paranoia },
	},
	"modsecurity-inbound-anomaly-threshold": {
		valid: map[string]any{"1": 1, "10000": 10000}, invalid: []string{"0", "10001"},
		get: func(s model.Settings) any { return s.WAF.InboundThreshold },
	},
	"modsecurity-outbound-anomaly-threshold": {
		valid: map[string]any{"1": 1, "10000": 10000}, invalid: []string{"0", "10001"},
		get: func(s model.Settings) any { return s.WAF.OutboundThreshold },
	},
	"modsecurity-exclude-rule-ids": {
		valid:   map[string]any{"": []model.RuleIDRange(nil), "920350": []model.RuleIDRange{{First: 920350, Last: 920350}}},
		invalid: []string{"abc", "920350;"},
		get:     func(s model.Settings) any { return s.WAF.ExcludeIDs },
	},
	"modsecurity-exclude-rule-tags": {
		valid: map[string]any{"": []string(nil), "attack-rce": []string{"attack-rce"}}, invalid: []string{"a b", "x;"},
		get: func(s model.Settings) any { return s.WAF.ExcludeTags },
	},
}

// locationDefaultCases are the cases of the ConfigMap's location defaults:
// a valid value is kept as written (the annotation's own default is not
// kept: nginx.conf has it), an invalid one is refused by the annotation's
// grammar.
var locationDefaultCases = map[string]struct {
	valid   []string
	invalid []string
}{
	"proxy-body-size":             {valid: []string{"100m", "0", "1024g"}, invalid: []string{"-1", "1025g", "100mb", "1m;"}},
	"client-body-buffer-size":     {valid: []string{"1", "16k"}, invalid: []string{"0", "1kb"}},
	"proxy-buffering":             {valid: []string{"on"}, invalid: []string{"true", "yes"}},
	"proxy-buffer-size":           {valid: []string{"16k", "1"}, invalid: []string{"0", "8kk"}},
	"proxy-buffers-number":        {valid: []string{"2", "1024"}, invalid: []string{"1", "1025"}},
	"proxy-busy-buffers-size":     {valid: []string{"4k", "12k"}, invalid: []string{"0", "8kk"}},
	"proxy-request-buffering":     {valid: []string{"off"}, invalid: []string{"false"}},
	"proxy-connect-timeout":       {valid: []string{"10", "1500ms", "7d"}, invalid: []string{"0", "8d", "-1", "5 s"}},
	"proxy-read-timeout":          {valid: []string{"3600", "1ms"}, invalid: []string{"0", "1h30m", "x"}},
	"proxy-send-timeout":          {valid: []string{"3600", "7d"}, invalid: []string{"0", "8d"}},
	"proxy-next-upstream":         {valid: []string{"error timeout http_502", "off"}, invalid: []string{"http_418", "error;"}},
	"proxy-next-upstream-timeout": {valid: []string{"30", "7d"}, invalid: []string{"8d", "-1"}},
	"proxy-next-upstream-tries":   {valid: []string{"0", "100"}, invalid: []string{"101", "-1"}},
	"proxy-http-version":          {valid: []string{"1.0"}, invalid: []string{"2", "1.1;"}},
	"proxy-cookie-domain":         {valid: []string{"localhost example.org"}, invalid: []string{"a", "a b c"}},
	"proxy-cookie-path":           {valid: []string{"/one/ /"}, invalid: []string{"/a", "/a /b;"}},
	"proxy-redirect-from":         {valid: []string{"default"}, invalid: []string{"a b", "x;"}},
	"proxy-redirect-to":           {valid: []string{"https://b.example.com/"}, invalid: []string{"a b", "x;"}},
	"ssl-redirect":                {valid: []string{"false", "0"}, invalid: []string{"off", "no"}},
	"force-ssl-redirect":          {valid: []string{"true", "1"}, invalid: []string{"on"}},
	"custom-http-errors":          {valid: []string{"404, 503", "599", "400"}, invalid: []string{"399", "600", "404;"}},
	"load-balance":                {valid: []string{"ewma"}, invalid: []string{"least_conn", "ewma;"}},
	"service-upstream":            {valid: []string{"true"}, invalid: []string{"yes"}},
	"cors-allow-origin":           {valid: []string{"https://a.example.com, https://*.example.org:8443"}, invalid: []string{"a.example.com", "https://a.example.com/x"}},
	"cors-allow-methods":          {valid: []string{"GET, POST"}, invalid: []string{"GET;", "G ET"}},
	"cors-allow-headers":          {valid: []string{"X-A, Authorization"}, invalid: []string{"X A", "X-A;"}},
	"cors-expose-headers":         {valid: []string{"*", "X-Total"}, invalid: []string{"X Total"}},
	"cors-allow-credentials":      {valid: []string{"false"}, invalid: []string{"off"}},
	"cors-max-age":                {valid: []string{"600", "365d"}, invalid: []string{"366d", "-1"}},
}

func init() {
	for key, tc := range locationDefaultCases {
		valid := map[string]any{}
		for _, v := range tc.valid {
			valid[v] = v
		}
		settingCases[key] = settingCase{valid: valid, invalid: tc.invalid,
			get: func(s model.Settings) any {
				if v, ok := s.LocationDefaults[key]; ok {
					return v
				}
				return nil
			}}
	}
}

// TestSettings checks every key of the table through Build: its valid
// values give the typed value, its invalid ones keep the default and are
// reported on the key.
func TestSettings(t *testing.T) {
	for key, tc := range settingCases {
		t.Run(key, func(t *testing.T) {
			build := func(value string) (model.Settings, []Problem) {
				cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ingress", Name: "archway"}, Data: map[string]string{key: value}}
				cfg, report := Build(source.Snapshot{ConfigMap: cm}, defaultOpts())
				return cfg.Settings, report.Problems
			}
			for value, want := range tc.valid {
				s, problems := build(value)
				require.Empty(t, problems, value)
				require.Equal(t, want, tc.get(s), value)
			}
			for _, value := range tc.invalid {
				s, problems := build(value)
				require.Len(t, problems, 1, value)
				require.Equal(t, reason.InvalidSetting, problems[0].Reason, value)
				require.Equal(t, "data."+key, problems[0].Field)
				require.Equal(t, tc.get(defaultSettings()), tc.get(s), "an invalid value keeps the default")
			}
		})
	}
}

// TestEverySettingIsTested fails when a key of the table has no cases, or
// a case names no key.
func TestEverySettingIsTested(t *testing.T) {
	for _, st := range SettingSpecs() {
		tc, ok := settingCases[st.Key]
		require.True(t, ok, "settingCases has no cases for %s", st.Key)
		require.NotEmpty(t, tc.valid, st.Key)
		require.NotEmpty(t, tc.invalid, st.Key)
	}
	require.Len(t, settingCases, len(SettingSpecs()), "a case for a key the table does not have")
}
