package render

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	mathrand "math/rand/v2"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/testutil"
)

// certsBackend answers the client certificate headers it got.
func certsBackend(t *testing.T) model.Backend {
	return headersBackend(t, "certs", "ssl-client-verify", "ssl-client-subject-dn", "ssl-client-issuer-dn", "ssl-client-cert")
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
	client1, client2, client10 := issue("client1.test", &ca), issue("client2.test", &ca), issue("client10.test", &ca)
	auth := func(verify model.VerifyClient) *model.ClientAuth {
		return &model.ClientAuth{CA: ca.CertPEM, Verify: verify, Depth: 1}
	}
	required := auth(model.VerifyOn)
	required.CRL, required.PassCertificate = revocationList(t, ca, revoked.Leaf), true
	helped := auth(model.VerifyOn)
	helped.ErrorPage = "https://help.test/certificates?from=archway"
	// auth-tls-match-cn, anchored and not.
	matched, optionalMatched := auth(model.VerifyOn), auth(model.VerifyOptional)
	matched.MatchCN, optionalMatched.MatchCN = "^CN=(client1|client2).test$", "client1"
	acme := exact("/.well-known/acme-challenge/token", "certs")
	e := newEdgeEnv(t, model.Config{
		Backends:           []model.Backend{certsBackend(t)},
		DefaultCertificate: modelCert(testutil.NewCert(t, testutil.CertOptions{}), "default"),
		Settings:           edgeSettings(),
		Servers: []model.Server{
			{Host: "help.test", ClientAuth: helped, Locations: []model.Location{exact("/x", "certs")}},
			{Host: "mtls.test", ClientAuth: required, Locations: []model.Location{prefix("/", "certs"), redirected(prefix("/app", "certs")), acme}},
			{Host: "cn.test", ClientAuth: matched, Locations: []model.Location{prefix("/", "certs"), redirected(prefix("/app", "certs")), acme}},
			{Host: "cn-optional.test", ClientAuth: optionalMatched, Locations: []model.Location{prefix("/", "certs"), acme}},
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
		"match-cn, matching":         {sni: "cn.test", cert: client1, host: "cn.test", path: "/", status: 200, seen: map[string]string{"ssl-client-subject-dn": "CN=client1.test"}},
		"match-cn, other alternative": {sni: "cn.test", cert: client2, host: "cn.test", path: "/app", status: 200,
			seen: map[string]string{"ssl-client-subject-dn": "CN=client2.test"}},
		"match-cn, not matching":             {sni: "cn.test", cert: client, host: "cn.test", path: "/", status: 403},
		"match-cn, anchored":                 {sni: "cn.test", cert: client10, host: "cn.test", path: "/", status: 403},
		"match-cn, not matching, ACME":       {sni: "cn.test", cert: client, host: "cn.test", path: "/.well-known/acme-challenge/token", status: 403},
		"match-cn, no certificate":           {sni: "cn.test", host: "cn.test", path: "/", status: 400},
		"match-cn, plain HTTP":               {host: "cn.test", path: "/", header: spoofed, status: 403},
		"match-cn, plain HTTP, redirect":     {host: "cn.test", path: "/app/", status: 308, location: "https://cn.test:" + strconv.Itoa(e.httpsPort) + "/app"},
		"match-cn, plain HTTP, ACME":         {host: "cn.test", path: "/.well-known/acme-challenge/token", status: 200, seen: nothing},
		"match-cn optional, matching":        {sni: "cn-optional.test", cert: client10, host: "cn-optional.test", path: "/", status: 200, seen: map[string]string{"ssl-client-verify": "SUCCESS"}},
		"match-cn optional, not matching":    {sni: "cn-optional.test", cert: client2, host: "cn-optional.test", path: "/", status: 403},
		"match-cn optional, none sent":       {sni: "cn-optional.test", host: "cn-optional.test", path: "/", header: spoofed, status: 403},
		"match-cn optional, another CA":      {sni: "cn-optional.test", cert: stranger, host: "cn-optional.test", path: "/", status: 400},
		"match-cn optional, plain HTTP":      {host: "cn-optional.test", path: "/", header: spoofed, status: 403},
		"match-cn optional, plain HTTP ACME": {host: "cn-optional.test", path: "/.well-known/acme-challenge/token", status: 200, seen: nothing},
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
// package builder would never make.
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
		"match-cn breakout": {host: "a.test", auth: model.ClientAuth{CA: ca, Verify: model.VerifyOn, Depth: 1, MatchCN: `CN=a") { return 200; } if ($x ~ "`},
			wantErr: "auth-tls-match-cn"},
		"match-cn variable": {host: "a.test", auth: model.ClientAuth{CA: ca, Verify: model.VerifyOn, Depth: 1, MatchCN: "CN=$host"},
			wantErr: "auth-tls-match-cn"},
		"match-cn matching all": {host: "a.test", auth: model.ClientAuth{CA: ca, Verify: model.VerifyOn, Depth: 1, MatchCN: "CN=a|"},
			wantErr: "empty subject"},
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

// matchCNConf is a minimal nginx.conf that checks each quoted regex as
// server.tmpl does.
func matchCNConf(regexes []string) []File {
	var b strings.Builder
	b.WriteString("pid pid;\nevents {}\nhttp {\n    access_log off;\n    server {\n        listen 127.0.0.1:8080;\n")
	for _, re := range regexes {
		b.WriteString("        if ($ssl_client_s_dn ~ " + re + ") {\n            return 403;\n        }\n")
	}
	b.WriteString("    }\n}\n")
	return []File{{Name: ConfigFile, Data: []byte(b.String()), Mode: 0o644}}
}

// TestMatchCNAgreesWithPCRE checks the claim of grammar.CheckMatchCN that
// Go's regexp answers for nginx's PCRE on the subset it accepts: every
// accepted regex of a seeded random corpus, and of hand-picked corners,
// compiles in nginx; and the corners where they differ are refused.
func TestMatchCNAgreesWithPCRE(t *testing.T) {
	accepted := []string{"CN=client1", "CN=(client1|client2)", "O=Example", "^CN=client1(,|$)", "(?i)cn=a", "(?U)CN=a+b",
		"(?i-s)CN=.*b", "x(^)*y", "x()*y", "(a$)*b", "CN=a+?b??c*?", "CN=a|^O=b$", "CN=a b,O=c-d_e"}
	tokens := []string{"a", "C", "N", "=", ",", ".", " ", "_", "-", "*", "+", "?", "(", ")", "|", "^", "$", "(?i)", "(?U)", "(?s)", "(?m-i)", "()"}
	random := mathrand.New(mathrand.NewPCG(1, 2))
	for len(accepted) < 2000 {
		var b strings.Builder
		for range 1 + random.IntN(10) {
			b.WriteString(tokens[random.IntN(len(tokens))])
		}
		if grammar.CheckMatchCN(b.String()) == nil {
			accepted = append(accepted, b.String())
		}
	}
	quoted := make([]string, len(accepted))
	for i, re := range accepted {
		require.NoError(t, grammar.CheckMatchCN(re), re)
		var err error
		quoted[i], err = matchCNToken(re)
		require.NoError(t, err, re)
	}
	nginxCheck(t, t.TempDir(), matchCNConf(quoted))

	// Go compiles these; PCRE refuses them.
	for _, re := range []string{"a^+b", "a|$*", "a^?b", "a(?i)+b", "a(?i)*"} {
		t.Run(re, func(t *testing.T) {
			_, err := regexp.Compile(re)
			require.NoError(t, err, "Go compiles it")
			require.Error(t, grammar.CheckMatchCN(re))
			dir := t.TempDir()
			path := writeFiles(t, dir, matchCNConf([]string{`"` + re + `"`}))
			out, err := exec.Command(nginxBinary(t), "-t", "-p", dir, "-c", path, "-e", "stderr").CombinedOutput()
			require.Error(t, err, "nginx refuses it")
			require.Contains(t, string(out), "pcre2_compile() failed")
		})
	}
}
