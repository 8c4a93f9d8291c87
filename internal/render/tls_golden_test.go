package render

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

// testCertificate is a model certificate from testdata/tls/NAME.{crt,key}:
// fixed files, so that golden files name the same certificate files.
func testCertificate(t testing.TB, name string) *model.Certificate {
	t.Helper()
	return &model.Certificate{Secret: model.Ref{Namespace: "web", Name: name},
		Chain: testdataFile(t, "tls/"+name+".crt"), Key: testdataFile(t, "tls/"+name+".key")}
}

// edgeSettings are the ConfigMap defaults of package builder.
func edgeSettings() model.Settings {
	return model.Settings{
		TLS: model.TLSSettings{Protocols: []string{"TLSv1.2", "TLSv1.3"}, Ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
			HSTS: true, HSTSMaxAge: 365 * 24 * time.Hour, HSTSIncludeSubdomains: true},
		Clients: model.ClientSettings{ForwardedForHeader: "X-Forwarded-For",
			TrustedProxies: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}},
	}
}

func redirected(l model.Location) model.Location {
	own(&l).HTTPSRedirect = true
	return l
}

func preserving(l model.Location) model.Location {
	own(&l).PreserveTrailingSlash = true
	return l
}

func TestEdgeGolden(t *testing.T) {
	app := backend("app", 8080, "10.0.0.1")
	cases := map[string]func() (model.Config, Options){
		"tls": func() (model.Config, Options) {
			site, wild := testCertificate(t, "site"), testCertificate(t, "wild")
			return model.Config{
				Backends:           []model.Backend{app},
				DefaultCertificate: testCertificate(t, "default"),
				Settings:           edgeSettings(),
				Servers: []model.Server{
					{Host: "*.example.com", Certificate: wild, Locations: []model.Location{redirected(prefix("/", "app"))}},
					{Host: "a.example.com", Certificate: wild, Locations: []model.Location{redirected(prefix("/", "app"))}},
					{Host: "plain.example.com", Locations: []model.Location{prefix("/", "app")}},
					{Host: "site.example.com", Certificate: site, Locations: []model.Location{
						redirected(prefix("/", "app")), prefix("/no-redirect", "app")}},
				},
			}, rootOptions(goldenRuntimeDir)
		},
		// Two Gateways on ports of their own beside the HTTP and HTTPS
		// ports' hosts: the same host on each, never in a shared block or
		// map of another's, and a catch-all default_server per Gateway.
		"gateway_ports": func() (model.Config, Options) {
			one, two := model.Ref{Namespace: "web", Name: "one"}, model.Ref{Namespace: "web", Name: "two"}
			root := func(gw model.Ref, host, backend string) model.Server {
				return model.Server{Gateway: gw, Host: host, Locations: []model.Location{prefix("/", backend)}}
			}
			return model.Config{
				Backends:           []model.Backend{app, backend("v2", 8080, "10.0.0.2"), backend("v3", 8080, "10.0.0.3")},
				DefaultCertificate: testCertificate(t, "default"),
				Settings:           edgeSettings(),
				GatewayPorts: []model.GatewayPorts{
					{Gateway: one, Ports: []model.GatewayPort{{Port: 80, Target: 10000}, {Port: 443, Target: 10001, TLS: true}}},
					{Gateway: two, Ports: []model.GatewayPort{{Port: 8080, Target: 10002}}},
				},
				Servers: []model.Server{
					root(model.Ref{}, "a.example.com", "app"), root(model.Ref{}, "same.example.com", "app"),
					root(one, "", "v2"), root(one, "b.example.com", "v2"), root(one, "same.example.com", "v2"),
					root(two, "c.example.com", "v3"), root(two, "same.example.com", "v3"),
				},
			}, rootOptions(goldenRuntimeDir)
		},
		"bind_addresses": func() (model.Config, Options) {
			s := edgeSettings()
			// A duplicate is listened on once: nginx refuses a repeated
			// listen.
			s.BindAddresses = []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1"), netip.MustParseAddr("127.0.0.1")}
			return model.Config{
				Backends:           []model.Backend{app},
				DefaultCertificate: testCertificate(t, "default"),
				Settings:           s,
				Servers:            []model.Server{{Host: "app.example.com", Locations: []model.Location{prefix("/", "app")}}},
			}, rootOptions(goldenRuntimeDir)
		},
		"tls_sessions": func() (model.Config, Options) {
			s := edgeSettings()
			s.TLS.NoSessionCache, s.TLS.SessionTickets, s.TLS.SessionTimeout = true, true, time.Hour
			s.TLS.ECDHCurves, s.TLS.BufferSize = "X25519:prime256v1:secp384r1", 16<<10
			return model.Config{
				Backends:           []model.Backend{app},
				DefaultCertificate: testCertificate(t, "default"),
				Settings:           s,
				Servers:            []model.Server{{Host: "app.example.com", Locations: []model.Location{prefix("/", "app")}}},
			}, rootOptions(goldenRuntimeDir)
		},
		"client_auth": func() (model.Config, Options) {
			ca := testdataFile(t, "client-auth/ca.crt")
			return model.Config{
				Backends:           []model.Backend{app},
				DefaultCertificate: testCertificate(t, "default"),
				Settings:           edgeSettings(),
				Servers: []model.Server{
					{Host: "mtls.example.com", ClientAuth: &model.ClientAuth{CA: ca, CRL: testdataFile(t, "client-auth/ca.crl"),
						Verify: model.VerifyOn, Depth: 2, ErrorPage: "https://help.example.com/certificates?from=mtls", PassCertificate: true,
						MatchCN: "^CN=(client1|client2)(,|$)"},
						Locations: []model.Location{redirected(prefix("/", "app")), preserving(redirected(prefix("/keep", "app"))), prefix("/api", "app")}},
					{Host: "optional.example.com", Certificate: testCertificate(t, "site"),
						ClientAuth: &model.ClientAuth{CA: ca, Verify: model.VerifyOptionalNoCA, Depth: 1, MatchCN: "O=Example Org"},
						Locations:  []model.Location{exact("/status", "app")}},
				},
			}, rootOptions(goldenRuntimeDir)
		},
		"redirects_other_port": func() (model.Config, Options) {
			settings := edgeSettings()
			settings.TLS.HSTS, settings.Clients.UseForwardedHeaders = false, true
			settings.Clients.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
			return model.Config{
				Backends:           []model.Backend{app},
				DefaultCertificate: testCertificate(t, "default"),
				Settings:           settings,
				Servers: []model.Server{{Host: "lb.example.com", Locations: []model.Location{
					redirected(prefix("/", "app")), redirected(exact("/.well-known/acme-challenge/token", "app"))}}},
			}, Options{HTTPPort: 8080, HTTPSPort: 8443, RuntimeDir: goldenRuntimeDir}
		},
		"allow_lists": func() (model.Config, Options) {
			settings := edgeSettings()
			settings.Clients = model.ClientSettings{UseForwardedHeaders: true, ForwardedForHeader: "X-Original-Forwarded-For",
				ComputeFullForwardedFor: true, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")},
				Allow: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.0.0/16")}}
			internal := prefix("/internal", "app")
			own(&internal).Access = &model.Access{Allow: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("fd00::/8")},
				Deny: []netip.Prefix{netip.MustParsePrefix("10.1.2.3/32")}}
			blocked := prefix("/blocked", "app")
			own(&blocked).Access = &model.Access{Deny: []netip.Prefix{netip.MustParsePrefix("192.168.7.0/24")}}
			return model.Config{
				Backends: []model.Backend{app},
				Settings: settings,
				Servers:  []model.Server{{Host: "intranet.example.com", Locations: []model.Location{prefix("/", "app"), internal, blocked}}},
			}, rootOptions(goldenRuntimeDir)
		},
		"proxy_protocol": func() (model.Config, Options) {
			settings := edgeSettings()
			settings.Clients.UseProxyProtocol, settings.Clients.ComputeFullForwardedFor = true, true
			settings.Clients.UseForwardedHeaders = true
			settings.Clients.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("172.16.0.0/12")}
			settings.TLS.Protocols, settings.TLS.HSTSPreload = []string{"TLSv1.3"}, true
			return model.Config{
				Backends:           []model.Backend{app},
				DefaultCertificate: testCertificate(t, "default"),
				Settings:           settings,
				Servers:            []model.Server{{Host: "site.example.com", Certificate: testCertificate(t, "site"), Locations: []model.Location{prefix("/", "app")}}},
			}, rootOptions(goldenRuntimeDir)
		},
	}
	r, err := New("")
	require.NoError(t, err)
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cfg, opts := tc()
			out, err := r.Render(cfg, opts)
			require.NoError(t, err)
			checkGolden(t, name, out)
		})
	}
}
