package builder

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

func TestTLSSettingsDefaults(t *testing.T) {
	s := defaultSettings()
	require.Equal(t, model.TLSSettings{Protocols: []string{"TLSv1.2", "TLSv1.3"}, Ciphers: defaultCiphers,
		HSTS: true, HSTSMaxAge: 365 * 24 * time.Hour, HSTSIncludeSubdomains: true}, s.TLS)
	require.Equal(t, model.ClientSettings{ForwardedForHeader: "X-Forwarded-For",
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}}, s.Clients)
}

// FuzzTLSSettings checks that no value a TLS or client setting accepts
// holds a byte that could end an nginx token.
func FuzzTLSSettings(f *testing.F) {
	table := slices.Concat(listenSettings(), tlsSettings(), clientSettings())
	for i, st := range table {
		for _, v := range []string{st.Default, "HIGH:!aNULL", "10.0.0.0/8", "X-Real-IP", "TLSv1.3", `x"; load_module y;`, "a}b", "a\nb"} {
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
