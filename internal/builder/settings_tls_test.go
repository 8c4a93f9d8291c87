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

func TestTLSSettingsDefaults(t *testing.T) {
	s := defaultSettings()
	require.Equal(t, model.TLSSettings{Protocols: []string{"TLSv1.2", "TLSv1.3"}, Ciphers: defaultCiphers,
		HSTS: true, HSTSMaxAge: 365 * 24 * time.Hour, HSTSIncludeSubdomains: true}, s.TLS)
	require.Equal(t, model.ClientSettings{ForwardedForHeader: "X-Forwarded-For",
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}}, s.Clients)
}

func TestTLSSettings(t *testing.T) {
	prefixes := func(s ...string) []netip.Prefix {
		var out []netip.Prefix
		for _, p := range s {
			out = append(out, netip.MustParsePrefix(p))
		}
		return out
	}
	tests := map[string]struct {
		valid   map[string]any
		invalid []string
		get     func(model.Settings) any
	}{
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
	}
	for key, tc := range tests {
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
				require.Equal(t, reason.InvalidSetting, problems[0].Reason)
				require.Equal(t, "data."+key, problems[0].Field)
				require.Equal(t, tc.get(defaultSettings()), tc.get(s), "an invalid value keeps the default")
			}
		})
	}
}

// FuzzTLSSettings checks that no value a TLS or client setting accepts
// holds a byte that could end an nginx token.
func FuzzTLSSettings(f *testing.F) {
	table := tlsSettings()
	for i, st := range table {
		for _, v := range []string{st.def, "HIGH:!aNULL", "10.0.0.0/8", "X-Real-IP", "TLSv1.3", `x"; load_module y;`, "a}b", "a\nb"} {
			f.Add(uint8(i), v)
		}
	}
	f.Fuzz(func(t *testing.T, i uint8, value string) {
		var s model.Settings
		if table[int(i)%len(table)].set(value, &s) != nil {
			return
		}
		for _, v := range append([]string{s.TLS.Ciphers, s.Clients.ForwardedForHeader}, s.TLS.Protocols...) {
			require.False(t, strings.ContainsAny(v, "\"'\\;{}#$ \t\r\n\x00"), "%q", v)
		}
		for _, p := range append(s.Clients.TrustedProxies, s.Clients.Allow...) {
			require.True(t, p.IsValid() && p == p.Masked(), "%v", p)
		}
	})
}
