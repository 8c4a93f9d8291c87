package render

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

// passthroughConfig passes an exact host (with a PROXY header) and a
// wildcard (through the relay) through, beside an HTTP server whose exact
// host and alias fall under the wildcard.
func passthroughConfig(t *testing.T) model.Config {
	owner := model.Owner{Kind: model.KindIngress, Ref: model.Ref{Namespace: "vault", Name: "vault"}}
	return model.Config{
		DefaultCertificate: testCertificate(t, "default"),
		Settings:           edgeSettings(),
		Backends:           []model.Backend{backend("app", 8080, "10.0.0.1")},
		Servers: []model.Server{
			{Host: "app.example.com", Aliases: []string{"www.example.com"}, Certificate: testCertificate(t, "site"), Locations: []model.Location{prefix("/", "app")}},
			{Host: "other.test", Locations: []model.Location{prefix("/", "app")}},
		},
		Passthrough: &model.Passthrough{Hosts: []model.PassthroughHost{
			{Host: "*.example.com", Owner: owner, Service: model.Ref{Namespace: "vault", Name: "vault"}, ServicePort: "https",
				Endpoints: []model.Endpoint{{Address: "10.0.5.1", Port: 8200}, {Address: "fd00::5", Port: 8200}}},
			{Host: "vault.test", Owner: owner, Service: model.Ref{Namespace: "vault", Name: "vault"}, ServicePort: "https", ProxyProtocol: true},
		}},
	}
}

// TestPassthroughGolden renders the HTTPS port's front: the HTTP servers'
// TLS listener moves to the socket, with the PROXY header's client
// address, and nginx -t accepts it.
func TestPassthroughGolden(t *testing.T) {
	r, err := New("")
	require.NoError(t, err)
	out, err := r.Render(passthroughConfig(t), rootOptions(goldenRuntimeDir))
	require.NoError(t, err)
	checkGolden(t, "ssl_passthrough", out)
	require.Empty(t, out.StreamPorts, "the HTTPS port is nginx's already")
	require.Equal(t, []File{
		{Name: "stream-endpoints/passthrough_0", Data: []byte("10.0.5.1:8200\n[fd00::5]:8200\n"), Mode: 0o644},
		{Name: "stream-endpoints/passthrough_1", Mode: 0o644},
	}, out.StreamEndpoints, "endpoints change without a reload, as the TCP services'")
}

// TestPassthroughBehindProxyProtocol: with use-proxy-protocol the front
// decodes the load balancer's header from the trusted peers, and the HTTP
// servers trust the front's socket besides them; the allow-list sends
// other clients to the HTTP servers' 403.
func TestPassthroughBehindProxyProtocol(t *testing.T) {
	r, err := New("")
	require.NoError(t, err)
	cfg := passthroughConfig(t)
	cfg.Settings.Clients.UseProxyProtocol = true
	cfg.Settings.Clients.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}
	cfg.Settings.Clients.Allow = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	out, err := r.Render(cfg, rootOptions(goldenRuntimeDir))
	require.NoError(t, err)
	checkGolden(t, "ssl_passthrough_proxy_protocol", out)
}

// TestPassthroughRefused: render's last checks refuse what build never
// makes.
func TestPassthroughRefused(t *testing.T) {
	r, err := New("")
	require.NoError(t, err)
	for want, change := range map[string]func(*model.Config){
		"without the HTTPS listener": func(c *model.Config) { c.DefaultCertificate = nil },
		"is not a lowercase DNS name": func(c *model.Config) {
			c.Passthrough.Hosts[1].Host = `vault.test"; evil`
		},
		"not an IP": func(c *model.Config) {
			c.Passthrough.Hosts[0].Endpoints[0].Address = "db; evil"
		},
		"needs use-proxy-protocol": func(c *model.Config) {
			c.Settings.Clients.UseForwardedHeaders = true
		},
	} {
		cfg := passthroughConfig(t)
		change(&cfg)
		_, err := r.Render(cfg, rootOptions(goldenRuntimeDir))
		require.Error(t, err, want)
		require.True(t, strings.Contains(err.Error(), want), err.Error())
	}
}
