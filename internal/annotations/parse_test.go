package annotations

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

func TestParseProblems(t *testing.T) {
	key := func(name string) string { return prefix + "/" + name }
	tests := map[string]struct {
		annotations map[string]string
		prefix      string
		want        []Problem // Message is checked for being non-empty only
	}{
		"other prefixes are not ours": {
			annotations: map[string]string{"kubernetes.io/ingress.class": "x", "example.com/proxy-body-size": "x;"},
			prefix:      prefix,
		},
		"custom prefix": {
			annotations: map[string]string{"archway.dev/proxy-body-size": "x", key("proxy-body-size"): "x"},
			prefix:      "archway.dev",
			want:        []Problem{{Key: "archway.dev/proxy-body-size", Reason: reason.InvalidAnnotation, Effect: Blocked}},
		},
		"snippets are refused, not fatal": {
			annotations: map[string]string{key("configuration-snippet"): "more_set_headers x;", key("server-snippet"): "",
				key("auth-snippet"): "x", key("proxy-body-size"): "2m"},
			prefix: prefix,
			want: []Problem{
				{Key: key("auth-snippet"), Reason: reason.SnippetRefused, Effect: Ignored},
				{Key: key("configuration-snippet"), Reason: reason.SnippetRefused, Effect: Ignored},
				{Key: key("server-snippet"), Reason: reason.SnippetRefused, Effect: Ignored},
			},
		},
		"unknown keys": {
			annotations: map[string]string{key("mirror-target"): "https://x",
				key("session-cookie-change-on-failure"): "true", key("influxdb-host"): "x"},
			prefix: prefix,
			want: []Problem{
				{Key: key("influxdb-host"), Reason: reason.UnsupportedAnnotation, Effect: Ignored},
				{Key: key("mirror-target"), Reason: reason.UnsupportedAnnotation, Effect: Ignored},
				{Key: key("session-cookie-change-on-failure"), Reason: reason.UnsupportedAnnotation, Effect: Ignored},
			},
		},
		"auth-type needs a secret": {
			annotations: map[string]string{key("auth-type"): "basic"},
			prefix:      prefix,
			want:        []Problem{{Key: key("auth-type"), Reason: reason.InvalidAnnotation, Effect: Blocked}},
		},
		"proxy-redirect-from needs a to": {
			annotations: map[string]string{key("proxy-redirect-from"): "http://a/"},
			prefix:      prefix,
			want:        []Problem{{Key: key("proxy-redirect-from"), Reason: reason.InvalidAnnotation, Effect: Blocked}},
		},
		"temp file size follows the buffer size": {
			annotations: map[string]string{key("proxy-buffer-size"): "64k", key("proxy-max-temp-file-size"): "32k"},
			prefix:      prefix,
			want:        []Problem{{Key: key("proxy-max-temp-file-size"), Reason: reason.InvalidAnnotation, Effect: Blocked}},
		},
		"buffer size above the default temp file size": {
			annotations: map[string]string{key("proxy-buffer-size"): "2g"},
			prefix:      prefix,
			want:        []Problem{{Key: key("proxy-buffer-size"), Reason: reason.InvalidAnnotation, Effect: Blocked}},
		},
		"buffer size above a temp file size of 0": {
			annotations: map[string]string{key("proxy-buffer-size"): "2g", key("proxy-max-temp-file-size"): "0"},
			prefix:      prefix,
		},
		"proxy-ssl-verify needs a secret": {
			annotations: map[string]string{key("proxy-ssl-verify"): "on"},
			prefix:      prefix,
			want:        []Problem{{Key: key("proxy-ssl-verify"), Reason: reason.InvalidAnnotation, Effect: Blocked}},
		},
		"auth-tls-match-cn needs a secret": {
			annotations: map[string]string{key("auth-tls-match-cn"): "CN=client1"},
			prefix:      prefix,
			want:        []Problem{{Key: key("auth-tls-match-cn"), Reason: reason.InvalidAnnotation, Effect: Blocked}},
		},
		"auth-tls-match-cn needs a certificate asked for": {
			annotations: map[string]string{key("auth-tls-match-cn"): "CN=client1", key("auth-tls-secret"): "ca",
				key("auth-tls-verify-client"): "off"},
			prefix: prefix,
			want:   []Problem{{Key: key("auth-tls-match-cn"), Reason: reason.InvalidAnnotation, Effect: Blocked}},
		},
		"auth-tls-match-cn with an optional certificate": {
			annotations: map[string]string{key("auth-tls-match-cn"): "CN=client1", key("auth-tls-secret"): "ca",
				key("auth-tls-verify-client"): "optional"},
			prefix: prefix,
		},
		"temp file size at the buffer size": {
			annotations: map[string]string{key("proxy-buffer-size"): "64k", key("proxy-max-temp-file-size"): "64k"},
			prefix:      prefix,
		},
		"every invalid value is reported": {
			annotations: map[string]string{key("proxy-body-size"): "big", key("limit-rps"): "fast", key("use-regex"): "true"},
			prefix:      prefix,
			want: []Problem{
				{Key: key("limit-rps"), Reason: reason.InvalidAnnotation, Effect: Blocked},
				{Key: key("proxy-body-size"), Reason: reason.InvalidAnnotation, Effect: Blocked},
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, problems := Parse(tc.annotations, tc.prefix)
			for i := range problems {
				require.NotEmpty(t, problems[i].Message)
				problems[i].Message = ""
			}
			require.Equal(t, tc.want, problems)
		})
	}
}

func TestPolicy(t *testing.T) {
	key := func(name string) string { return prefix + "/" + name }
	tests := map[string]struct {
		annotations map[string]string
		want        model.Policy
	}{
		"nothing": {},
		"cors off unless enabled": {
			annotations: map[string]string{key("cors-allow-origin"): "https://a.example.com"},
		},
		"cors defaults": {
			annotations: map[string]string{key("enable-cors"): "true"},
			want: model.Policy{CORS: &model.CORS{
				AnyOrigin:        true,
				AllowMethods:     []string{"GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"},
				AllowHeaders:     []string{"DNT", "X-CustomHeader", "Keep-Alive", "User-Agent", "X-Requested-With", "If-Modified-Since", "Cache-Control", "Content-Type", "Authorization"},
				AllowCredentials: true,
				MaxAge:           1728000 * time.Second,
			}},
		},
		"rate limit off at 0, burst multiplier default": {
			annotations: map[string]string{key("limit-rps"): "0", key("limit-whitelist"): "10.0.0.0/8"},
		},
		"rate limit": {
			annotations: map[string]string{key("limit-rpm"): "60"},
			want:        model.Policy{RateLimit: &model.RateLimit{RPM: 60, BurstMultiplier: 5}},
		},
		"temporal redirect wins": {
			annotations: map[string]string{key("permanent-redirect"): "https://a.example.com", key("permanent-redirect-code"): "308",
				key("temporal-redirect"): "https://b.example.com"},
			want: model.Policy{Redirect: &model.Redirect{Code: http.StatusFound, URL: model.Template{text("https://b.example.com")}}},
		},
		"permanent redirect code": {
			annotations: map[string]string{key("permanent-redirect"): "https://a.example.com", key("permanent-redirect-code"): "308"},
			want:        model.Policy{Redirect: &model.Redirect{Code: http.StatusPermanentRedirect, URL: model.Template{text("https://a.example.com")}}},
		},
		"external auth drops the cache durations without a key": {
			annotations: map[string]string{key("auth-url"): "http://10.0.0.1/auth"},
			want:        model.Policy{ExternalAuth: &model.ExternalAuth{URL: model.Template{text("http://10.0.0.1/auth")}}},
		},
		"external auth cache": {
			annotations: map[string]string{key("auth-url"): "http://10.0.0.1/auth", key("auth-cache-key"): "$http_authorization"},
			want: model.Policy{ExternalAuth: &model.ExternalAuth{URL: model.Template{text("http://10.0.0.1/auth")},
				CacheKey:   model.Template{variable("http_authorization")},
				CacheValid: []model.CacheValid{{Codes: []int{200, 202, 401}, Duration: 5 * time.Minute}}}},
		},
		"backend-protocol wins over secure-backends": {
			annotations: map[string]string{key("secure-backends"): "true", key("backend-protocol"): "GRPC"},
			want:        model.Policy{Protocol: model.ProtocolGRPC},
		},
		"backend tls settings": {
			annotations: map[string]string{key("backend-protocol"): "HTTPS", key("proxy-ssl-verify"): "on", key("proxy-ssl-name"): "api.internal",
				key("proxy-ssl-secret"): "backend-ca"},
			want: model.Policy{Protocol: model.ProtocolHTTPS, BackendTLS: &model.BackendTLS{Verify: true, ServerName: "api.internal"}},
		},
		"proxy settings": {
			annotations: map[string]string{key("proxy-body-size"): "0", key("proxy-read-timeout"): "3600", key("upstream-vhost"): "api.internal"},
			want:        model.Policy{Proxy: model.Proxy{BodySize: size(0), ReadTimeout: time.Hour, Host: "api.internal"}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p, problems := Parse(tc.annotations, prefix)
			require.Empty(t, problems)
			require.Equal(t, tc.want, p.Location.Policy())
		})
	}
}

func TestBalancing(t *testing.T) {
	key := func(name string) string { return prefix + "/" + name }
	p, problems := Parse(map[string]string{key("affinity"): "cookie", key("session-cookie-expires"): "3600",
		key("session-cookie-name"): "route", key("load-balance"): "ewma", key("upstream-hash-by"): "$request_uri"}, prefix)
	require.Empty(t, problems)
	require.Equal(t, model.Balancing{Algorithm: model.EWMA, HashBy: "request_uri",
		Cookie: &model.CookieAffinity{Name: "route", MaxAge: 3600}}, p.Location.Balancing())
	p, _ = Parse(map[string]string{key("session-cookie-max-age"): "60", key("session-cookie-expires"): "3600", key("affinity"): "cookie"}, prefix)
	require.Equal(t, 60, p.Location.Balancing().Cookie.MaxAge, "max-age wins over expires")
	p, _ = Parse(map[string]string{key("session-cookie-name"): "route"}, prefix)
	require.Equal(t, model.Balancing{}, p.Location.Balancing(), "no cookie without affinity")
}

func TestDefaultsAreNotShared(t *testing.T) {
	a, _ := Parse(map[string]string{prefix + "/cors-allow-methods": "GET"}, prefix)
	b, _ := Parse(nil, prefix)
	require.Equal(t, []string{"GET"}, a.Location.CORS.AllowMethods)
	require.Equal(t, []string{"GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"}, b.Location.CORS.AllowMethods)
}

func TestClientAuthDefaults(t *testing.T) {
	p, problems := Parse(map[string]string{prefix + "/auth-tls-secret": "client-ca"}, prefix)
	require.Empty(t, problems)
	require.Equal(t, ClientAuth{Secret: &SecretRef{Name: "client-ca"}, Verify: model.VerifyOn, Depth: 1}, p.Server.ClientAuth)
}

func TestMetricLabel(t *testing.T) {
	for key, want := range map[string]string{
		prefix + "/mirror-target":       "mirror-target",
		prefix + "/ssl-passthrough":     "ssl-passthrough",
		"example.com/mirror-target":     "mirror-target",
		prefix + "/x-made-up":           UnknownLabel,
		prefix + "/" + "MIRROR-TARGET":  UnknownLabel,
		prefix + "/mirror-target-extra": UnknownLabel,
	} {
		require.Equal(t, want, MetricLabel(key), key)
	}
}
