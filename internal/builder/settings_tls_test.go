package builder

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/testutil"
)

func TestTLSSettingsDefaults(t *testing.T) {
	s := defaultSettings()
	require.Equal(t, model.TLSSettings{Protocols: []string{"TLSv1.2", "TLSv1.3"}, Ciphers: defaultCiphers,
		HSTS: true, HSTSMaxAge: 365 * 24 * time.Hour, HSTSIncludeSubdomains: true,
		SessionCacheSize: 10 << 20, SessionTimeout: 10 * time.Minute, ECDHCurves: "auto", BufferSize: 4 << 10}, s.TLS)
	require.Equal(t, model.ClientSettings{ForwardedForHeader: "X-Forwarded-For",
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}}, s.Clients)
}

// FuzzSettings checks that no value a ConfigMap key accepts holds a byte
// that could end an nginx token, and that a location default is one the
// annotation's grammar accepts.
func FuzzSettings(f *testing.F) {
	testutil.FuzzSpecs(f, settingDefaults, settingValues, checkSetting)
}

// TestSettingsEverySpecValue is FuzzSettings' check of every ConfigMap key
// with every one of its seed values.
func TestSettingsEverySpecValue(t *testing.T) {
	testutil.CheckEverySpec(t, settingDefaults, settingValues, checkSetting)
}

// settingValues are values that some ConfigMap keys accept, and ones that
// try to end an nginx token.
var settingValues = []string{"HIGH:!aNULL", "10.0.0.0/8", "X-Real-IP", "TLSv1.3", "4 8k", "text/css", "X25519", "100m", "auto",
	`x"; load_module y;`, "a}b", "a\nb", "1;", "$host"}

// settingSpecs are the ConfigMap keys checkSetting goes through, and
// their defaults.
var (
	settingSpecs    = SettingSpecs()
	settingDefaults = testutil.Defaults(settingSpecs, func(s SettingSpec) string { return s.Default })
)

func checkSetting(t *testing.T, spec uint16, value string) {
	var s model.Settings
	if settingSpecs[int(spec)%len(settingSpecs)].set(value, &s) != nil {
		return
	}
	words := slices.Concat([]string{s.TLS.Ciphers, s.TLS.ECDHCurves, s.Clients.ForwardedForHeader, s.HTTP.ErrorLogLevel},
		s.TLS.Protocols, s.HTTP.GzipTypes, s.HTTP.BrotliTypes)
	for _, v := range words {
		require.False(t, strings.ContainsAny(v, "\"'\\;{}#$ \t\r\n\x00"), "%q", v)
	}
	for _, p := range append(s.Clients.TrustedProxies, s.Clients.Allow...) {
		require.True(t, p.IsValid() && p == p.Masked(), "%v", p)
	}
	for name, v := range s.LocationDefaults {
		require.NoError(t, annotations.CheckDefault(name, v))
	}
}
