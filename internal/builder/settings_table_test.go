package builder

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/source"
)

// settingCase lists, for one ConfigMap key, values that must parse (with
// the value get must then return; boundaries included) and values that
// must be refused, keeping the default.
type settingCase struct {
	valid   map[string]any
	invalid []string
	get     func(model.Settings) any
}

func dur(d time.Duration) *time.Duration { return &d }
func num(n int) *int                     { return &n }

func prefixes(s ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range s {
		out = append(out, netip.MustParsePrefix(p))
	}
	return out
}

var settingCases = map[string]settingCase{
	SafeSnippetsKey: {
		valid: map[string]any{"true": true, "0": false}, invalid: []string{"yes", ""},
		get: func(s model.Settings) any { return s.SafeSnippets },
	},
	"worker-shutdown-timeout": {
		valid:   map[string]any{"30": 30 * time.Second, "1500ms": 1500 * time.Millisecond, "1ms": time.Millisecond, "24h": 24 * time.Hour, "1d": 24 * time.Hour},
		invalid: []string{"", "0s", "25h", "-1s", "1m30s", "1s; user root", "0000000001s"},
		get:     func(s model.Settings) any { return s.WorkerShutdownTimeout },
	},
	"ssl-protocols": {
		valid:   map[string]any{"TLSv1.3": []string{"TLSv1.3"}, "TLSv1.3  TLSv1.2 TLSv1.3": []string{"TLSv1.2", "TLSv1.3"}},
		invalid: []string{"", "TLSv1.1", "TLSv1", "SSLv3", "tlsv1.2", "TLSv1.2;"},
		get:     func(s model.Settings) any { return s.TLS.Protocols },
	},
	"ssl-ciphers": {
		valid: map[string]any{"HIGH:!aNULL:!MD5": "HIGH:!aNULL:!MD5", "ECDHE-RSA-AES128-GCM-SHA256": "ECDHE-RSA-AES128-GCM-SHA256",
			"ECDHE:-SHA1:!PSK": "ECDHE:-SHA1:!PSK"},
		invalid: []string{"", "!aNULL", "FOO", "HIGH:", "HIGH::MD5", "HIGH:!HIGH", "ALL", "HIGH:@STRENGTH", "HIGH;", "HIGH:!aNULL\"", "eNULL"},
		get:     func(s model.Settings) any { return s.TLS.Ciphers },
	},
	"hsts": {
		valid:   map[string]any{"false": false, "TRUE": true, "1": true},
		invalid: []string{"off", "yes"},
		get:     func(s model.Settings) any { return s.TLS.HSTS },
	},
	"hsts-max-age": {
		valid:   map[string]any{"0": time.Duration(0), "63072000": 2 * 365 * 24 * time.Hour},
		invalid: []string{"-1", "1d", "315360001", "+5", " 5"},
		get:     func(s model.Settings) any { return s.TLS.HSTSMaxAge },
	},
	"hsts-include-subdomains": {
		valid: map[string]any{"false": false}, invalid: []string{"no"},
		get: func(s model.Settings) any { return s.TLS.HSTSIncludeSubdomains },
	},
	"hsts-preload": {
		valid: map[string]any{"true": true}, invalid: []string{"yes"},
		get: func(s model.Settings) any { return s.TLS.HSTSPreload },
	},
	"use-forwarded-headers": {
		valid: map[string]any{"true": true}, invalid: []string{"on"},
		get: func(s model.Settings) any { return s.Clients.UseForwardedHeaders },
	},
	"enable-real-ip": {
		valid: map[string]any{"true": true}, invalid: []string{"on"},
		get: func(s model.Settings) any { return s.Clients.RealIP },
	},
	"forwarded-for-header": {
		valid: map[string]any{"CF-Connecting-IP": "CF-Connecting-IP", "X-Real-IP": "X-Real-IP", "1X": "1X", "X_Forwarded": "X_Forwarded",
			strings.Repeat("X", 128): strings.Repeat("X", 128)},
		invalid: []string{"", "X Forwarded", "X-Forwarded-For;", strings.Repeat("X", 129)},
		get:     func(s model.Settings) any { return s.Clients.ForwardedForHeader },
	},
	"proxy-real-ip-cidr": {
		valid: map[string]any{"10.0.0.0/8, 192.168.1.1": prefixes("10.0.0.0/8", "192.168.1.1/32"),
			"fd00::1/8": prefixes("fd00::/8"), "::ffff:10.0.0.1": prefixes("10.0.0.1/32")},
		invalid: []string{"", "10.0.0.0/8,", "10.0.0.0/33", "any", "fe80::1%eth0", "::ffff:10.0.0.0/104"},
		get:     func(s model.Settings) any { return s.Clients.TrustedProxies },
	},
	"use-proxy-protocol": {
		valid: map[string]any{"true": true}, invalid: []string{"v2"},
		get: func(s model.Settings) any { return s.Clients.UseProxyProtocol },
	},
	"compute-full-forwarded-for": {
		valid: map[string]any{"true": true}, invalid: []string{"yes"},
		get: func(s model.Settings) any { return s.Clients.ComputeFullForwardedFor },
	},
	"disable-ipv6": {
		valid: map[string]any{"true": true, "false": false}, invalid: []string{"yes"},
		get: func(s model.Settings) any { return s.DisableIPv6 },
	},
	"bind-address": {
		valid: map[string]any{"": []netip.Addr(nil), "10.0.0.5, fd00::5": []netip.Addr{netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("fd00::5")},
			"::ffff:10.0.0.5": []netip.Addr{netip.MustParseAddr("10.0.0.5")}},
		invalid: []string{"10.0.0.5,", "10.0.0.0/8", "[::1]:80", "fe80::1%eth0", "10.0.0.5; listen 1", "any"},
		get:     func(s model.Settings) any { return s.BindAddresses },
	},
	"whitelist-source-range": {
		valid:   map[string]any{"": []netip.Prefix(nil), "10.0.0.0/8": prefixes("10.0.0.0/8")},
		invalid: []string{"10.0.0.0/8;", "10.0.0.0/8 deny"},
		get:     func(s model.Settings) any { return s.Clients.Allow },
	},
	"worker-processes": {
		valid: map[string]any{"auto": 0, "1": 1, "1024": 1024}, invalid: []string{"0", "1025", "Auto", "2;"},
		get: func(s model.Settings) any { return s.HTTP.WorkerProcesses },
	},
	"max-worker-connections": {
		valid: map[string]any{"512": 512, "65536": 65536, "1048576": 1 << 20}, invalid: []string{"0", "511", "1048577"},
		get: func(s model.Settings) any { return s.HTTP.WorkerConnections },
	},
	"max-worker-open-files": {
		valid: map[string]any{"0": 0, "65536": 65536}, invalid: []string{"-1", "1048577"},
		get: func(s model.Settings) any { return s.HTTP.WorkerOpenFiles },
	},
	"error-log-level": {
		valid: map[string]any{"warn": "warn", "emerg": "emerg", "DEBUG": "debug"}, invalid: []string{"trace", "warn;"},
		get: func(s model.Settings) any { return s.HTTP.ErrorLogLevel },
	},
	"keep-alive": {
		valid:   map[string]any{"0": dur(0), "75": dur(75 * time.Second), "1h": dur(time.Hour)},
		invalid: []string{"-1", "61m", "75 s"},
		get:     func(s model.Settings) any { return s.HTTP.KeepAlive },
	},
	"keep-alive-requests": {
		valid: map[string]any{"1": 1, "1000000": 1_000_000}, invalid: []string{"0", "1000001"},
		get: func(s model.Settings) any { return s.HTTP.KeepAliveRequests },
	},
	"client-header-buffer-size": {
		valid: map[string]any{"1": model.Size(1), "4k": model.Size(4 << 10), "1m": model.Size(1 << 20)}, invalid: []string{"0", "1025k", "4kb"},
		get: func(s model.Settings) any { return s.HTTP.ClientHeaderBufferSize },
	},
	"large-client-header-buffers": {
		valid: map[string]any{"4 16k": model.Buffers{Number: 4, Size: 16 << 10}, "1 1k": model.Buffers{Number: 1, Size: 1 << 10},
			"64  1m": model.Buffers{Number: 64, Size: 1 << 20}},
		invalid: []string{"4", "0 8k", "65 8k", "4 1023", "4 2m", "4 8k 1", "4 8k;"},
		get:     func(s model.Settings) any { return s.HTTP.LargeClientHeaderBuffers },
	},
	"client-header-timeout": {
		valid: map[string]any{"1ms": time.Millisecond, "30": 30 * time.Second, "1d": 24 * time.Hour}, invalid: []string{"0", "25h"},
		get: func(s model.Settings) any { return s.HTTP.ClientHeaderTimeout },
	},
	"client-body-timeout": {
		valid: map[string]any{"120": 2 * time.Minute, "24h": 24 * time.Hour}, invalid: []string{"0", "2d"},
		get: func(s model.Settings) any { return s.HTTP.ClientBodyTimeout },
	},
	"enable-underscores-in-headers": {
		valid: map[string]any{"true": true}, invalid: []string{"on"},
		get: func(s model.Settings) any { return s.HTTP.UnderscoresInHeaders },
	},
	"ignore-invalid-headers": {
		valid: map[string]any{"false": true, "true": false}, invalid: []string{"off"},
		get: func(s model.Settings) any { return s.HTTP.KeepInvalidHeaders },
	},
	"server-tokens": {
		valid: map[string]any{"true": true}, invalid: []string{"on"},
		get: func(s model.Settings) any { return s.HTTP.ServerTokens },
	},
	"limit-req-status-code": {
		valid: map[string]any{"429": 429, "400": 400, "599": 599}, invalid: []string{"399", "600", "200"},
		get: func(s model.Settings) any { return s.HTTP.LimitReqStatus },
	},
	"http-redirect-code": {
		valid: map[string]any{"301": 301, "302": 302, "307": 307, "308": 308}, invalid: []string{"300", "303", "306", "309", "200"},
		get: func(s model.Settings) any { return s.HTTP.RedirectCode },
	},
	"limit-conn-status-code": {
		valid: map[string]any{"429": 429}, invalid: []string{"399", "600"},
		get: func(s model.Settings) any { return s.HTTP.LimitConnStatus },
	},
	"upstream-keepalive-connections": {
		valid: map[string]any{"0": num(0), "1000": num(1000), "100000": num(100_000)}, invalid: []string{"-1", "100001"},
		get: func(s model.Settings) any { return s.HTTP.UpstreamKeepalive },
	},
	"upstream-keepalive-timeout": {
		valid: map[string]any{"1ms": time.Millisecond, "120": 2 * time.Minute}, invalid: []string{"0", "2d"},
		get: func(s model.Settings) any { return s.HTTP.UpstreamKeepaliveTimeout },
	},
	"upstream-keepalive-requests": {
		valid: map[string]any{"1": 1, "1000000": 1_000_000}, invalid: []string{"0", "1000001"},
		get: func(s model.Settings) any { return s.HTTP.UpstreamKeepaliveRequests },
	},
	"upstream-keepalive-time": {
		valid: map[string]any{"1ms": time.Millisecond, "7d": 7 * 24 * time.Hour}, invalid: []string{"0", "8d"},
		get: func(s model.Settings) any { return s.HTTP.UpstreamKeepaliveTime },
	},
	"use-gzip": {
		valid: map[string]any{"true": true}, invalid: []string{"on"},
		get: func(s model.Settings) any { return s.HTTP.Gzip },
	},
	"gzip-level": {
		valid: map[string]any{"1": 1, "9": 9}, invalid: []string{"0", "10"},
		get: func(s model.Settings) any { return s.HTTP.GzipLevel },
	},
	"gzip-min-length": {
		valid: map[string]any{"0": num(0), "1000": num(1000)}, invalid: []string{"-1", "1k"},
		get: func(s model.Settings) any { return s.HTTP.GzipMinLength },
	},
	"gzip-types": {
		valid: map[string]any{"*": []string{"*"}, "text/plain  application/json text/plain": []string{"application/json", "text/plain"},
			"application/vnd.api+json": []string{"application/vnd.api+json"}},
		invalid: []string{"", "text", "text/plain;charset=utf-8", "Text/Plain", "* text/css", "text/plain;", `text/"x"`},
		get:     func(s model.Settings) any { return s.HTTP.GzipTypes },
	},
	"no-tls-redirect-locations": {
		valid:   map[string]any{"/.well-known/acme-challenge, /healthz/": []string{"/.well-known/acme-challenge", "/healthz/"}, "/": []string{"/"}},
		invalid: []string{"", "/a,", "healthz", "/a/../b", "/a b", "/a$", `/a"`, "/a;"},
		get:     func(s model.Settings) any { return s.HTTP.NoTLSRedirectLocations },
	},
	"enable-brotli": {
		valid: map[string]any{"true": true}, invalid: []string{"on"},
		get: func(s model.Settings) any { return s.HTTP.Brotli },
	},
	"brotli-level": {
		valid: map[string]any{"0": num(0), "11": num(11)}, invalid: []string{"-1", "12"},
		get: func(s model.Settings) any { return s.HTTP.BrotliLevel },
	},
	"brotli-min-length": {
		valid: map[string]any{"0": num(0), "1000": num(1000)}, invalid: []string{"-1", "1k"},
		get: func(s model.Settings) any { return s.HTTP.BrotliMinLength },
	},
	"brotli-types": {
		valid:   map[string]any{"*": []string{"*"}, "text/plain application/json": []string{"application/json", "text/plain"}},
		invalid: []string{"", "text/plain;charset=utf-8", "* text/css"},
		get:     func(s model.Settings) any { return s.HTTP.BrotliTypes },
	},
	"ssl-session-cache": {
		valid: map[string]any{"false": true, "true": false}, invalid: []string{"off"},
		get: func(s model.Settings) any { return s.TLS.NoSessionCache },
	},
	"ssl-session-cache-size": {
		valid: map[string]any{"1m": model.Size(1 << 20), "512m": model.Size(512 << 20)}, invalid: []string{"1023k", "513m", "1g", "0"},
		get: func(s model.Settings) any { return s.TLS.SessionCacheSize },
	},
	"ssl-session-timeout": {
		valid: map[string]any{"1s": time.Second, "1d": 24 * time.Hour}, invalid: []string{"0", "999ms", "25h"},
		get: func(s model.Settings) any { return s.TLS.SessionTimeout },
	},
	"ssl-session-tickets": {
		valid: map[string]any{"true": true}, invalid: []string{"on"},
		get: func(s model.Settings) any { return s.TLS.SessionTickets },
	},
	"ssl-ecdh-curve": {
		valid:   map[string]any{"auto": "auto", "X25519:prime256v1:secp384r1": "X25519:prime256v1:secp384r1"},
		invalid: []string{"", "secp256k1", "X25519:", "X25519;", "auto:X25519"},
		get:     func(s model.Settings) any { return s.TLS.ECDHCurves },
	},
	"ssl-buffer-size": {
		valid: map[string]any{"1k": model.Size(1 << 10), "16k": model.Size(16 << 10)}, invalid: []string{"1023", "17k"},
		get: func(s model.Settings) any { return s.TLS.BufferSize },
	},
	"disable-access-log": {
		valid: map[string]any{"true": true, "false": false}, invalid: []string{"yes"},
		get: func(s model.Settings) any { return s.AccessLog.Off },
	},
	"access-log-path": {
		valid: map[string]any{"stderr": model.AccessLogStderr, "access.log": "access.log", "ingress_access-1.log": "ingress_access-1.log",
			strings.Repeat("a", 96) + ".log": strings.Repeat("a", 96) + ".log"},
		invalid: []string{"/var/log/nginx/access.log", ".log", "nginx.conf", "../x.log", "a/b.log", "x.log;", strings.Repeat("a", 97) + ".log"},
		get:     func(s model.Settings) any { return s.AccessLog.Path },
	},
	"log-format-upstream": {
		valid:   map[string]any{"$status": model.LogFormat{{Var: "status"}}, `{"s": ${status}}`: model.LogFormat{{Text: `{"s": `}, {Var: "status"}, {Text: "}"}}},
		invalid: []string{"", "$request_body", "it's $status", `a\b`, "a\nb", strings.Repeat("a", 4097)},
		get:     func(s model.Settings) any { return s.AccessLog.Format },
	},
	"log-format-stream": {
		// Checked only: nothing is stored.
		valid:   map[string]any{"$remote_addr $upstream_addr": nil, streamInfo: nil},
		invalid: []string{"$request_uri", "$http_x", ""},
		get:     func(model.Settings) any { return nil },
	},
	"log-format-escape-json": {
		valid: map[string]any{"true": "json", "false": "default"}, invalid: []string{"yes"},
		get: func(s model.Settings) any { return s.AccessLog.Escape },
	},
	"log-format-escape-none": {
		valid: map[string]any{"true": "none", "false": "default"}, invalid: []string{"on"},
		get: func(s model.Settings) any { return s.AccessLog.Escape },
	},
	"skip-access-log-urls": {
		valid: map[string]any{"": []string(nil), "/healthz, /metrics?x=1,/healthz": []string{"/healthz", "/metrics?x=1"},
			"/" + strings.Repeat("a", 255): []string{"/" + strings.Repeat("a", 255)}},
		invalid: []string{`/a"b`, "healthz", "/a b", "/" + strings.Repeat("a", 256)},
		get:     func(s model.Settings) any { return s.AccessLog.SkipURLs },
	},
	"enable-opentelemetry": {
		valid: map[string]any{"true": true, "0": false}, invalid: []string{"on", ""},
		get: func(s model.Settings) any { return s.Tracing.Enable },
	},
	"otlp-collector-host": {
		valid:   map[string]any{"": "", "otel-collector.monitoring.svc": "otel-collector.monitoring.svc", "10.0.0.9": "10.0.0.9", "fd00::1": "fd00::1"},
		invalid: []string{"http://collector:4318", "collector:4318", "Collector", "fe80::1%eth0", "a b"},
		get:     func(s model.Settings) any { return s.Tracing.CollectorHost },
	},
	"otlp-collector-port": {
		valid: map[string]any{"1": 1, "4317": 4317, "65535": 65535}, invalid: []string{"0", "65536", "http", ""},
		get: func(s model.Settings) any { return s.Tracing.CollectorPort },
	},
	"otel-service-name": {
		valid: map[string]any{"edge-external": "edge-external", "ns/ingress:v1.2": "ns/ingress:v1.2"}, invalid: []string{"", "edge proxy", "a\"b", strings.Repeat("a", 129)},
		get: func(s model.Settings) any { return s.Tracing.ServiceName },
	},
	"otel-sampler": {
		valid:   map[string]any{"AlwaysOff": model.SamplerAlwaysOff, "traceidratiobased": model.SamplerTraceRatio, "AlwaysOn": model.SamplerAlwaysOn},
		invalid: []string{"ParentBased", "", "AlwaysOn "},
		get:     func(s model.Settings) any { return s.Tracing.Sampler },
	},
	"otel-sampler-ratio": {
		valid:   map[string]any{"0": 0.0, "0.25": 0.25, "1": 1.0, "1.0": 1.0, "0.00001": 0.00001},
		invalid: []string{"", ".5", "-0.1", "1.5", "0.5.1", "1e-3", "2", "0x1", "NaN"},
		get:     func(s model.Settings) any { return s.Tracing.Ratio },
	},
	"otel-sampler-parent-based": {
		valid: map[string]any{"false": false, "1": true}, invalid: []string{"no"},
		get: func(s model.Settings) any { return s.Tracing.ParentBased },
	},
	"opentelemetry-trust-incoming-span": {
		valid: map[string]any{"true": true, "0": false}, invalid: []string{"yes"},
		get: func(s model.Settings) any { return s.Tracing.TrustIncoming },
	},
	"otel-schedule-delay-millis": {
		valid: map[string]any{"1": time.Millisecond, "250": 250 * time.Millisecond, "60000": time.Minute}, invalid: []string{"0", "60001", "1s", "-5"},
		get: func(s model.Settings) any { return s.Tracing.ExportDelay },
	},
	"global-auth-url": {
		valid: map[string]any{"http://127.0.0.1:9000/auth": model.Template{{Text: "http://127.0.0.1:9000/auth"}},
			"https://$host/oauth2/auth": model.Template{{Text: "https://"}, {Var: "host"}, {Text: "/oauth2/auth"}}, "": model.Template(nil)},
		invalid: []string{"/auth", "http://$http_host/auth", "http://a/auth;", "http://unix:80/auth", "file:///etc/passwd"},
		get:     func(s model.Settings) any { return s.GlobalAuth.Auth.URL },
	},
	"global-auth-method": {
		valid: map[string]any{"GET": "GET", "": ""}, invalid: []string{"get", "G T"},
		get: func(s model.Settings) any { return s.GlobalAuth.Auth.Method },
	},
	"global-auth-signin": {
		valid: map[string]any{"https://$host/oauth2/start?rd=$escaped_request_uri": model.Template{{Text: "https://"}, {Var: "host"},
			{Text: "/oauth2/start?rd="}, {Var: "escaped_request_uri"}}},
		invalid: []string{"/oauth2/start", "https://$host/start?rd=$uri"},
		get:     func(s model.Settings) any { return s.GlobalAuth.Auth.SignIn },
	},
	"global-auth-signin-redirect-param": {
		valid: map[string]any{"orig": "orig", "": "rd"}, invalid: []string{"a=b", "a b"},
		get: func(s model.Settings) any { return s.GlobalAuth.Auth.SignInRedirectParam },
	},
	"global-auth-always-set-cookie": {
		valid: map[string]any{"true": true, "false": false}, invalid: []string{"always"},
		get: func(s model.Settings) any { return s.GlobalAuth.Auth.AlwaysSetCookie },
	},
	"global-auth-response-headers": {
		valid:   map[string]any{"X-Auth-Request-User, X-Auth-Request-Email": []string{"X-Auth-Request-User", "X-Auth-Request-Email"}},
		invalid: []string{"X User", "X:Y"},
		get:     func(s model.Settings) any { return s.GlobalAuth.Auth.ResponseHeaders },
	},
	"global-auth-request-redirect": {
		valid: map[string]any{"https://app.example.com/": "https://app.example.com/"}, invalid: []string{"$request_uri", "a b"},
		get: func(s model.Settings) any { return s.GlobalAuth.Auth.RequestRedirect },
	},
	"global-auth-cache-key": {
		valid:   map[string]any{"$remote_user$http_authorization": model.Template{{Var: "remote_user"}, {Var: "http_authorization"}}},
		invalid: []string{"$request_body", "a b"},
		get:     func(s model.Settings) any { return s.GlobalAuth.Auth.CacheKey },
	},
	"global-auth-cache-duration": {
		valid: map[string]any{"200 202 10m, 401 5m": []model.CacheValid{{Codes: []int{200, 202}, Duration: 10 * time.Minute},
			{Codes: []int{401}, Duration: 5 * time.Minute}}, "": []model.CacheValid{{Codes: []int{200, 202, 401}, Duration: 5 * time.Minute}}},
		invalid: []string{"99 5m", "200,"},
		get:     func(s model.Settings) any { return s.GlobalAuth.Auth.CacheValid },
	},
	"no-auth-locations": {
		valid:   map[string]any{"/.well-known/acme-challenge, /healthz/": []string{"/.well-known/acme-challenge", "/healthz/"}},
		invalid: []string{"", "healthz", "/a/../b", "/a$", "/a;"},
		get:     func(s model.Settings) any { return s.GlobalAuth.NoAuthLocations },
	},
	"enable-modsecurity": {
		valid: map[string]any{"true": true}, invalid: []string{"on"},
		get: func(s model.Settings) any { return s.WAF.Enable },
	},
	"enable-owasp-modsecurity-crs": {
		valid: map[string]any{"1": true}, invalid: []string{"yes"},
		get: func(s model.Settings) any { return s.WAF.CoreRules },
	},
	"modsecurity-mode": {
		valid: map[string]any{"On": model.WAFOn, "DetectionOnly": model.WAFDetectionOnly}, invalid: []string{"Off", "on", ""},
		get: func(s model.Settings) any { return s.WAF.Mode },
	},
	"modsecurity-paranoia-level": {
		valid: map[string]any{"1": 1, "4": 4}, invalid: []string{"0", "5", "2.5"},
		get: func(s model.Settings) any { return s.WAF.Paranoia },
	},
	"modsecurity-inbound-anomaly-threshold": {
		valid: map[string]any{"1": 1, "10000": 10000}, invalid: []string{"0", "10001"},
		get: func(s model.Settings) any { return s.WAF.InboundThreshold },
	},
	"modsecurity-outbound-anomaly-threshold": {
		valid: map[string]any{"1": 1, "10000": 10000}, invalid: []string{"0", "10001"},
		get: func(s model.Settings) any { return s.WAF.OutboundThreshold },
	},
	"modsecurity-exclude-rule-ids": {
		valid:   map[string]any{"": []model.RuleIDRange(nil), "920350": []model.RuleIDRange{{First: 920350, Last: 920350}}},
		invalid: []string{"abc", "920350;"},
		get:     func(s model.Settings) any { return s.WAF.ExcludeIDs },
	},
	"modsecurity-exclude-rule-tags": {
		valid: map[string]any{"": []string(nil), "attack-rce": []string{"attack-rce"}}, invalid: []string{"a b", "x;"},
		get: func(s model.Settings) any { return s.WAF.ExcludeTags },
	},
	"add-headers": {
		valid: map[string]any{"": []model.Header(nil),
			"ingress/headers": []model.Header{{Name: "X-Frame-Options", Value: model.Template{{Text: "DENY"}}}}},
		invalid: []string{"headers", "ingress/", "Ingress/headers", "a/b/c"},
		get:     func(s model.Settings) any { return s.Headers.Response },
	},
	"proxy-set-headers": {
		valid: map[string]any{"": []model.Header(nil),
			"ingress/headers": []model.Header{{Name: "X-Frame-Options", Value: model.Template{{Text: "DENY"}}}}},
		invalid: []string{"/headers", "ingress/headers;"},
		get:     func(s model.Settings) any { return s.Headers.Request },
	},
	"hide-headers": {
		valid:   map[string]any{"": []string(nil), "X-Powered-By, Server": []string{"X-Powered-By", "Server"}},
		invalid: []string{"X Powered", "X-A,", "X:A"},
		get:     func(s model.Settings) any { return s.Headers.Hide },
	},
	"global-allowed-response-headers": {
		valid:   map[string]any{"": []string(nil), "X-Frame-Options,cache-control": []string{"x-frame-options", "cache-control"}},
		invalid: []string{"X-A;", "a b"},
		get:     func(s model.Settings) any { return s.Headers.AllowedResponse },
	},
	"proxy-add-original-uri-header": {
		valid: map[string]any{"true": true, "false": false}, invalid: []string{"on"},
		get: func(s model.Settings) any { return s.Headers.OriginalURI },
	},
}

// locationDefaultCases are the cases of the ConfigMap's location defaults:
// a valid value is kept as written (the annotation's own default is not
// kept: nginx.conf has it), an invalid one is refused by the annotation's
// grammar.
var locationDefaultCases = map[string]struct {
	valid   []string
	invalid []string
}{
	"proxy-body-size":             {valid: []string{"100m", "0", "1024g"}, invalid: []string{"-1", "1025g", "100mb", "1m;"}},
	"client-body-buffer-size":     {valid: []string{"1", "16k"}, invalid: []string{"0", "1kb"}},
	"proxy-buffering":             {valid: []string{"on"}, invalid: []string{"true", "yes"}},
	"proxy-buffer-size":           {valid: []string{"16k", "1"}, invalid: []string{"0", "8kk"}},
	"proxy-buffers-number":        {valid: []string{"2", "1024"}, invalid: []string{"1", "1025"}},
	"proxy-busy-buffers-size":     {valid: []string{"4k", "12k"}, invalid: []string{"0", "8kk"}},
	"proxy-request-buffering":     {valid: []string{"off"}, invalid: []string{"false"}},
	"proxy-connect-timeout":       {valid: []string{"10", "1500ms", "7d"}, invalid: []string{"0", "8d", "-1", "5 s"}},
	"proxy-read-timeout":          {valid: []string{"3600", "1ms"}, invalid: []string{"0", "1h30m", "x"}},
	"proxy-send-timeout":          {valid: []string{"3600", "7d"}, invalid: []string{"0", "8d"}},
	"proxy-next-upstream":         {valid: []string{"error timeout http_502", "off"}, invalid: []string{"http_418", "error;"}},
	"proxy-next-upstream-timeout": {valid: []string{"30", "7d"}, invalid: []string{"8d", "-1"}},
	"proxy-next-upstream-tries":   {valid: []string{"0", "100"}, invalid: []string{"101", "-1"}},
	"proxy-http-version":          {valid: []string{"1.0"}, invalid: []string{"2", "1.1;"}},
	"proxy-cookie-domain":         {valid: []string{"localhost example.org"}, invalid: []string{"a", "a b c"}},
	"proxy-cookie-path":           {valid: []string{"/one/ /"}, invalid: []string{"/a", "/a /b;"}},
	"proxy-redirect-from":         {valid: []string{"default"}, invalid: []string{"a b", "x;"}},
	"proxy-redirect-to":           {valid: []string{"https://b.example.com/"}, invalid: []string{"a b", "x;"}},
	"ssl-redirect":                {valid: []string{"false", "0"}, invalid: []string{"off", "no"}},
	"force-ssl-redirect":          {valid: []string{"true", "1"}, invalid: []string{"on"}},
	"custom-http-errors":          {valid: []string{"404, 503", "599", "400"}, invalid: []string{"399", "600", "404;"}},
	"load-balance":                {valid: []string{"ewma"}, invalid: []string{"least_conn", "ewma;"}},
	"service-upstream":            {valid: []string{"true"}, invalid: []string{"yes"}},
	"cors-allow-origin":           {valid: []string{"https://a.example.com, https://*.example.org:8443"}, invalid: []string{"a.example.com", "https://a.example.com/x"}},
	"cors-allow-methods":          {valid: []string{"GET, POST"}, invalid: []string{"GET;", "G ET"}},
	"cors-allow-headers":          {valid: []string{"X-A, Authorization"}, invalid: []string{"X A", "X-A;"}},
	"cors-expose-headers":         {valid: []string{"*", "X-Total"}, invalid: []string{"X Total"}},
	"cors-allow-credentials":      {valid: []string{"false"}, invalid: []string{"off"}},
	"cors-max-age":                {valid: []string{"600", "365d"}, invalid: []string{"366d", "-1"}},
}

func init() {
	for key, tc := range locationDefaultCases {
		valid := map[string]any{}
		for _, v := range tc.valid {
			valid[v] = v
		}
		settingCases[key] = settingCase{valid: valid, invalid: tc.invalid,
			get: func(s model.Settings) any {
				if v, ok := s.LocationDefaults[key]; ok {
					return v
				}
				return nil
			}}
	}
}

// headersConfigMap is the header ConfigMap that the cases of add-headers
// and proxy-set-headers name.
var headersConfigMap = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ingress", Name: "headers"},
	Data: map[string]string{"X-Frame-Options": "DENY"}}

// TestSettings checks every key of the table through Build: its valid
// values give the typed value, its invalid ones keep the default and are
// reported on the key.
func TestSettings(t *testing.T) {
	for key, tc := range settingCases {
		t.Run(key, func(t *testing.T) {
			build := func(value string) (model.Settings, []Problem) {
				cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ingress", Name: "archway"}, Data: map[string]string{key: value}}
				cfg, report := Build(source.Snapshot{ConfigMap: cm, ConfigMaps: []*corev1.ConfigMap{headersConfigMap}}, defaultOpts())
				return cfg.Settings, report.Problems
			}
			for value, want := range tc.valid {
				s, problems := build(value)
				require.Empty(t, problems, value)
				require.Equal(t, want, tc.get(s), value)
			}
			for _, value := range tc.invalid {
				s, problems := build(value)
				require.Len(t, problems, 1, value)
				require.Equal(t, reason.InvalidSetting, problems[0].Reason, value)
				require.Equal(t, "data."+key, problems[0].Field)
				require.Equal(t, tc.get(defaultSettings()), tc.get(s), "an invalid value keeps the default")
			}
		})
	}
}

// TestEverySettingIsTested fails when a key of the table has no cases, or
// a case names no key.
func TestEverySettingIsTested(t *testing.T) {
	for _, st := range SettingSpecs() {
		tc, ok := settingCases[st.Key]
		require.True(t, ok, "settingCases has no cases for %s", st.Key)
		require.NotEmpty(t, tc.valid, st.Key)
		require.NotEmpty(t, tc.invalid, st.Key)
	}
	require.Len(t, settingCases, len(SettingSpecs()), "a case for a key the table does not have")
}
