package render

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/testutil"
)

// certsBackend answers, as JSON, the client certificate headers it got.
func certsBackend(t *testing.T) model.Backend {
	return handlerBackend(t, "certs", func(w http.ResponseWriter, r *http.Request) {
		seen := map[string]string{}
		for _, h := range []string{"ssl-client-verify", "ssl-client-subject-dn", "ssl-client-issuer-dn", "ssl-client-cert"} {
			seen[h] = r.Header.Get(h)
		}
		_ = json.NewEncoder(w).Encode(seen)
	})
}

// revocationList returns a PEM revocation list of ca that revokes certs.
func revocationList(t *testing.T, ca testutil.Cert, revoked ...*x509.Certificate) []byte {
	t.Helper()
	now := time.Now()
	list := &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: now.Add(-time.Hour), NextUpdate: now.Add(24 * time.Hour)}
	for _, c := range revoked {
		list.RevokedCertificateEntries = append(list.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: c.SerialNumber, RevocationTime: now.Add(-time.Hour)})
	}
	der, err := x509.CreateRevocationList(rand.Reader, list, ca.Leaf, ca.Key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der})
}

// TestClientCertificates makes real TLS handshakes with and without client
// certificates, and plain HTTP requests, and checks what nginx answers and
// what the backend learns.
func TestClientCertificates(t *testing.T) {
	ca := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"client-ca.test"}, CA: true, ClientAuth: true})
	otherCA := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"other-ca.test"}, CA: true, ClientAuth: true})
	issue := func(name string, issuer *testutil.Cert) *tls.Certificate {
		c := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{name}, Issuer: issuer, ClientAuth: true})
		pair, err := tls.X509KeyPair(c.CertPEM, c.KeyPEM)
		require.NoError(t, err)
		return &pair
	}
	client, revoked, stranger := issue("client.test", &ca), issue("revoked.test", &ca), issue("stranger.test", &otherCA)
	auth := func(verify model.VerifyClient) *model.ClientAuth {
		return &model.ClientAuth{CA: ca.CertPEM, Verify: verify, Depth: 1}
	}
	required := auth(model.VerifyOn)
	required.CRL, required.PassCertificate = revocationList(t, ca, revoked.Leaf), true
	helped := auth(model.VerifyOn)
	helped.ErrorPage = "https://help.test/certificates?from=archway"
	e := newEdgeEnv(t, model.Config{
		Backends:           []model.Backend{certsBackend(t)},
		DefaultCertificate: modelCert(testutil.NewCert(t, testutil.CertOptions{}), "default"),
		Settings:           edgeSettings(),
		Servers: []model.Server{
			{Host: "help.test", ClientAuth: helped, Locations: []model.Location{exact("/x", "certs")}},
			{Host: "mtls.test", ClientAuth: required, Locations: []model.Location{prefix("/", "certs"), redirected(prefix("/app", "certs")),
				exact("/.well-known/acme-challenge/token", "certs")}},
			{Host: "open.test", Locations: []model.Location{prefix("/", "certs")}},
			{Host: "optional.test", ClientAuth: auth(model.VerifyOptional), Locations: []model.Location{prefix("/", "certs")}},
		},
	})
	verified := map[string]string{"ssl-client-verify": "SUCCESS", "ssl-client-subject-dn": "CN=client.test",
		"ssl-client-issuer-dn": "CN=client-ca.test"}
	spoofed := http.Header{"Ssl-Client-Verify": {"SUCCESS"}, "Ssl-Client-Subject-Dn": {"CN=admin"}, "Ssl-Client-Cert": {"x"}}
	nothing := map[string]string{"ssl-client-verify": "", "ssl-client-subject-dn": "", "ssl-client-cert": ""}
	tests := map[string]struct {
		sni        string           // "" for plain HTTP
		cert       *tls.Certificate // sent whatever CAs nginx names
		host, path string
		header     http.Header
		status     int
		location   string
		body       string            // in the body
		seen       map[string]string // by the backend
	}{
		"valid certificate":          {sni: "mtls.test", cert: client, host: "mtls.test", path: "/", status: 200, seen: verified},
		"no certificate":             {sni: "mtls.test", host: "mtls.test", path: "/", status: 400, body: "No required SSL certificate was sent"},
		"certificate of another CA":  {sni: "mtls.test", cert: stranger, host: "mtls.test", path: "/", status: 400, body: "The SSL certificate error"},
		"revoked certificate":        {sni: "mtls.test", cert: revoked, host: "mtls.test", path: "/", status: 400, body: "The SSL certificate error"},
		"no SNI, no certificate":     {sni: "127.0.0.1", host: "mtls.test", path: "/", status: 400},
		"SNI of another host":        {sni: "open.test", cert: client, host: "mtls.test", path: "/", status: http.StatusMisdirectedRequest},
		"plain HTTP":                 {host: "mtls.test", path: "/", header: spoofed, status: 403},
		"plain HTTP, HTTPS redirect": {host: "mtls.test", path: "/app/", status: 308, location: "https://mtls.test:" + strconv.Itoa(e.httpsPort) + "/app"},
		"plain HTTP, no route":       {host: "help.test", path: "/none", status: 403},
		"plain HTTP, ACME challenge": {host: "mtls.test", path: "/.well-known/acme-challenge/token", status: 200, seen: nothing},
		"error page, no certificate": {sni: "help.test", host: "help.test", path: "/x", status: 302, location: "https://help.test/certificates?from=archway"},
		"error page, another CA":     {sni: "help.test", cert: stranger, host: "help.test", path: "/x", status: 302, location: "https://help.test/certificates?from=archway"},
		"error page host, valid":     {sni: "help.test", cert: client, host: "help.test", path: "/x", status: 200, seen: verified},
		"valid, no route":            {sni: "help.test", cert: client, host: "help.test", path: "/none", status: 404},
		"optional, none sent":        {sni: "optional.test", host: "optional.test", path: "/", header: spoofed, status: 200, seen: map[string]string{"ssl-client-verify": "NONE", "ssl-client-subject-dn": "", "ssl-client-cert": ""}},
		"optional, valid":            {sni: "optional.test", cert: client, host: "optional.test", path: "/", status: 200, seen: verified},
		"optional, another CA":       {sni: "optional.test", cert: stranger, host: "optional.test", path: "/", status: 400},
		"optional over plain HTTP":   {host: "optional.test", path: "/", header: spoofed, status: 200, seen: nothing},
		"other hosts ask for none":   {sni: "open.test", host: "open.test", path: "/", status: 200},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var config *tls.Config
			if tc.sni != "" {
				config = &tls.Config{ServerName: tc.sni, InsecureSkipVerify: true, NextProtos: []string{"h2", "http/1.1"}}
				if tc.cert != nil {
					config.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return tc.cert, nil }
				}
			}
			got := e.send(t, config, tc.host, tc.path, "", tc.header)
			require.Equal(t, tc.status, got.status, got.body)
			require.Equal(t, tc.location, got.header.Get("Location"))
			require.Contains(t, got.body, tc.body)
			for h, want := range tc.seen {
				require.Equal(t, want, got.seen(t)[h], h)
			}
		})
	}
	t.Run("the certificate reaches the backend", func(t *testing.T) {
		config := &tls.Config{ServerName: "mtls.test", InsecureSkipVerify: true, Certificates: []tls.Certificate{*client}}
		got := e.send(t, config, "mtls.test", "/", "", nil)
		require.Equal(t, 200, got.status, got.body)
		unescaped, err := url.PathUnescape(got.seen(t)["ssl-client-cert"])
		require.NoError(t, err)
		block, _ := pem.Decode([]byte(unescaped))
		require.NotNil(t, block, unescaped)
		require.Equal(t, client.Leaf.Raw, block.Bytes)
	})
}

// TestClientCAFiles checks the files of client certificates: one per
// content, readable by the workers, renamed when the Secret rotates.
func TestClientCAFiles(t *testing.T) {
	r, err := New("")
	require.NoError(t, err)
	ca, crl := testdataFile(t, "client-auth/ca.crt"), testdataFile(t, "client-auth/ca.crl")
	server := func(host string, a *model.ClientAuth) model.Server {
		return model.Server{Host: host, ClientAuth: a, Locations: []model.Location{prefix("/", "app")}}
	}
	cfg := model.Config{
		Backends:           []model.Backend{backend("app", 80, "10.0.0.1")},
		DefaultCertificate: testCertificate(t, "default"),
		Settings:           edgeSettings(),
		Servers: []model.Server{
			server("a.example.com", &model.ClientAuth{CA: ca, CRL: crl, Verify: model.VerifyOn, Depth: 1}),
			server("b.example.com", &model.ClientAuth{CA: ca, Verify: model.VerifyOptional, Depth: 3}),
		},
	}
	files := func(out Output) map[string][]byte {
		got := map[string][]byte{}
		for _, f := range out.Files {
			if strings.HasPrefix(f.Name, clientCADir+"/") {
				require.Equal(t, 0o644, int(f.Mode), f.Name)
				require.Contains(t, string(out.Files[0].Data), goldenRuntimeDir+"/"+f.Name, "nginx.conf names %s", f.Name)
				got[f.Name] = f.Data
			}
		}
		return got
	}
	out, err := r.Render(cfg, rootOptions(goldenRuntimeDir))
	require.NoError(t, err)
	before := files(out)
	require.Len(t, before, 2, "one CA file for both servers, and the CRL")
	conf := string(out.Files[0].Data)
	require.Equal(t, 3, strings.Count(conf, "ssl_certificate_key "+`"`+goldenRuntimeDir+"/"+tlsDir),
		"a TLS context for the catch-all and for each server with client certificates")
	require.Equal(t, 1, strings.Count(conf, "ssl_crl "))

	cfg.Servers[0].ClientAuth.CA = testdataFile(t, "backend-tls/ca.crt")
	rotated, err := r.Render(cfg, rootOptions(goldenRuntimeDir))
	require.NoError(t, err)
	after := files(rotated)
	require.Len(t, after, 3)
	require.NotEqual(t, out.Version, rotated.Version)
	for name, data := range after {
		if _, kept := before[name]; !kept {
			require.True(t, bytes.Equal(cfg.Servers[0].ClientAuth.CA, data), "the new file holds the new CA")
		}
	}
}

// TestClientAuthRejects feeds render client certificate settings that
// package build would never make.
func TestClientAuthRejects(t *testing.T) {
	ca := testdataFile(t, "client-auth/ca.crt")
	tests := map[string]struct {
		host    string
		auth    model.ClientAuth
		wantErr string
	}{
		"verify mode":          {host: "a.test", auth: model.ClientAuth{CA: ca, Verify: "on; ssl_engine x", Depth: 1}, wantErr: "verify mode"},
		"no CA":                {host: "a.test", auth: model.ClientAuth{Verify: model.VerifyOn, Depth: 1}, wantErr: "no CA"},
		"depth":                {host: "a.test", auth: model.ClientAuth{CA: ca, Verify: model.VerifyOn}, wantErr: "depth 0"},
		"error page scheme":    {host: "a.test", auth: model.ClientAuth{CA: ca, Verify: model.VerifyOn, Depth: 1, ErrorPage: "/x"}, wantErr: "not an http(s) URL"},
		"error page variable":  {host: "a.test", auth: model.ClientAuth{CA: ca, Verify: model.VerifyOn, Depth: 1, ErrorPage: "https://a.test/$host"}, wantErr: `contains '$'`},
		"the catch-all server": {auth: model.ClientAuth{CA: ca, Verify: model.VerifyOn, Depth: 1}, wantErr: "catch-all"},
	}
	r, err := New("")
	require.NoError(t, err)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := r.Render(model.Config{DefaultCertificate: testCertificate(t, "default"), Settings: edgeSettings(),
				Servers: []model.Server{{Host: tc.host, ClientAuth: &tc.auth}}}, rootOptions("/run/archway"))
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}
