package builder

import (
	"strings"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
)

// globalAuthDocs are the descriptions of the global-auth-* keys, by the
// auth-* annotation whose grammar each one takes.
var globalAuthDocs = map[string]string{
	"auth-url": "Every Ingress path is first asked about at this URL, as with the `auth-url` annotation, unless its Ingress has an `auth-url` " +
		"of its own (which wins, with its own companions), sets `enable-global-auth: \"false\"`, or the path is under `no-auth-locations`. " +
		"A tenant's `enable-global-auth: \"false\"` opts out only its own Ingress's paths, as in ingress-nginx. With `$host` or " +
		"`$best_http_host`, rules without a host answer 503, as with the annotation. An Ingress's default backend does not get it.",
	"auth-method":                "Method of the global auth request (`auth-method`); the client's by default.",
	"auth-signin":                "Where a 401 of the global auth redirects the client (`auth-signin`).",
	"auth-signin-redirect-param": "The query parameter with the request's URL added to global-auth-signin (`auth-signin-redirect-param`).",
	"auth-always-set-cookie":     "Passes the global auth response's Set-Cookie to the client on every answer, not only on success (`auth-always-set-cookie`).",
	"auth-response-headers":      "Headers of the global auth response copied to the request sent to the backend (`auth-response-headers`).",
	"auth-request-redirect":      "Sent to the global auth URL as X-Auth-Request-Redirect (`auth-request-redirect`); the request URI by default.",
	"auth-cache-key":             "Caches global auth responses under this key, per location (`auth-cache-key`).",
	"auth-cache-duration":        "How long cached global auth responses are kept, by status (`auth-cache-duration`).",
}

// globalAuthSettings are ingress-nginx's global-auth-* keys: each is read
// by the grammar of the auth-* annotation it is named after, into the same
// typed external auth, which build gives every Ingress path without one
// (ingress.go). An empty value keeps the default.
func globalAuthSettings() []SettingSpec {
	const g = "Global external authentication"
	out := make([]SettingSpec, 0, len(annotations.ExternalAuthKeys)+1)
	for _, name := range annotations.ExternalAuthKeys {
		a, _ := annotations.Lookup(name)
		out = append(out, SettingSpec{Key: "global-" + name, Group: g, Scope: ScopeLocationDefault, Syntax: a.Syntax, Default: a.Default,
			Doc: globalAuthDocs[name],
			set: func(value string, s *model.Settings) error {
				if strings.TrimSpace(value) == "" {
					return nil
				}
				return annotations.ApplyExternalAuth(name, value, &s.GlobalAuth.Auth)
			}})
	}
	return append(out, SettingSpec{Key: "no-auth-locations", Group: g, Scope: ScopeLocationDefault,
		Syntax: "comma-separated paths of letters, digits and `-._~/`", Default: model.DefaultNoTLSRedirectLocations,
		Doc: "Ingress paths under these prefixes, each matching whole path segments of the Ingress's path (`/a` covers `/a` and `/a/b`, not `/ab`), " +
			"never get the global auth (their Ingress's own `auth-url` still applies; ingress-nginx skipped that one too). Any tenant's " +
			"Ingress may use such a path, so list only paths that need no auth anywhere.",
		set: parseInto(grammar.List(grammar.URLPath), func(s *model.Settings) *[]string { return &s.GlobalAuth.NoAuthLocations })})
}

// underPrefix says whether path is one of prefixes or under one, a whole
// segment at a time.
func underPrefix(path string, prefixes []string) bool {
	for _, p := range prefixes {
		if path == p || strings.HasPrefix(path, strings.TrimSuffix(p, "/")+"/") {
			return true
		}
	}
	return false
}
