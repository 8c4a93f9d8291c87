package render

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/testutil"
)

// mustPrefixes parses CIDRs.
func mustPrefixes(s ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range s {
		out = append(out, netip.MustParsePrefix(p))
	}
	return out
}

// TestGeoListsPassNginxQuietly: lists the grammars accept, "0.0.0.0/0,
// ::/0" (proxy-real-ip-cidr's default) and a network written twice, as
// the trusted peers, the instance allow-list and a rate limit's
// exemptions. nginx's geo keeps its default in 0.0.0.0/0 and ::/0 and
// warned about both, and about the repeated network; the property test
// found it. Clients must still be let in.
func TestGeoListsPassNginxQuietly(t *testing.T) {
	s := edgeSettings()
	s.Clients.UseForwardedHeaders = true
	s.Clients.Allow = mustPrefixes("0.0.0.0/0", "::/0", "10.0.0.0/8", "10.0.0.0/8")
	limited := prefix("/", "client")
	own(&limited).RateLimit = &model.RateLimit{RPS: 1000, Allow: mustPrefixes("0.0.0.0/0", "10.0.0.0/8", "10.0.0.0/8")}
	cfg := model.Config{Backends: []model.Backend{clientBackend(t)}, Settings: s,
		DefaultCertificate: modelCert(testutil.NewCert(t, testutil.CertOptions{}), "default"),
		Servers:            []model.Server{{Host: "app.test", Locations: []model.Location{limited}}}}
	renderChecked(t, cfg)

	e := newEdgeEnv(t, cfg)
	require.Equal(t, 200, e.request(t, "", "app.test", "/", "", nil).status)
}
