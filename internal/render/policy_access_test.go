package render

import (
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

// shaHash is an htpasswd {SHA} hash, which nginx reads.
func shaHash(password string) string {
	sum := sha1.Sum([]byte(password))
	return "{SHA}" + base64.StdEncoding.EncodeToString(sum[:])
}

func TestAnnotationAuth(t *testing.T) {
	var authCalls atomic.Int32
	auth := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		authCalls.Add(1)
		w.Header().Set("X-Seen-Original-URL", r.Header.Get("X-Original-URL"))
		switch {
		case r.Header.Get("Content-Length") != "" || r.ContentLength > 0:
			w.WriteHeader(http.StatusBadRequest) // the body must not reach the auth service
		case r.Header.Get("Authorization") == "Bearer good" && r.URL.Path == "/check" && r.Method == http.MethodGet:
			w.Header().Set("X-Auth-Request-User", "alice")
			w.Header().Set("X-Not-Copied", "x")
		case r.Header.Get("Authorization") == "Bearer forbidden":
			w.WriteHeader(http.StatusForbidden)
		default:
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	t.Cleanup(auth.Close)
	authURL := auth.URL + "/check"
	basic := annotated(t, map[string]string{"auth-type": "basic", "auth-secret": "users", "auth-realm": "Staff only"})
	basic.BasicAuth = &model.BasicAuth{Realm: "Staff only", Credentials: []model.Credential{
		{User: "alice", Hash: shaHash("wonderland")}, {User: "bob", Hash: shaHash("builder")}}}
	e := newAnnotationEnv(t, model.Config{
		Backends: []model.Backend{handlerBackend(t, "app", echo("app"))},
		Servers: []model.Server{{Host: "auth.test", Locations: []model.Location{
			with(prefix("/basic", "app"), "basic", basic),
			with(prefix("/ext", "app"), "ext", annotated(t, map[string]string{"auth-url": authURL,
				"auth-response-headers": "X-Auth-Request-User"})),
			with(prefix("/signin", "app"), "signin", annotated(t, map[string]string{"auth-url": authURL,
				"auth-signin": "https://login.test/start"})),
			with(prefix("/authelia", "app"), "authelia", annotated(t, map[string]string{"auth-url": authURL,
				"auth-signin": "https://login.test/?rm=$request_method"})),
			with(prefix("/cached", "app"), "cached", annotated(t, map[string]string{"auth-url": authURL,
				"auth-cache-key": "$http_authorization", "auth-cache-duration": "200 1m"})),
			prefix("/open", "app"),
		}}},
	})
	bearer := func(token string) http.Header { return http.Header{"Authorization": {"Bearer " + token}} }
	basicAuth := func(user, password string) http.Header {
		return http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))}}
	}
	e.check(t, map[string]exchange{
		"basic: no credentials":             {host: "auth.test", path: "/basic/x", status: 401, wantHeaders: map[string]string{"WWW-Authenticate": `Basic realm="Staff only"`}},
		"basic: wrong password":             {host: "auth.test", path: "/basic/x", header: basicAuth("alice", "builder"), status: 401},
		"basic: unknown user":               {host: "auth.test", path: "/basic", header: basicAuth("eve", "wonderland"), status: 401},
		"basic: alice":                      {host: "auth.test", path: "/basic/x", header: basicAuth("alice", "wonderland"), status: 200, wantBody: "app /basic/x"},
		"basic: bob":                        {host: "auth.test", path: "/basic", header: basicAuth("bob", "builder"), status: 200},
		"external: no token":                {host: "auth.test", path: "/ext/x", status: 401},
		"external: forbidden":               {host: "auth.test", path: "/ext/x", header: bearer("forbidden"), status: 403},
		"external: allowed, no body":        {method: http.MethodPost, host: "auth.test", path: "/ext/x?show=X-Auth-Request-User&show=X-Not-Copied", header: bearer("good"), body: "payload", status: 200, wantBody: "app /ext/x?show=X-Auth-Request-User&show=X-Not-Copied", wantHeaders: map[string]string{"X-Seen-X-Auth-Request-User": "alice", "X-Seen-X-Not-Copied": ""}},
		"external: sign-in redirect":        {host: "auth.test", path: "/signin/x?a=1", status: 302, wantHeaders: map[string]string{"Location": "https://login.test/start?rd=http://auth.test%2Fsignin%2Fx%3Fa%3D1"}},
		"external: sign-in with the method": {host: "auth.test", path: "/authelia/x", status: 302, wantHeaders: map[string]string{"Location": "https://login.test/?rm=GET&rd=http://auth.test%2Fauthelia%2Fx"}},
		"external: sign-in passes":          {host: "auth.test", path: "/signin/x", header: bearer("good"), status: 200},
		"no auth elsewhere":                 {host: "auth.test", path: "/open", status: 200},
	})
	t.Run("external auth responses are cached by key", func(t *testing.T) {
		before := authCalls.Load()
		for range 3 {
			resp, _ := e.do(t, http.MethodGet, "auth.test", "/cached/x", bearer("good"), "")
			require.Equal(t, http.StatusOK, resp.StatusCode)
		}
		require.Equal(t, before+1, authCalls.Load(), "one auth request, then the cache")
		resp, _ := e.do(t, http.MethodGet, "auth.test", "/cached/x", bearer("other"), "")
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "another key asks again")
		require.Equal(t, before+2, authCalls.Load())
	})
}

func TestAnnotationCORSAndErrors(t *testing.T) {
	status := handlerBackend(t, "status", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.URL.Query().Get("code"))
		w.WriteHeader(max(code, 200))
		fmt.Fprint(w, "backend says ", code)
	})
	errorsBackend := handlerBackend(t, "errors", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.Header.Get("X-Code"))
		if code == 0 {
			fmt.Fprintf(w, "fallback %s", r.URL.RequestURI())
			return
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, "error page %d for %s/%s %s %s", code, r.Header.Get("X-Namespace"), r.Header.Get("X-Ingress-Name"),
			r.Header.Get("X-Service-Name"), r.Header.Get("X-Original-URI"))
	})
	pages := annotated(t, map[string]string{"custom-http-errors": "404,418"})
	pages.Errors = &model.ErrorPages{Codes: []int{404, 418}, Backend: "errors"}
	global := annotated(t, map[string]string{"custom-http-errors": "404"})
	global.Errors = &model.ErrorPages{Codes: []int{404}}
	fallback := annotated(t, map[string]string{"default-backend": "errors"})
	fallback.Errors = &model.ErrorPages{Backend: "errors"}
	e := newAnnotationEnv(t, model.Config{
		DefaultBackend: "errors",
		Backends:       []model.Backend{handlerBackend(t, "app", echo("app")), status, errorsBackend, backend("empty", 80)},
		Servers: []model.Server{{Host: "web.test", Locations: []model.Location{
			with(prefix("/", "app"), "cors", annotated(t, map[string]string{"enable-cors": "true",
				"cors-allow-origin": "https://app.test, https://*.example.org:8443", "cors-expose-headers": "X-Total", "cors-max-age": "600"})),
			with(prefix("/any", "app"), "any", annotated(t, map[string]string{"enable-cors": "true", "cors-allow-credentials": "false"})),
			with(prefix("/pages", "status"), "pages", pages),
			with(prefix("/global", "status"), "global", global),
			with(prefix("/fallback", "empty"), "fallback", fallback),
			with(prefix("/missing", ""), "missing", fallback),
		}}},
	})
	origin := func(o string) http.Header {
		return http.Header{"Origin": {o}, "Access-Control-Request-Method": {"PUT"}}
	}
	e.check(t, map[string]exchange{
		"preflight from an allowed origin": {method: http.MethodOptions, host: "web.test", path: "/x", header: origin("https://app.test"), status: 204,
			wantHeaders: map[string]string{"Access-Control-Allow-Origin": "https://app.test", "Access-Control-Allow-Credentials": "true",
				"Access-Control-Allow-Methods": "GET, PUT, POST, DELETE, PATCH, OPTIONS", "Access-Control-Max-Age": "600", "Vary": "Origin"}},
		"preflight from a wildcard subdomain": {method: http.MethodOptions, host: "web.test", path: "/x", header: origin("https://a-1.example.org:8443"), status: 204,
			wantHeaders: map[string]string{"Access-Control-Allow-Origin": "https://a-1.example.org:8443"}},
		"wildcard is one label":         {method: http.MethodOptions, host: "web.test", path: "/x", header: origin("https://a.b.example.org:8443"), status: 204, wantHeaders: map[string]string{"Access-Control-Allow-Origin": ""}},
		"wildcard needs the port":       {method: http.MethodOptions, host: "web.test", path: "/x", header: origin("https://a.example.org"), status: 204, wantHeaders: map[string]string{"Access-Control-Allow-Origin": ""}},
		"preflight from another origin": {method: http.MethodOptions, host: "web.test", path: "/x", header: origin("https://evil.test"), status: 204, wantHeaders: map[string]string{"Access-Control-Allow-Origin": ""}},
		"simple request gets headers": {host: "web.test", path: "/x", header: http.Header{"Origin": {"https://app.test"}}, status: 200, wantBody: "app /x",
			wantHeaders: map[string]string{"Access-Control-Allow-Origin": "https://app.test", "Access-Control-Expose-Headers": "X-Total"}},
		"any origin": {method: http.MethodOptions, host: "web.test", path: "/any", header: origin("https://whoever.test"), status: 204,
			wantHeaders: map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": ""}},
		"custom error page":         {host: "web.test", path: "/pages/x?code=404", status: 404, wantBody: "error page 404 for web/pages status /pages/x?code=404"},
		"another custom code":       {host: "web.test", path: "/pages/x?code=418", status: 418, wantBody: "error page 418 for web/pages status /pages/x?code=418"},
		"other codes pass":          {host: "web.test", path: "/pages/x?code=500", status: 500, wantBody: "backend says 500"},
		"success passes":            {host: "web.test", path: "/pages/x", status: 200, wantBody: "backend says 0"},
		"global default backend":    {host: "web.test", path: "/global?code=404", status: 404, wantBody: "error page 404 for web/global status /global?code=404"},
		"fallback for no endpoints": {host: "web.test", path: "/fallback/x", status: 200, wantBody: "fallback /fallback/x"},
		"fallback for no Service":   {host: "web.test", path: "/missing", status: 200, wantBody: "fallback /missing"},
	})
}

func TestAnnotationBackendTLS(t *testing.T) {
	plain := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "tls %s", r.TLS.ServerName)
	}))
	t.Cleanup(plain.Close)
	clientCert := testdataFile(t, "backend-tls/client.crt")
	block, _ := pem.Decode(clientCert)
	parsed, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	mtls := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "mtls %s", r.TLS.PeerCertificates[0].Subject.CommonName)
	}))
	mtls.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: x509.NewCertPool()}
	mtls.TLS.ClientCAs.AddCert(parsed)
	mtls.StartTLS()
	t.Cleanup(mtls.Close)
	serverCA := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: plain.Certificate().Raw})
	tlsBackend := func(name string, srv *httptest.Server) model.Backend {
		u, err := url.Parse(srv.URL)
		require.NoError(t, err)
		port, err := strconv.Atoi(u.Port())
		require.NoError(t, err)
		return backend(name, int32(port), u.Hostname())
	}
	https := func(values map[string]string, tlsConfig *model.BackendTLS) model.Policy {
		p := annotated(t, values)
		if tlsConfig != nil {
			p.BackendTLS = tlsConfig
		}
		return p
	}
	e := newAnnotationEnv(t, model.Config{
		Backends: []model.Backend{tlsBackend("tls", plain), tlsBackend("mtls", mtls)},
		Servers: []model.Server{{Host: "tls.test", Locations: []model.Location{
			with(prefix("/https", "tls"), "https", https(map[string]string{"backend-protocol": "HTTPS"}, nil)),
			with(prefix("/legacy", "tls"), "legacy", https(map[string]string{"secure-backends": "true"}, nil)),
			with(prefix("/plain", "tls"), "plain", model.Policy{}),
			with(prefix("/verified", "tls"), "verified", https(map[string]string{"backend-protocol": "HTTPS", "proxy-ssl-server-name": "on"},
				&model.BackendTLS{Verify: true, TrustedCA: serverCA, ServerName: "example.com", SNI: true})),
			with(prefix("/untrusted", "tls"), "untrusted", https(map[string]string{"backend-protocol": "HTTPS"},
				&model.BackendTLS{Verify: true, TrustedCA: testdataFile(t, "backend-tls/ca.crt"), ServerName: "example.com"})),
			with(prefix("/client-cert", "mtls"), "client-cert", https(map[string]string{"backend-protocol": "HTTPS"},
				&model.BackendTLS{ClientCertificate: clientCert, ClientKey: testdataFile(t, "backend-tls/client.key")})),
			with(prefix("/no-client-cert", "mtls"), "no-client-cert", https(map[string]string{"backend-protocol": "HTTPS"}, nil)),
		}}},
	})
	e.check(t, map[string]exchange{
		"HTTPS backend, no SNI":          {host: "tls.test", path: "/https", status: 200, wantBody: "tls "},
		"secure-backends":                {host: "tls.test", path: "/legacy", status: 200, wantBody: "tls "},
		"HTTP to an HTTPS backend fails": {host: "tls.test", path: "/plain", status: 400},
		"verified with SNI":              {host: "tls.test", path: "/verified", status: 200, wantBody: "tls example.com"},
		"untrusted certificate":          {host: "tls.test", path: "/untrusted", status: 502},
		"client certificate":             {host: "tls.test", path: "/client-cert", status: 200, wantBody: "mtls archway-test-client"},
		"no client certificate":          {host: "tls.test", path: "/no-client-cert", status: 502},
	})
}

// TestAnnotationGRPC proxies through grpc_pass to an HTTP/2 cleartext
// backend, as nginx speaks to gRPC servers.
func TestAnnotationGRPC(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/grpc")
		w.Header().Set("Trailer", "Grpc-Status")
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s %s %s", r.Proto, r.URL.Path, r.Header.Get("Content-Type"), body)
		w.Header().Set("Grpc-Status", "0")
	}))
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().(*net.TCPAddr)
	e := newAnnotationEnv(t, model.Config{
		Backends: []model.Backend{backend("grpc", int32(addr.Port), addr.IP.String())},
		Servers: []model.Server{{Host: "grpc.test", Locations: []model.Location{
			with(prefix("/echo.Echo", "grpc"), "grpc", annotated(t, map[string]string{"backend-protocol": "GRPC", "proxy-read-timeout": "3600"})),
		}}},
	})
	resp, body := e.do(t, http.MethodPost, "grpc.test", "/echo.Echo/Say", http.Header{"Content-Type": {"application/grpc"}}, "hello")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Equal(t, "HTTP/2.0 /echo.Echo/Say application/grpc hello", body)
}

// TestHtpasswdFileMode checks who may read the users of basic auth: only
// archway's user when the workers run as it, else the workers' group too,
// and everyone only when that group is unknown.
func TestHtpasswdFileMode(t *testing.T) {
	r, err := New("")
	require.NoError(t, err)
	cfg := model.Config{
		Backends: []model.Backend{backend("app", 80, "10.0.0.1")},
		Servers: []model.Server{{Host: "a.example.com", Locations: []model.Location{
			with(prefix("/", "app"), "app", model.Policy{BasicAuth: &model.BasicAuth{Realm: "r",
				Credentials: []model.Credential{{User: "alice", Hash: shaHash("secret")}}}}),
		}}},
	}
	tests := map[string]struct {
		user, group string
		mode        int
		wantGroup   string
	}{
		"workers run as archway's user": {mode: 0o600},
		"workers run as nobody":         {user: "nobody", group: "nogroup", mode: 0o640, wantGroup: "nogroup"},
		"the workers' group is unknown": {user: "nobody", mode: 0o644},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			out, err := r.Render(cfg, Options{HTTPPort: 80, RuntimeDir: "/run/archway", User: tc.user, Group: tc.group})
			require.NoError(t, err)
			var found []File
			for _, f := range out.Files {
				if strings.HasSuffix(f.Name, ".htpasswd") {
					found = append(found, f)
				}
			}
			require.Len(t, found, 1)
			require.Equal(t, tc.mode, int(found[0].Mode))
			require.Equal(t, tc.wantGroup, found[0].Group)
		})
	}
}

// TestAuthURLOnRequestHost checks that an auth-url naming the request's
// host sends the auth request there: $host, and $best_http_host with the
// port the Host header names.
func TestAuthURLOnRequestHost(t *testing.T) {
	answer := func(status int) *httptest.Server {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/oauth2/auth" {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			w.WriteHeader(status)
		}))
		t.Cleanup(s.Close)
		return s
	}
	allow, deny := answer(http.StatusOK), answer(http.StatusForbidden)
	port := func(s *httptest.Server) string { return s.URL[strings.LastIndexByte(s.URL, ':')+1:] }
	e := newAnnotationEnv(t, model.Config{
		Backends: []model.Backend{handlerBackend(t, "app", echo("app"))},
		Servers: []model.Server{{Host: "127.0.0.1", Locations: []model.Location{
			with(prefix("/host", "app"), "host", annotated(t, map[string]string{"auth-url": "http://$host:" + port(allow) + "/oauth2/auth"})),
			with(prefix("/best", "app"), "best", annotated(t, map[string]string{"auth-url": "http://$best_http_host/oauth2/auth"})),
		}}},
	})
	e.check(t, map[string]exchange{
		"$host":                            {host: "127.0.0.1", path: "/host", status: 200, wantBody: "app /host"},
		"$best_http_host: allowing port":   {host: "127.0.0.1:" + port(allow), path: "/best", status: 200, wantBody: "app /best"},
		"$best_http_host: forbidding port": {host: "127.0.0.1:" + port(deny), path: "/best", status: 403},
	})
}
