package render

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"net/netip"
	"strconv"
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

// members returns the names of out's payload members with prefix, and
// their values.
func members(out Output, prefix string) map[string]string {
	found := map[string]string{}
	for _, m := range out.Endpoints {
		if strings.HasPrefix(m.Name, prefix) {
			found[strings.TrimPrefix(m.Name, prefix)] = string(m.JSON)
		}
	}
	return found
}

// TestCertificateFiles writes the default certificate alone as a file and
// pushes hosts' certificates: a renewal changes the payload, never
// nginx.conf.
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
	require.Len(t, files, 1, "the default certificate's file alone")
	require.Equal(t, 0o600, int(files[0].Mode), "key material is for archway's user only")
	require.Equal(t, append(bytes.Clone(def.Chain), def.Key...), files[0].Data)
	conf := string(out.Files[0].Data)
	require.Equal(t, 2, strings.Count(conf, goldenRuntimeDir+"/"+files[0].Name), "the catch-all server's ssl_certificate and ssl_certificate_key")
	require.NotContains(t, conf, string(site.Key))
	certs := members(out, certificateMember)
	require.Len(t, certs, 1, "one member per certificate, however many servers use it")
	for id, value := range certs {
		require.Equal(t, `"`+base64.StdEncoding.EncodeToString(append(bytes.Clone(site.Chain), site.Key...))+`"`, value)
		require.Equal(t, map[string]string{"a.example.com": `"` + id + `"`, "b.example.com": `"` + id + `"`}, members(out, hostMember))
	}

	// A renewed certificate changes the payload alone.
	cfg.Servers[1].Certificate = testCertificate(t, "wild")
	renewed, err := r.Render(cfg, rootOptions(goldenRuntimeDir))
	require.NoError(t, err)
	require.Equal(t, out.Version, renewed.Version)
	require.Equal(t, out.Files, renewed.Files)
	require.Len(t, members(renewed, certificateMember), 2)
	require.NotEqual(t, members(out, hostMember)["b.example.com"], members(renewed, hostMember)["b.example.com"])

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

// TestCertificateMembers names a certificate for each host and alias of a
// server with one, and the default one ("") for exact hosts that a
// wildcard host with a certificate would otherwise cover.
func TestCertificateMembers(t *testing.T) {
	site, wild := testCertificate(t, "site"), testCertificate(t, "wild")
	servers := []model.Server{
		{Host: ""},
		{Host: "a.example.com", Certificate: site, Aliases: []string{"www.example.org"}},
		{Host: "*.example.com", Certificate: wild},
		{Host: "plain.example.com", Aliases: []string{"alias.example.com", "other.test"}},
		{Host: "plain.example.org"},
		{Host: "*.example.org"},
	}
	got := certificateEntries(model.Config{Servers: servers})
	var names []string
	for _, m := range got {
		names = append(names, m.Name)
	}
	hosts := map[string]string{}
	for _, m := range got[2:] {
		hosts[strings.TrimPrefix(m.Name, hostMember)] = strings.Trim(string(m.JSON), `"`)
	}
	siteID, wildID := hosts["a.example.com"], hosts["*.example.com"]
	require.NotEqual(t, siteID, wildID)
	require.ElementsMatch(t, []string{certificateMember + siteID, certificateMember + wildID}, names[:2])
	require.Equal(t, map[string]string{
		"a.example.com": siteID, "www.example.org": siteID, "*.example.com": wildID,
		"plain.example.com": "", "alias.example.com": "",
	}, hosts)
	require.IsIncreasing(t, names)

	// With a catch-all certificate, every name of a server without one
	// keeps the default: "*" would take it otherwise.
	got = certificateEntries(model.Config{Servers: servers, CatchAllCertificate: wild})
	hosts = map[string]string{}
	for _, m := range got[2:] {
		hosts[strings.TrimPrefix(m.Name, hostMember)] = strings.Trim(string(m.JSON), `"`)
	}
	require.Equal(t, map[string]string{
		"a.example.com": siteID, "www.example.org": siteID, "*.example.com": wildID, "*": wildID,
		"plain.example.com": "", "alias.example.com": "", "other.test": "", "plain.example.org": "", "*.example.org": "",
	}, hosts)

	// A wildcard of any depth covers the names of every depth below it.
	got = certificateEntries(model.Config{Servers: []model.Server{
		{Host: "*.gw.test", AnyDepth: true, Certificate: wild},
		{Host: "a.b.gw.test"}, {Host: "*.x.gw.test"}, {Host: "other.test"}, {Host: "gw.test"},
	}})
	hosts = map[string]string{}
	for _, m := range got[1:] {
		hosts[strings.TrimPrefix(m.Name, hostMember)] = strings.Trim(string(m.JSON), `"`)
	}
	require.Equal(t, map[string]string{"**.gw.test": wildID, "a.b.gw.test": "", "*.x.gw.test": ""}, hosts)
}

// TestSessionResumption resumes TLS sessions of hosts whose certificates
// come from shared memory, from the session cache (TLS 1.3; Go's client
// resumes TLS 1.2 from tickets only) and from tickets (TLS 1.2 and 1.3),
// and a resumed session stays its host's: another host's SNI gets its own
// certificate.
func TestSessionResumption(t *testing.T) {
	site, wild := testCertificate(t, "site"), testCertificate(t, "wild")
	leaf := func(c *model.Certificate) []byte {
		block, _ := pem.Decode(c.Chain)
		return block.Bytes
	}
	for _, tickets := range []bool{false, true} {
		cfg := model.Config{Backends: liveBackends(t, "app"), DefaultCertificate: testCertificate(t, "default"), Settings: edgeSettings(),
			Servers: []model.Server{
				{Host: "a.example.com", Certificate: site, Locations: []model.Location{prefix("/", "app")}},
				{Host: "b.example.com", Certificate: wild, Locations: []model.Location{prefix("/", "app")}},
			}}
		cfg.Settings.TLS.SessionTickets = tickets
		opts := serveOnFreePorts(t, cfg)
		versions := []uint16{tls.VersionTLS13}
		if tickets {
			versions = append(versions, tls.VersionTLS12)
		}
		for _, version := range versions {
			cache := tls.NewLRUClientSessionCache(8)
			handshake := func(host string) tls.ConnectionState {
				conn, err := tls.Dial("tcp", "127.0.0.1:"+strconv.Itoa(opts.HTTPSPort), &tls.Config{ServerName: host,
					InsecureSkipVerify: true, ClientSessionCache: cache, MinVersion: version, MaxVersion: version})
				require.NoError(t, err)
				defer conn.Close()
				// TLS 1.3 tickets arrive after the handshake, with the first read.
				_, _ = fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", host)
				_, _ = io.ReadAll(conn)
				return conn.ConnectionState()
			}
			what := fmt.Sprintf("TLS version %x, tickets %v", version, tickets)
			first := handshake("a.example.com")
			require.False(t, first.DidResume, what)
			require.Equal(t, leaf(site), first.PeerCertificates[0].Raw, what)
			again := handshake("a.example.com")
			require.True(t, again.DidResume, what)
			require.Equal(t, leaf(site), again.PeerCertificates[0].Raw, what)
			other := handshake("b.example.com")
			require.False(t, other.DidResume, what)
			require.Equal(t, leaf(wild), other.PeerCertificates[0].Raw, what)
		}
	}
}
