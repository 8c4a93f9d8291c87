package render

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

// TestPolicyRejects feeds render policies that package builder would never
// make: render must refuse them rather than print them.
func TestPolicyRejects(t *testing.T) {
	tests := map[string]struct {
		loc     model.Location
		wantErr string
	}{
		"quote in a redirect": {loc: with(prefix("/", "app"), "x", model.Policy{Redirect: &model.Redirect{Code: 301,
			URL: model.Template{{Text: `https://a"; return 200 "x`}}}}), wantErr: `contains '"'`},
		"variable breakout": {loc: with(prefix("/", "app"), "x", model.Policy{Redirect: &model.Redirect{Code: 301,
			URL: model.Template{{Var: "host}; return 200 {"}}}}), wantErr: "not allowed here"},
		"redirect code": {loc: with(prefix("/", "app"), "x", model.Policy{Redirect: &model.Redirect{Code: 200,
			URL: model.Template{{Text: "https://a"}}}}), wantErr: "redirect code 200"},
		"named variable in a rewrite target": {loc: with(prefix("/", "app"), "x", model.Policy{
			RewriteTarget: model.Template{{Var: "request_uri"}}}), wantErr: "not allowed here"},
		"quote in a regex path":          {loc: with(regex(`/a"b`, "app"), "x", model.Policy{}), wantErr: "not allowed"},
		"newline escape in a regex path": {loc: with(regex(`/a\nb`, "app"), "x", model.Policy{}), wantErr: "backslash"},
		"broken regex":                   {loc: with(regex(`/a(b`, "app"), "x", model.Policy{}), wantErr: "does not compile"},
		"header name": {loc: with(prefix("/", "app"), "x", model.Policy{ExternalAuth: &model.ExternalAuth{URL: model.Template{{Text: "http://10.0.0.1/"}},
			ResponseHeaders: []string{"X-A; y"}}}), wantErr: "auth response header"},
		"auth url": {loc: with(prefix("/", "app"), "x", model.Policy{ExternalAuth: &model.ExternalAuth{URL: model.Template{{Text: "file:///etc/passwd"}}}}),
			wantErr: "not an http(s) URL"},
		"auth url quote": {loc: with(prefix("/", "app"), "x", model.Policy{ExternalAuth: &model.ExternalAuth{URL: model.Template{{Text: `http://10.0.0.1/"`}}}}),
			wantErr: `contains '"'`},
		"htpasswd newline": {loc: with(prefix("/", "app"), "x", model.Policy{BasicAuth: &model.BasicAuth{
			Credentials: []model.Credential{{User: "a", Hash: "x\nroot:y"}}}}), wantErr: "not a valid htpasswd line"},
		"htpasswd colon in user": {loc: with(prefix("/", "app"), "x", model.Policy{BasicAuth: &model.BasicAuth{
			Credentials: []model.Credential{{User: "a:b", Hash: "x"}}}}), wantErr: "not a valid htpasswd line"},
		"no users": {loc: with(prefix("/", "app"), "x", model.Policy{BasicAuth: &model.BasicAuth{}}), wantErr: "no users"},
		"verify without a CA": {loc: with(prefix("/", "app"), "x", model.Policy{BackendTLS: &model.BackendTLS{Verify: true}}),
			wantErr: "without a trusted CA"},
		"unknown protocol": {loc: with(prefix("/", "app"), "x", model.Policy{Protocol: "AJP"}), wantErr: "unknown backend protocol"},
		"invalid prefix": {loc: with(prefix("/", "app"), "x", model.Policy{RateLimit: &model.RateLimit{RPS: 1, Allow: []netip.Prefix{{}}}}),
			wantErr: "invalid prefix"},
		"origin host": {loc: with(prefix("/", "app"), "x", model.Policy{CORS: &model.CORS{
			AllowOrigins: []model.Origin{{Scheme: "https", Host: `a"b`}}}}), wantErr: "not a lowercase DNS name"},
		"error page code": {loc: with(prefix("/", "app"), "x", model.Policy{Errors: &model.ErrorPages{Codes: []int{200}}}),
			wantErr: "custom-http-errors: code 200"},
		"error backend": {loc: with(prefix("/", "app"), "x", model.Policy{Errors: &model.ErrorPages{Backend: "nope"}}),
			wantErr: `error backend "nope"`},
		"quote in a header value": {loc: with(prefix("/", "app"), "x", model.Policy{Proxy: model.Proxy{Host: `a" b`}}),
			wantErr: `contains '"'`},
	}
	r, err := New("")
	require.NoError(t, err)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := r.Render(model.Config{DefaultBackend: "app", Backends: []model.Backend{backend("app", 80, "10.0.0.1")},
				Servers: []model.Server{{Host: "a.test", Locations: []model.Location{tc.loc}}}}, rootOptions("/run/archway"))
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
	t.Run("alias", func(t *testing.T) {
		_, err := r.Render(model.Config{Servers: []model.Server{{Host: "a.test", Aliases: []string{"b.test; x"}}}}, rootOptions("/run/archway"))
		require.ErrorContains(t, err, "alias")
	})
}
