package render

import (
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/testutil"
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

// tlsBackend is a passthrough backend on loopback (testutil.TLSBackend).
func tlsBackend(t *testing.T, cert testutil.Cert, proxyProtocol bool) model.Endpoint {
	return model.Endpoint{Address: "127.0.0.1", Port: int32(testutil.TLSBackend(t, "127.0.0.1", cert, proxyProtocol))}
}

// TestPassthroughServes runs nginx with the passthrough front and real
// backends, clients connecting from 127.0.0.3: passthrough hosts see the
// backend's own certificate (and, with a PROXY header, the backend sees
// the client); other hosts keep archway's certificates, HTTP/2 and the
// client's address; unknown names get the default certificate; a
// backend's file of endpoints, rewritten, takes the next connection
// elsewhere with no reload.
func TestPassthroughServes(t *testing.T) {
	site := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"site.example.com", "app.pass.test"}})
	fallback := testutil.NewCert(t, testutil.CertOptions{})
	vault := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"vault.test"}})
	pass := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"*.pass.test"}})
	owner := model.Owner{Kind: model.KindIngress, Ref: model.Ref{Namespace: "vault", Name: "vault"}}
	cfg := model.Config{
		Backends:           []model.Backend{clientBackend(t)},
		DefaultCertificate: modelCert(fallback, "default"),
		Settings:           edgeSettings(),
		Servers: []model.Server{
			{Host: "app.pass.test", Certificate: modelCert(site, "site"), Locations: []model.Location{prefix("/", "client")}},
			{Host: "site.example.com", Certificate: modelCert(site, "site"), Locations: []model.Location{prefix("/", "client")}},
		},
		Passthrough: &model.Passthrough{Hosts: []model.PassthroughHost{
			{Host: "*.pass.test", Owner: owner, Endpoints: []model.Endpoint{tlsBackend(t, pass, false)}},
			{Host: "vault.test", Owner: owner, ProxyProtocol: true, Endpoints: []model.Endpoint{tlsBackend(t, vault, true)}},
		}},
	}
	opts := serveOnFreePorts(t, cfg)
	e := &edgeEnv{httpPort: opts.HTTPPort, httpsPort: opts.HTTPSPort, addr: netip.MustParseAddr("127.0.0.1"), from: netip.MustParseAddr("127.0.0.3")}
	t.Run("passthrough with a PROXY header", func(t *testing.T) {
		got := e.request(t, "vault.test", "vault.test", "/", "", nil)
		require.True(t, vault.Leaf.Equal(got.leaf), "the backend's own certificate")
		require.Equal(t, "127.0.0.3", got.body, "the backend sees the client")
	})
	t.Run("passthrough on a wildcard, without PROXY header", func(t *testing.T) {
		got := e.request(t, "a.pass.test", "a.pass.test", "/", "", nil)
		require.True(t, pass.Leaf.Equal(got.leaf), "the backend's own certificate")
		require.Equal(t, "127.0.0.1", got.body, "the backend sees nginx")
	})
	for _, host := range []string{"site.example.com", "app.pass.test"} {
		t.Run("archway's TLS for "+host, func(t *testing.T) {
			got := e.request(t, host, host, "/", "", nil)
			require.True(t, site.Leaf.Equal(got.leaf), "nginx presented %v", got.leaf.DNSNames)
			require.Equal(t, 2, got.proto, "HTTP/2 on the TLS listener")
			seen := got.seen(t)
			require.Equal(t, "127.0.0.3", seen["X-Forwarded-For"])
			require.Equal(t, "127.0.0.3", seen["X-Real-IP"])
			require.Equal(t, "https", seen["X-Forwarded-Proto"])
			require.Equal(t, strconv.Itoa(e.httpsPort), seen["X-Forwarded-Port"])
		})
	}
	t.Run("unknown name: the default certificate", func(t *testing.T) {
		got := e.request(t, "nobody.test", "nobody.test", "/", "", nil)
		require.True(t, fallback.Leaf.Equal(got.leaf))
		require.Equal(t, http.StatusNotFound, got.status)
	})
	t.Run("a backend's endpoints change without a reload", func(t *testing.T) {
		renewed := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"vault.test"}})
		moved := tlsBackend(t, renewed, true)
		// As package nginx replaces the file: atomically.
		file := filepath.Join(opts.RuntimeDir, StreamEndpointsDir, "passthrough_1")
		require.NoError(t, os.WriteFile(file+".new", fmt.Appendf(nil, "127.0.0.1:%d\n", moved.Port), 0o644))
		require.NoError(t, os.Rename(file+".new", file))
		got := e.request(t, "vault.test", "vault.test", "/", "", nil)
		require.True(t, renewed.Leaf.Equal(got.leaf), "the new endpoint answers")
	})
	t.Run("plain HTTP", func(t *testing.T) {
		got := e.request(t, "", "site.example.com", "/", "", nil)
		require.Equal(t, "127.0.0.3", got.seen(t)["X-Forwarded-For"])
		require.Equal(t, strconv.Itoa(e.httpPort), got.seen(t)["X-Forwarded-Port"])
	})

	// Behind a load balancer that sends PROXY headers, the front decodes
	// them first; the instance-wide allow-list holds for passthrough hosts.
	cfg.Settings.Clients.UseProxyProtocol = true
	cfg.Settings.Clients.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	cfg.Settings.Clients.Allow = []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")}
	e = newEdgeEnv(t, cfg)
	t.Run("PROXY from the load balancer, passthrough", func(t *testing.T) {
		got := e.request(t, "vault.test", "vault.test", "/", "203.0.113.7", nil)
		require.True(t, vault.Leaf.Equal(got.leaf))
		require.Equal(t, "203.0.113.7", got.body)
	})
	t.Run("PROXY from the load balancer, archway's TLS", func(t *testing.T) {
		got := e.request(t, "site.example.com", "site.example.com", "/", "203.0.113.7", nil)
		require.True(t, site.Leaf.Equal(got.leaf))
		require.Equal(t, "203.0.113.7", got.seen(t)["X-Forwarded-For"])
	})
	t.Run("a client outside the allow-list never reaches a passthrough backend", func(t *testing.T) {
		got := e.request(t, "vault.test", "vault.test", "/", "198.51.100.1", nil)
		require.True(t, fallback.Leaf.Equal(got.leaf), "the HTTP servers answer")
		require.Equal(t, http.StatusForbidden, got.status)
	})
}
