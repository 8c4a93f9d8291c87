package render

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

// policyScaleConfig is scaleConfig with a CORS policy of its own on every
// server's locations, with long origins, and rate limits with allow lists
// on limited of them: each adds a map, and so a variable, to nginx.conf.
func policyScaleConfig(servers, limited int) model.Config {
	cfg := scaleConfig(servers, 100)
	long := strings.Repeat("x", 50)
	for i := range cfg.Servers {
		pol := model.Policy{CORS: &model.CORS{AllowMethods: []string{"GET"}, AllowOrigins: []model.Origin{
			{Scheme: "https", Host: fmt.Sprintf("app-%d.%s.example.com", i, long)},
			{Scheme: "https", Host: fmt.Sprintf("*.app-%d.example.com", i)},
		}}}
		if i < limited {
			pol.RateLimit = &model.RateLimit{RPS: 10, Allow: []netip.Prefix{netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 0}), 24)}}
		}
		for j := range cfg.Servers[i].Locations {
			cfg.Servers[i].Locations[j].Policy = pol
			cfg.Servers[i].Locations[j].Ingress = model.Ref{Namespace: "ns", Name: fmt.Sprintf("ing-%d", i)}
		}
	}
	return cfg
}

// TestScaleMapsAndVariables checks that nginx takes many maps and
// variables, and long map keys, without a warning: the hash sizes hold.
func TestScaleMapsAndVariables(t *testing.T) {
	tests := map[string]struct{ servers, limited int }{
		"100 servers": {servers: 100, limited: 100},
		// More maps and variables than nginx's default hash sizes hold.
		"2,000 servers": {servers: 2000, limited: 300},
	}
	r, err := New("")
	require.NoError(t, err)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			opts := Options{HTTPPort: 80, RuntimeDir: dir}
			opts.User, opts.Group = workerUser(t)
			out, err := r.Render(policyScaleConfig(tc.servers, tc.limited), opts)
			require.NoError(t, err)
			nginxCheck(t, dir, out.Files)
		})
	}
}
