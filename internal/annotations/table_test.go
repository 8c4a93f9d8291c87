package annotations

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

const prefix = DefaultPrefix

// annotationCase lists, for one annotation, values that must parse (with
// the value get must then return) and values that must be refused.
type annotationCase struct {
	valid   map[string]any
	invalid []string
	get     func(Parsed) any
}

func size(n int64) *model.Size { s := model.Size(n); return &s }
func on(b bool) *bool          { return &b }
func num(n int) *int           { return &n }
func dur(d time.Duration) *time.Duration {
	return &d
}

func text(s string) model.TemplatePart { return model.TemplatePart{Text: s} }
func variable(s string) model.TemplatePart {
	return model.TemplatePart{Var: s}
}

// breakouts are values no grammar may accept: each tries to end an nginx
// string or directive, or to smuggle a variable.
var breakouts = []string{`x"; return 200 "owned`, "x;}", "a\nb", "a{b", "a#b", `a\b`, "a'b", "a$request_body", "\x00", "a\tb"}

var annotationCases = map[string]annotationCase{
	"proxy-body-size": {
		valid:   map[string]any{"0": size(0), "1": size(1), "8k": size(8 << 10), "16M": size(16 << 20), "1g": size(1 << 30), "1024g": size(1 << 40)},
		invalid: []string{"", "-1", "1.5m", "1t", "08", "1025g", "m", "10 m", "99999999999999999999"},
		get:     func(p Parsed) any { return p.Location.Proxy.BodySize },
	},
	"client-body-buffer-size": {
		valid:   map[string]any{"1": size(1), "1k": size(1024), "1M": size(1 << 20)},
		invalid: []string{"0", "k", "1kb"},
		get:     func(p Parsed) any { return p.Location.Proxy.ClientBodyBufferSize },
	},
	"proxy-buffering": {
		valid:   map[string]any{"on": on(true), "off": on(false), "OFF": on(false)},
		invalid: []string{"true", "1", "yes"},
		get:     func(p Parsed) any { return p.Location.Proxy.Buffering },
	},
	"proxy-buffer-size": {
		valid:   map[string]any{"8k": size(8 << 10), "1": size(1)},
		invalid: []string{"0", "8kk"},
		get:     func(p Parsed) any { return p.Location.Proxy.BufferSize },
	},
	"proxy-buffers-number": {
		valid:   map[string]any{"2": 2, "4": 4, "1024": 1024},
		invalid: []string{"0", "1", "1025", "four"},
		get:     func(p Parsed) any { return p.Location.Proxy.BuffersNumber },
	},
	"proxy-busy-buffers-size": {
		// With the default four 4k buffers: from 4k to 12k.
		valid:   map[string]any{"4k": size(4 << 10), "8k": size(8 << 10), "12k": size(12 << 10)},
		invalid: []string{"0", "4095", "12289", "8kk"},
		get:     func(p Parsed) any { return p.Location.Proxy.BusyBuffersSize },
	},
	"proxy-request-buffering": {
		valid:   map[string]any{"on": on(true), "off": on(false)},
		invalid: []string{"false"},
		get:     func(p Parsed) any { return p.Location.Proxy.RequestBuffering },
	},
	"proxy-max-temp-file-size": {
		valid:   map[string]any{"0": size(0), "4k": size(4 << 10), "1024m": size(1 << 30)},
		invalid: []string{"-1", "1k"}, // 1k is below the 4k buffer size
		get:     func(p Parsed) any { return p.Location.Proxy.MaxTempFileSize },
	},
	"proxy-connect-timeout": {
		valid:   map[string]any{"1": time.Second, "600": 600 * time.Second, "1500ms": 1500 * time.Millisecond, "5m": 5 * time.Minute, "7d": 7 * 24 * time.Hour},
		invalid: []string{"0", "0s", "-1", "1.5", "8d", "10 s", "1w"},
		get:     func(p Parsed) any { return p.Location.Proxy.ConnectTimeout },
	},
	"proxy-read-timeout": {
		valid:   map[string]any{"3600": time.Hour, "1h": time.Hour},
		invalid: []string{"0", "s"},
		get:     func(p Parsed) any { return p.Location.Proxy.ReadTimeout },
	},
	"proxy-send-timeout": {
		valid:   map[string]any{"120": 2 * time.Minute},
		invalid: []string{"1y"},
		get:     func(p Parsed) any { return p.Location.Proxy.SendTimeout },
	},
	"proxy-next-upstream": {
		valid: map[string]any{
			"error timeout": []model.NextUpstream{"error", "timeout"},
			"error  http_502 http_503 non_idempotent": []model.NextUpstream{"error", "http_502", "http_503", "non_idempotent"},
			"off": []model.NextUpstream{"off"},
		},
		invalid: []string{"error,timeout", "off error", "http_418", "error;"},
		get:     func(p Parsed) any { return p.Location.Proxy.NextUpstream },
	},
	"proxy-next-upstream-timeout": {
		valid:   map[string]any{"0": dur(0), "10": dur(10 * time.Second)},
		invalid: []string{"-5", "ten"},
		get:     func(p Parsed) any { return p.Location.Proxy.NextUpstreamTimeout },
	},
	"proxy-next-upstream-tries": {
		valid:   map[string]any{"0": num(0), "3": num(3), "100": num(100)},
		invalid: []string{"101", "-1"},
		get:     func(p Parsed) any { return p.Location.Proxy.NextUpstreamTries },
	},
	"proxy-http-version": {
		valid:   map[string]any{"1.0": model.HTTPVersion("1.0"), "1.1": model.HTTPVersion("1.1")},
		invalid: []string{"2", "1.2", "HTTP/1.1"},
		get:     func(p Parsed) any { return p.Location.Proxy.HTTPVersion },
	},
	"enable-access-log": {
		valid:   map[string]any{"false": on(false), "true": on(true), "TRUE": on(true)},
		invalid: []string{"off", "nope"},
		get:     func(p Parsed) any { return p.Location.AccessLog },
	},
	"enable-opentelemetry": {
		valid:   map[string]any{"false": on(false), "1": on(true)},
		invalid: []string{"on", ""},
		get:     func(p Parsed) any { return p.Location.Tracing.Enable },
	},
	"opentelemetry-trust-incoming-span": {
		valid:   map[string]any{"true": on(true), "0": on(false)},
		invalid: []string{"yes"},
		get:     func(p Parsed) any { return p.Location.Tracing.TrustIncoming },
	},
	"backend-protocol": {
		valid: map[string]any{"HTTP": model.ProtocolHTTP, "https": model.ProtocolHTTPS, "GRPC": model.ProtocolGRPC,
			"GRPCS": model.ProtocolGRPCS, "AUTO_HTTP": model.ProtocolAutoHTTP},
		invalid: []string{"AJP", "FCGI", "h2c", "HTTPS HTTP"},
		get:     func(p Parsed) any { return p.Location.Protocol },
	},
	"secure-backends": {
		valid:   map[string]any{"true": model.ProtocolHTTPS, "false": model.BackendProtocol("")},
		invalid: []string{"on"},
		get:     func(p Parsed) any { return p.Location.Policy().Protocol },
	},
	"custom-headers": {
		valid: map[string]any{"security-headers": &SecretRef{Name: "security-headers"},
			"team-a/headers": &SecretRef{Namespace: "team-a", Name: "headers"}},
		invalid: []string{"a/b/c", "Team/x", "/x", "x/", "x y"},
		get:     func(p Parsed) any { return p.Location.CustomHeaders },
	},
	"proxy-ssl-secret": {
		valid: map[string]any{"backend-tls": &SecretRef{Name: "backend-tls"},
			"team-a/backend-tls": &SecretRef{Namespace: "team-a", Name: "backend-tls"}},
		invalid: []string{"a/b/c", "Team/x", "/x", "x/"},
		get:     func(p Parsed) any { return p.Location.ProxySSLSecret },
	},
	"proxy-ssl-verify": {
		valid:   map[string]any{"on": true, "off": false},
		invalid: []string{"true"},
		get:     func(p Parsed) any { return p.Location.BackendTLS.Verify },
	},
	"proxy-ssl-verify-depth": {
		valid:   map[string]any{"1": 1, "100": 100},
		invalid: []string{"0", "101"},
		get:     func(p Parsed) any { return p.Location.BackendTLS.VerifyDepth },
	},
	"proxy-ssl-name": {
		valid:   map[string]any{"backend.internal": "backend.internal"},
		invalid: []string{"$host", "Backend", "a..b"},
		get:     func(p Parsed) any { return p.Location.BackendTLS.ServerName },
	},
	"proxy-ssl-server-name": {
		valid:   map[string]any{"on": true},
		invalid: []string{"yes"},
		get:     func(p Parsed) any { return p.Location.BackendTLS.SNI },
	},
	"upstream-vhost": {
		valid: map[string]any{"api.internal": "api.internal", "api.internal:8080": "api.internal:8080",
			"10.0.0.1": "10.0.0.1", "10.0.0.1:80": "10.0.0.1:80", "[fd00::1]:80": "[fd00::1]:80",
			"$service_name.$namespace.svc.cluster.local": "$service_name.$namespace.svc.cluster.local",
			"${service_name}-v2.${namespace}:8080":       "${service_name}-v2.${namespace}:8080"},
		invalid: []string{"api.internal:0", "api.internal:65536", "API", "a b", "fd00::1", "x:y",
			"$host", "$service_port.x", "$service_namex.y", "$namespace..local", "a$1"},
		get: func(p Parsed) any { return p.Location.Proxy.Host },
	},
	"connection-proxy-header": {
		valid:   map[string]any{"keep-alive": "keep-alive", "close": "close"},
		invalid: []string{"keep alive", "a,b"},
		get:     func(p Parsed) any { return p.Location.Proxy.Connection },
	},
	"x-forwarded-prefix": {
		valid:   map[string]any{"/api": "/api", "/": "/"},
		invalid: []string{"true", "api", "/a//b", "/a/../b", "/a b"},
		get:     func(p Parsed) any { return p.Location.Proxy.ForwardedPrefix },
	},
	"proxy-redirect-from": {
		valid: map[string]any{"off": (*model.Replace)(nil), "default": &model.Replace{},
			"http://internal:8080/": &model.Replace{From: "http://internal:8080/", To: "/"}},
		invalid: []string{"~^http://(.*)$", "a b"},
		get: func(p Parsed) any {
			if p.Location.ProxyRedirectTo == "" && p.Location.ProxyRedirectFrom != "off" && p.Location.ProxyRedirectFrom != "default" {
				return "missing to"
			}
			return p.Location.Policy().Proxy.Redirect
		},
	},
	"proxy-redirect-to": {
		valid:   map[string]any{"/": "/", "https://example.com/app/": "https://example.com/app/"},
		invalid: []string{"a b", "~x"},
		get:     func(p Parsed) any { return p.Location.ProxyRedirectTo },
	},
	"proxy-cookie-domain": {
		valid:   map[string]any{"off": (*model.Replace)(nil), "localhost example.org": &model.Replace{From: "localhost", To: "example.org"}},
		invalid: []string{"localhost", "a b c", "a_b c"},
		get:     func(p Parsed) any { return p.Location.Proxy.CookieDomain },
	},
	"proxy-cookie-path": {
		valid:   map[string]any{"/ /app/": &model.Replace{From: "/", To: "/app/"}},
		invalid: []string{"/", "/ /a?b"},
		get:     func(p Parsed) any { return p.Location.Proxy.CookiePath },
	},
	"rewrite-target": {
		valid: map[string]any{
			"/":           model.Template{text("/")},
			"/$2":         model.Template{text("/"), variable("2")},
			"$1":          model.Template{variable("1")},
			"/api/$1?v=1": model.Template{text("/api/"), variable("1"), text("?v=1")},
			"/${1}x":      model.Template{text("/"), variable("1"), text("x")},
			"/$12":        model.Template{text("/"), variable("1"), text("2")},
		},
		invalid: []string{"api", "/$request_uri", "/$0", "http://x/", "/a b", "/$"},
		get:     func(p Parsed) any { return p.Location.RewriteTarget },
	},
	"use-regex": {
		valid:   map[string]any{"true": true, "false": false},
		invalid: []string{"regex"},
		get:     func(p Parsed) any { return p.Location.UseRegex },
	},
	"app-root": {
		valid:   map[string]any{"/app1": "/app1"},
		invalid: []string{"app1", "http://x/app1", "/app?x"},
		get:     func(p Parsed) any { return p.Location.AppRoot },
	},
	"permanent-redirect": {
		valid: map[string]any{
			"https://example.com":                     &model.Redirect{Code: 301, URL: model.Template{text("https://example.com")}},
			"https://example.com$request_uri":         &model.Redirect{Code: 301, URL: model.Template{text("https://example.com"), variable("request_uri")}},
			"$scheme://${host}/new?from=$request_uri": &model.Redirect{Code: 301, URL: model.Template{variable("scheme"), text("://"), variable("host"), text("/new?from="), variable("request_uri")}},
			"http://[fd00::1]:8080/x":                 &model.Redirect{Code: 301, URL: model.Template{text("http://[fd00::1]:8080/x")}},
		},
		invalid: []string{"/relative", "ftp://example.com", "https://user:pw@example.com", "https://example.com/$http_x",
			"https://example.com/#frag", "https://exa mple.com", "https://$remote_addr", "https://example.com$uri", "https://example.com${uri}"},
		get: func(p Parsed) any { return p.Location.Policy().Redirect },
	},
	"permanent-redirect-code": {
		valid:   map[string]any{"308": 308, "300": 300},
		invalid: []string{"200", "309", "3O1"},
		get:     func(p Parsed) any { return p.Location.PermanentRedirectCode },
	},
	"temporal-redirect": {
		valid:   map[string]any{"https://example.com/maintenance": &model.Redirect{Code: 302, URL: model.Template{text("https://example.com/maintenance")}}},
		invalid: []string{"example.com", "https://example.com$uri"},
		get:     func(p Parsed) any { return p.Location.Policy().Redirect },
	},
	"from-to-www-redirect": {
		valid:   map[string]any{"true": true},
		invalid: []string{"www"},
		get:     func(p Parsed) any { return p.Server.FromToWWW },
	},
	"server-alias": {
		valid: map[string]any{"a.example.com": []string{"a.example.com"}, "a.example.com, b.example.com": []string{"a.example.com", "b.example.com"}},
		invalid: []string{"*.example.com", "a.example.com,,b.example.com", "A.example.com", "a.example.com b.example.com",
			strings.Repeat("a", 64) + ".example.com", strings.Repeat("a.", 127) + "aa"},
		get: func(p Parsed) any { return p.Server.Aliases },
	},
	"auth-type": {
		valid:   map[string]any{"basic": "basic"},
		invalid: []string{"digest", "Basic", "ntlm"},
		get:     func(p Parsed) any { return p.Location.AuthType },
	},
	"auth-secret": {
		valid:   map[string]any{"htpasswd": &SecretRef{Name: "htpasswd"}, "ns/htpasswd": &SecretRef{Namespace: "ns", Name: "htpasswd"}},
		invalid: []string{"ns/", "a b"},
		get:     func(p Parsed) any { return p.Location.AuthSecret },
	},
	"auth-secret-type": {
		valid:   map[string]any{"auth-file": AuthFile, "auth-map": AuthMap},
		invalid: []string{"file"},
		get:     func(p Parsed) any { return p.Location.AuthSecretType },
	},
	"auth-realm": {
		valid:   map[string]any{"Authentication Required - foo": "Authentication Required - foo"},
		invalid: []string{"a$b", "", strings.Repeat("r", 129)},
		get:     func(p Parsed) any { return p.Location.AuthRealm },
	},
	"auth-url": {
		valid: map[string]any{
			"http://127.0.0.1:9000/auth":                                  model.Template{text("http://127.0.0.1:9000/auth")},
			"https://auth.example.com/oauth2/auth?allowed_groups=a,b":     model.Template{text("https://auth.example.com/oauth2/auth?allowed_groups=a,b")},
			"http://oauth2-proxy.auth.svc.cluster.local:4180/oauth2/auth": model.Template{text("http://oauth2-proxy.auth.svc.cluster.local:4180/oauth2/auth")},
			"https://$host/oauth2/auth":                                   model.Template{text("https://"), variable("host"), text("/oauth2/auth")},
			"$scheme://${best_http_host}/oauth2/auth": model.Template{variable("scheme"), text("://"), variable("best_http_host"),
				text("/oauth2/auth")},
		},
		invalid: []string{"http://$http_host/auth", "http://a$request_uri", "http://a/$uri", "/auth", "file:///etc/passwd",
			"http://a/auth;", "http://a/b c", "https://$host:$host/",
			"http://u:p@a/", "http://a/x#y", "http://a:99999/", "http://unix:80/auth", "http://unix/auth", "https://unix:443/"},
		get: func(p Parsed) any { return p.Location.ExternalAuth.URL },
	},
	"auth-method": {
		valid:   map[string]any{"GET": "GET", "POST": "POST"},
		invalid: []string{"get", "G T"},
		get:     func(p Parsed) any { return p.Location.ExternalAuth.Method },
	},
	"auth-signin": {
		valid: map[string]any{
			"https://$host/oauth2/start?rd=$escaped_request_uri": model.Template{text("https://"), variable("host"),
				text("/oauth2/start?rd="), variable("escaped_request_uri")},
			"https://auth.example.com?rm=$request_method": model.Template{text("https://auth.example.com?rm="), variable("request_method")},
		},
		invalid: []string{"/oauth2/start", "https://$host/$cookie_x", "https://$host/start?rd=$uri"},
		get:     func(p Parsed) any { return p.Location.ExternalAuth.SignIn },
	},
	"auth-response-headers": {
		valid:   map[string]any{"X-Auth-Request-User, X-Auth-Request-Email": []string{"X-Auth-Request-User", "X-Auth-Request-Email"}},
		invalid: []string{"X User", "X:Y", ""},
		get:     func(p Parsed) any { return p.Location.ExternalAuth.ResponseHeaders },
	},
	"auth-request-redirect": {
		valid:   map[string]any{"https://app.example.com/": "https://app.example.com/"},
		invalid: []string{"$request_uri", "a b"},
		get:     func(p Parsed) any { return p.Location.ExternalAuth.RequestRedirect },
	},
	"auth-cache-key": {
		valid: map[string]any{"$remote_user$http_authorization": model.Template{variable("remote_user"), variable("http_authorization")},
			"${cookie_session}:v1": model.Template{variable("cookie_session"), text(":v1")}},
		invalid: []string{"$request_body", "$http_", "a b", "$cookie_X"},
		get:     func(p Parsed) any { return p.Location.ExternalAuth.CacheKey },
	},
	"auth-cache-duration": {
		valid: map[string]any{
			"200 202 10m, 401 5m": []model.CacheValid{{Codes: []int{200, 202}, Duration: 10 * time.Minute}, {Codes: []int{401}, Duration: 5 * time.Minute}},
			"any 30s":             []model.CacheValid{{Duration: 30 * time.Second}},
			"1h":                  []model.CacheValid{{Duration: time.Hour}},
			"200":                 []model.CacheValid{{Duration: 200 * time.Second}},
		},
		invalid: []string{"200 202 x", "99 5m", "200 5x", "200,"},
		get:     func(p Parsed) any { return p.Location.ExternalAuth.CacheValid },
	},
	"auth-signin-redirect-param": {
		valid:   map[string]any{"orig": "orig", "return_to": "return_to"},
		invalid: []string{"a=b", "a&b", "", strings.Repeat("r", 65)},
		get:     func(p Parsed) any { return p.Location.ExternalAuth.SignInRedirectParam },
	},
	"auth-always-set-cookie": {
		valid:   map[string]any{"true": true, "0": false},
		invalid: []string{"always"},
		get:     func(p Parsed) any { return p.Location.ExternalAuth.AlwaysSetCookie },
	},
	"enable-global-auth": {
		valid:   map[string]any{"false": false, "0": false, "true": true},
		invalid: []string{"no", ""},
		get:     func(p Parsed) any { return p.Location.GlobalAuth },
	},
	"limit-rps": {
		valid:   map[string]any{"0": 0, "10": 10, "1000000": 1000000},
		invalid: []string{"1000001", "1.5", "-1"},
		get:     func(p Parsed) any { return p.Location.RateLimit.RPS },
	},
	"limit-rpm": {
		valid:   map[string]any{"600": 600},
		invalid: []string{"x"},
		get:     func(p Parsed) any { return p.Location.RateLimit.RPM },
	},
	"limit-connections": {
		valid:   map[string]any{"5": 5},
		invalid: []string{"5 5"},
		get:     func(p Parsed) any { return p.Location.RateLimit.Connections },
	},
	"limit-burst-multiplier": {
		valid:   map[string]any{"1": 1, "1000": 1000},
		invalid: []string{"0", "1001"},
		get:     func(p Parsed) any { return p.Location.RateLimit.BurstMultiplier },
	},
	"limit-whitelist": {
		valid: map[string]any{"10.0.0.0/8, 192.168.1.7,fd00::/8": []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"),
			netip.MustParsePrefix("192.168.1.7/32"), netip.MustParsePrefix("fd00::/8")},
			"10.1.2.3/8": []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}},
		invalid: []string{"10.0.0.0/33", "example.com", "10.0.0.1 10.0.0.2"},
		get:     func(p Parsed) any { return p.Location.RateLimit.Allow },
	},
	"enable-cors": {
		valid:   map[string]any{"true": true},
		invalid: []string{"yes"},
		get:     func(p Parsed) any { return p.Location.EnableCORS },
	},
	"cors-allow-origin": {
		valid: map[string]any{
			"*": model.CORS{AnyOrigin: true},
			"https://a.example.com, http://*.example.org:8080": model.CORS{AllowOrigins: []model.Origin{
				{Scheme: "https", Host: "a.example.com"}, {Scheme: "http", Host: "*.example.org", Port: 8080}}},
			"HTTPS://A.example.com": model.CORS{AllowOrigins: []model.Origin{{Scheme: "https", Host: "a.example.com"}}},
		},
		invalid: []string{"a.example.com", "ftp://a.example.com", "https://*", "https://a.*.example.com", "https://a.example.com/path",
			"https://" + strings.Repeat("a", 64) + ".example.com", "https://*." + strings.Repeat("a", 64) + ".example.com"},
		get: func(p Parsed) any {
			return model.CORS{AnyOrigin: p.Location.CORS.AnyOrigin, AllowOrigins: p.Location.CORS.AllowOrigins}
		},
	},
	"cors-allow-methods": {
		valid:   map[string]any{"get, POST": []string{"GET", "POST"}},
		invalid: []string{"GET POST", "G1"},
		get:     func(p Parsed) any { return p.Location.CORS.AllowMethods },
	},
	"cors-allow-headers": {
		valid:   map[string]any{"X-Forwarded-For, X-app123-XPTO": []string{"X-Forwarded-For", "X-app123-XPTO"}},
		invalid: []string{"*", "X:1"},
		get:     func(p Parsed) any { return p.Location.CORS.AllowHeaders },
	},
	"cors-expose-headers": {
		valid:   map[string]any{"*, X-CustomResponseHeader": []string{"*", "X-CustomResponseHeader"}},
		invalid: []string{"X Y"},
		get:     func(p Parsed) any { return p.Location.CORS.ExposeHeaders },
	},
	"cors-allow-credentials": {
		valid:   map[string]any{"false": false},
		invalid: []string{"no"},
		get:     func(p Parsed) any { return p.Location.CORS.AllowCredentials },
	},
	"cors-max-age": {
		valid:   map[string]any{"600": 10 * time.Minute, "0": time.Duration(0)},
		invalid: []string{"-1", "ten"},
		get:     func(p Parsed) any { return p.Location.CORS.MaxAge },
	},
	"custom-http-errors": {
		valid:   map[string]any{"404,415": []int{404, 415}, "400, 599": []int{400, 599}},
		invalid: []string{"399", "600", "404;"},
		get:     func(p Parsed) any { return p.Location.CustomHTTPErrors },
	},
	"default-backend": {
		valid:   map[string]any{"errors": "errors"},
		invalid: []string{"ns/errors", "Errors", "1errors"},
		get:     func(p Parsed) any { return p.Location.DefaultBackend },
	},
	"load-balance": {
		valid:   map[string]any{"ewma": model.EWMA, "round_robin": model.RoundRobin},
		invalid: []string{"least_conn", "random"},
		get:     func(p Parsed) any { return p.Location.Balancing().Algorithm },
	},
	"upstream-hash-by": {
		valid:   map[string]any{"$request_uri": "request_uri", "${http_x_user}": "http_x_user", "$cookie_session": "cookie_session"},
		invalid: []string{"request_uri", "$request_uri$host", "${request_uri}-text", "$1", "$", "${}", "$Host", "$" + strings.Repeat("a", 257)},
		get:     func(p Parsed) any { return p.Location.Balancing().HashBy },
	},
	"affinity": {
		valid:   map[string]any{"cookie": &model.CookieAffinity{Name: "INGRESSCOOKIE"}},
		invalid: []string{"ip", "cookies"},
		get:     func(p Parsed) any { return p.Location.Balancing().Cookie },
	},
	"affinity-mode": {
		valid:   map[string]any{"balanced": (*model.CookieAffinity)(nil), "persistent": (*model.CookieAffinity)(nil)},
		invalid: []string{"sticky"},
		get:     func(p Parsed) any { return p.Location.Balancing().Cookie },
	},
	"session-cookie-name": {
		valid:   map[string]any{"route": "route", "my_cookie-1": "my_cookie-1"},
		invalid: []string{"a=b", "a b", "a;"},
		get:     func(p Parsed) any { return p.Location.Cookie.Name },
	},
	"session-cookie-path": {
		valid:   map[string]any{"/app": "/app"},
		invalid: []string{"app", "/a b"},
		get:     func(p Parsed) any { return p.Location.Cookie.Path },
	},
	"session-cookie-max-age": {
		valid:   map[string]any{"0": 0, "172800": 172800, "315360000": 315360000},
		invalid: []string{"-1", "315360001", "1h"},
		get:     func(p Parsed) any { return p.Location.Cookie.MaxAge },
	},
	"session-cookie-expires": {
		valid:   map[string]any{"3600": 3600},
		invalid: []string{"Thu, 01 Jan 2026"},
		get:     func(p Parsed) any { return p.Location.CookieExpires },
	},
	"session-cookie-samesite": {
		valid:   map[string]any{"None": "None", "lax": "Lax", "Strict": "Strict"},
		invalid: []string{"Loose"},
		get:     func(p Parsed) any { return p.Location.Cookie.SameSite },
	},
	"session-cookie-secure": {
		valid:   map[string]any{"true": true},
		invalid: []string{"on"},
		get:     func(p Parsed) any { return p.Location.Cookie.Secure },
	},
	"service-upstream": {
		valid:   map[string]any{"true": true},
		invalid: []string{"cluster-ip"},
		get:     func(p Parsed) any { return p.Location.ServiceUpstream },
	},
	"ssl-passthrough": {
		valid:   map[string]any{"true": true, "false": false, "1": true},
		invalid: []string{"yes", "on"},
		get:     func(p Parsed) any { return p.Server.SSLPassthrough },
	},
	"ssl-passthrough-proxy-protocol": {
		valid:   map[string]any{"true": true, "false": false},
		invalid: []string{"PROXY", "v2"},
		get:     func(p Parsed) any { return p.Server.PassthroughProxyProtocol },
	},
	"ssl-redirect": {
		valid:   map[string]any{"false": false, "true": true},
		invalid: []string{"off", "no"},
		get:     func(p Parsed) any { return p.Location.SSLRedirect },
	},
	"force-ssl-redirect": {
		valid:   map[string]any{"true": true, "False": false},
		invalid: []string{"on"},
		get:     func(p Parsed) any { return p.Location.ForceSSLRedirect },
	},
	"allowlist-source-range": {
		valid: map[string]any{"10.0.0.0/8, 192.168.1.7": &model.Access{Allow: []netip.Prefix{
			netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32")}}},
		invalid: []string{"", "10.0.0.0/8,", "all", "10.0.0.0/8 deny"},
		get:     func(p Parsed) any { return p.Location.Policy().Access },
	},
	"whitelist-source-range": {
		valid:   map[string]any{"fd00::/8": &model.Access{Allow: []netip.Prefix{netip.MustParsePrefix("fd00::/8")}}},
		invalid: []string{"0.0.0.0/0; allow all", "10.0.0.300"},
		get:     func(p Parsed) any { return p.Location.Policy().Access },
	},
	"denylist-source-range": {
		valid:   map[string]any{"10.1.2.3/16": &model.Access{Deny: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}}},
		invalid: []string{"10.0.0.0/8\nallow all", "fe80::1%eth0"},
		get:     func(p Parsed) any { return p.Location.Policy().Access },
	},
	"preserve-trailing-slash": {
		valid:   map[string]any{"true": true, "false": false, "TRUE": true},
		invalid: []string{"on", "yes", "1x"},
		get:     func(p Parsed) any { return p.Location.Policy().PreserveTrailingSlash },
	},
	"auth-tls-secret": {
		valid: map[string]any{"client-ca": &SecretRef{Name: "client-ca"},
			"web/client-ca": &SecretRef{Namespace: "web", Name: "client-ca"}},
		invalid: []string{"a/b/c", "Web/ca", "/ca", "ca/", "ca.crt;", strings.Repeat("a", 254)},
		get:     func(p Parsed) any { return p.Server.ClientAuth.Secret },
	},
	"auth-tls-verify-client": {
		valid: map[string]any{"on": model.VerifyOn, "optional": model.VerifyOptional, "optional_no_ca": model.VerifyOptionalNoCA,
			"off": model.VerifyOff, "OPTIONAL": model.VerifyOptional},
		invalid: []string{"true", "required", "optional-no-ca", "on off"},
		get:     func(p Parsed) any { return p.Server.ClientAuth.Verify },
	},
	"auth-tls-verify-depth": {
		valid:   map[string]any{"1": 1, "2": 2, "100": 100},
		invalid: []string{"0", "101", "-1", "01", "two"},
		get:     func(p Parsed) any { return p.Server.ClientAuth.Depth },
	},
	"auth-tls-error-page": {
		valid: map[string]any{"https://login.example.com/certificate-help": "https://login.example.com/certificate-help",
			"http://10.0.0.1:8080/error?code=495": "http://10.0.0.1:8080/error?code=495"},
		invalid: []string{"/error", "https://$host/error", "ftp://example.com/", "https://u:p@example.com/",
			"https://example.com/#x", "https://exa mple.com/", "https://example.com:99999/"},
		get: func(p Parsed) any { return p.Server.ClientAuth.ErrorPage },
	},
	"auth-tls-pass-certificate-to-upstream": {
		valid:   map[string]any{"true": true, "false": false},
		invalid: []string{"on", "yes"},
		get:     func(p Parsed) any { return p.Server.ClientAuth.PassCertificate },
	},
	"auth-tls-match-cn": {
		valid: map[string]any{"CN=client1": "CN=client1", "CN=(client1|client2)": "CN=(client1|client2)", "O=Example": "O=Example",
			"^CN=client1(,|$)": "^CN=client1(,|$)", "(?i)cn=client 1": "(?i)cn=client 1", " CN=a.*,O=Example Org$ ": "CN=a.*,O=Example Org$",
			"CN=svc_a-b+?,OU=x*": "CN=svc_a-b+?,OU=x*", "CN=" + strings.Repeat("a", 253): "CN=" + strings.Repeat("a", 253)},
		invalid: []string{
			"CN=" + strings.Repeat("a", 254), // 257 bytes
			// Forbidden characters.
			`CN=a\.b`, `CN="a"`, "CN='a'", "CN=[ab]", "CN=a{2}", "CN=a;b", "CN=a#b", "CN=a\nb", "CN=a\tb", "CN=a\u00a0b",
			"CN=a/b", "CN=a:b", "CN=a@b", "CN=é", "CN=a<b", "CN=a!b", "CN=a&b", "CN=a~b", "CN=a%b",
			// Regexes Go does not compile (nor PCRE, or not alike).
			"CN=(a", "CN=a)", "CN=a**", "(?=CN)a", "(?P=x)a", "(?x)CN", "CN=a+*",
			// Nested repetition, which backtracks exponentially.
			"CN=((a+)+)+$", "CN=(a*b?)*",
			// Regexes Go compiles and PCRE refuses or reads otherwise.
			"CN=a|^+b", "CN=a$*", "CN=x(?i)+", "CN=(?i)a", "CN=a^?b",
			// "$" that does not end the regex, an alternative or a group.
			"CN=a$b", "CN=a$ssl_client_s_dn",
			// Regexes that match an empty subject, so every subject.
			"CN=a|", "(CN=a)?", ".*", "^", "()", "(?i)",
		},
		get: func(p Parsed) any { return p.Server.ClientAuth.MatchCN },
	},
	"canary": {
		valid:   map[string]any{"true": true, "false": false},
		invalid: []string{"yes", "1x"},
		get:     func(p Parsed) any { return p.Location.Canary.Enabled },
	},
	"canary-weight": {
		valid:   map[string]any{"0": 0, "30": 30, "100": 100, "1000000": 1000000},
		invalid: []string{"-1", "1000001", "30%", "0.5", "ten"},
		get:     func(p Parsed) any { return p.Location.Canary.Weight },
	},
	"canary-weight-total": {
		valid:   map[string]any{"1": 1, "100": 100, "1000000": 1000000},
		invalid: []string{"0", "-100", "1000001", "1e3"},
		get:     func(p Parsed) any { return p.Location.Canary.WeightTotal },
	},
	"canary-by-header": {
		valid:   map[string]any{"X-Canary": "X-Canary", "x_user_group": "x_user_group"},
		invalid: []string{"X Canary", "X-Canary:", strings.Repeat("h", 129)},
		get:     func(p Parsed) any { return p.Location.Canary.Header },
	},
	"canary-by-header-value": {
		valid:   map[string]any{"beta": "beta", "user@example.com": "user@example.com", "v2.1-rc,x=y": "v2.1-rc,x=y"},
		invalid: []string{"two words", "a\"b", "a*", strings.Repeat("v", 257)},
		get:     func(p Parsed) any { return p.Location.Canary.HeaderValue },
	},
	"canary-by-header-pattern": {
		valid:   map[string]any{"^beta-[0-9]+$": "^beta-[0-9]+$", "alpha|beta": "alpha|beta", "(?i)Chrome": "(?i)Chrome"},
		invalid: []string{"a(", "[z-a]", "x{2}", "$x", "a b", "a\\qb"},
		get:     func(p Parsed) any { return p.Location.Canary.HeaderPattern },
	},
	"canary-by-cookie": {
		valid:   map[string]any{"canary": "canary", "use_beta-2": "use_beta-2"},
		invalid: []string{"a=b", "a;b", "a b"},
		get:     func(p Parsed) any { return p.Location.Canary.Cookie },
	},
	"affinity-canary-behavior": {
		valid:   map[string]any{"sticky": false, "legacy": true},
		invalid: []string{"stick", "none", "true"},
		get:     func(p Parsed) any { return p.Location.Canary.LegacyAffinity },
	},
}

// companions are annotations a value needs to mean something on its own.
var companions = map[string]map[string]string{
	"proxy-redirect-from": {prefix + "/proxy-redirect-to": "/"},
	"auth-type":           {prefix + "/auth-secret": "htpasswd"},
	"proxy-ssl-verify":    {prefix + "/proxy-ssl-secret": "backend-tls"},
	// canary-weight-total, so that the largest weights are valid.
	"canary-weight":            {prefix + "/canary-weight-total": "1000000"},
	"canary-by-header-value":   {prefix + "/canary-by-header": "X-Canary"},
	"canary-by-header-pattern": {prefix + "/canary-by-header": "X-Canary"},
	"auth-tls-match-cn":        {prefix + "/auth-tls-secret": "client-ca"},
}

func TestAnnotations(t *testing.T) {
	for key, tc := range annotationCases {
		t.Run(key, func(t *testing.T) {
			full := prefix + "/" + key
			if strings.HasPrefix(key, OwnPrefix+"/") {
				full = key
			}
			with := func(value string) map[string]string {
				m := map[string]string{full: value}
				for k, v := range companions[key] {
					m[k] = v
				}
				return m
			}
			for value, want := range tc.valid {
				p, problems := Parse(with(value), prefix)
				require.Empty(t, problems, "value %q", value)
				require.Equal(t, want, tc.get(p), "value %q", value)
			}
			for _, value := range append(tc.invalid, breakouts...) {
				_, problems := Parse(with(value), prefix)
				require.Len(t, problems, 1, "value %q", value)
				require.Equal(t, Problem{Key: full, Reason: reason.InvalidAnnotation, Effect: Blocked, Message: problems[0].Message}, problems[0])
				require.Contains(t, problems[0].Message, shorten(strings.TrimSpace(value)))
			}
		})
	}
}

func TestEveryAnnotationIsTested(t *testing.T) {
	for _, s := range Specs() {
		require.Contains(t, annotationCases, s.Key, "add a test case for %s", s.Key)
	}
}
