package render

import (
	"fmt"
	"net/netip"
	"strings"

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
			cfg.Servers[i].Locations[j].Policy = &pol
			cfg.Servers[i].Locations[j].Owner = model.Owner{Kind: model.KindIngress, Ref: model.Ref{Namespace: "ns", Name: fmt.Sprintf("ing-%d", i)}}
		}
	}
	return cfg
}
