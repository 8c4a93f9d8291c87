package render

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

// certFiles returns the certificate files of out.
func certFiles(out Output) []File {
	var files []File
	for _, f := range out.Files {
		if strings.HasPrefix(f.Name, tlsDir+"/") {
			files = append(files, f)
		}
	}
	return files
}

func TestCertificateFiles(t *testing.T) {
	r, err := New("")
	require.NoError(t, err)
	def, site := testCertificate(t, "default"), testCertificate(t, "site")
	cfg := model.Config{
		Backends:           []model.Backend{backend("app", 80, "10.0.0.1")},
		DefaultCertificate: def,
		Settings:           edgeSettings(),
		Servers: []model.Server{
			{Host: "a.example.com", Certificate: site, Locations: []model.Location{prefix("/", "app")}},
			{Host: "b.example.com", Certificate: site, Locations: []model.Location{prefix("/", "app")}},
		},
	}
	out, err := r.Render(cfg, rootOptions(goldenRuntimeDir))
	require.NoError(t, err)
	files := certFiles(out)
	require.Len(t, files, 2, "one file per certificate, however many servers use it")
	for _, f := range files {
		require.Equal(t, 0o600, int(f.Mode), "key material is for archway's user only")
		// One use each: the http block's default, and the server that
		// a.example.com and b.example.com share (shared.go).
		if !bytes.HasSuffix(f.Data, site.Key) {
			require.Equal(t, append(bytes.Clone(def.Chain), def.Key...), f.Data)
		}
		require.Equal(t, 2, bytes.Count(out.Files[0].Data, []byte(goldenRuntimeDir+"/"+f.Name)),
			"ssl_certificate and ssl_certificate_key name %s once per use", f.Name)
	}

	// A rotated certificate is a new file, so its config differs.
	cfg.Servers[1].Certificate = testCertificate(t, "wild")
	rotated, err := r.Render(cfg, rootOptions(goldenRuntimeDir))
	require.NoError(t, err)
	require.Len(t, certFiles(rotated), 3)
	require.NotEqual(t, out.Version, rotated.Version)

	// Without a default certificate there is no HTTPS listener at all.
	cfg.DefaultCertificate = nil
	cfg.Servers = cfg.Servers[:0]
	plain, err := r.Render(cfg, rootOptions(goldenRuntimeDir))
	require.NoError(t, err)
	require.Empty(t, certFiles(plain))
	require.NotContains(t, string(plain.Files[0].Data), "ssl_certificate")
	require.NotContains(t, string(plain.Files[0].Data), " ssl http2")
}

func TestEdgeRejects(t *testing.T) {
	r, err := New("")
	require.NoError(t, err)
	tests := map[string]struct {
		change func(*model.Config, *Options)
		err    string
	}{
		"certificate without a key": {change: func(c *model.Config, _ *Options) { c.DefaultCertificate.Key = nil }, err: "has no chain or key"},
		"unknown TLS protocol":      {change: func(c *model.Config, _ *Options) { c.Settings.TLS.Protocols = []string{"SSLv3"} }, err: "SSLv3"},
		"no TLS protocol":           {change: func(c *model.Config, _ *Options) { c.Settings.TLS.Protocols = nil }, err: "no TLS protocol"},
		"ciphers breaking out":      {change: func(c *model.Config, _ *Options) { c.Settings.TLS.Ciphers = `HIGH"; ssl_engine x; "` }, err: "may not reach nginx.conf"},
		"HTTPS port":                {change: func(_ *model.Config, o *Options) { o.HTTPSPort = 0 }, err: "HTTPS port 0"},
		"header name": {change: func(c *model.Config, _ *Options) {
			c.Settings.Clients.UseForwardedHeaders, c.Settings.Clients.ForwardedForHeader = true, "X;Y"
		}, err: "forwarded-for-header"},
		"unmasked CIDR": {change: func(c *model.Config, _ *Options) {
			c.Settings.Clients.Allow = []netip.Prefix{netip.PrefixFrom(netip.MustParseAddr("10.1.2.3"), 8)}
		}, err: "not a masked CIDR"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := model.Config{DefaultCertificate: testCertificate(t, "default"), Settings: edgeSettings()}
			opts := rootOptions(goldenRuntimeDir)
			tc.change(&cfg, &opts)
			_, err := r.Render(cfg, opts)
			require.ErrorContains(t, err, tc.err)
		})
	}
}
