package render

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// authServer answers 200 with X-Auth-Request-User and a session cookie to
// the bearer token allowed, and denied with another cookie to any other
// request.
func authServer(t *testing.T, allowed string, denied int) string {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+allowed {
			w.Header().Set("Set-Cookie", "session=none")
			w.WriteHeader(denied)
			return
		}
		w.Header().Set("X-Auth-Request-User", allowed+"-user")
		w.Header().Set("Set-Cookie", "session="+allowed)
	}))
	t.Cleanup(s.Close)
	return s.URL
}

// TestConfigMapGlobalAuth: global-auth-url asks about every Ingress path
// (401 to the client, or the backend with global-auth-response-headers),
// except those of an Ingress with its own auth-url (which is asked
// instead), with enable-global-auth: "false", or under no-auth-locations;
// global-auth-signin redirects a 401 (with the query parameter
// global-auth-signin-redirect-param), and the auth response's Set-Cookie
// reaches the client on success, or always with
// global-auth-always-set-cookie.
func TestConfigMapGlobalAuth(t *testing.T) {
	global, own := authServer(t, "global", http.StatusUnauthorized), authServer(t, "own", http.StatusForbidden)
	services := serviceYAML("app", 80, listen(t, "app")) + serviceYAML("slow", 80, slowBackend(t, 0))
	env := manifestEnv(t, configMapYAML(`{global-auth-url: "`+global+`/check", global-auth-response-headers: X-Auth-Request-User, no-auth-locations: /slow}`)+
		hostIngress("plain", "plain.example.com", nil)+
		hostIngress("own", "own.example.com", map[string]string{"auth-url": own + "/check"})+
		hostIngress("out", "out.example.com", map[string]string{"enable-global-auth": "false"})+services)
	bearer := func(token string) http.Header { return http.Header{"Authorization": {"Bearer " + token}} }
	env.check(t, map[string]exchange{
		"global auth denies":          {host: "plain.example.com", path: "/", status: 401, wantHeaders: map[string]string{"Set-Cookie": ""}},
		"global auth allows":          {host: "plain.example.com", path: "/x?show=X-Auth-Request-User", header: bearer("global"), status: 200, wantBody: "app /x?show=X-Auth-Request-User", wantHeaders: map[string]string{"X-Seen-X-Auth-Request-User": "global-user", "Set-Cookie": "session=global"}},
		"no-auth-locations":           {host: "plain.example.com", path: "/slow", status: 200, wantBody: "slow"},
		"the Ingress's auth-url wins": {host: "own.example.com", path: "/", header: bearer("global"), status: 403},
		"its own auth allows":         {host: "own.example.com", path: "/", header: bearer("own"), status: 200},
		"enable-global-auth: false":   {host: "out.example.com", path: "/", status: 200, wantBody: "app /"},
	})
	t.Run("global-auth-always-set-cookie", func(t *testing.T) {
		env := manifestEnv(t, configMapYAML(`{global-auth-url: "`+global+`/check", global-auth-always-set-cookie: "true"}`)+
			hostIngress("plain", "plain.example.com", nil)+services)
		env.check(t, map[string]exchange{
			"denied, with the cookie": {host: "plain.example.com", path: "/", status: 401, wantHeaders: map[string]string{"Set-Cookie": "session=none"}},
		})
	})
	t.Run("global-auth-signin", func(t *testing.T) {
		env := manifestEnv(t, configMapYAML(`{global-auth-url: "`+global+`/check", global-auth-signin: "https://login.test/start", `+
			`global-auth-signin-redirect-param: orig}`)+
			hostIngress("plain", "plain.example.com", nil)+
			hostIngress("own", "own.example.com", map[string]string{"auth-url": global + "/check", "auth-signin": "https://login.test/start?a=1"})+services)
		env.check(t, map[string]exchange{
			"redirected": {host: "plain.example.com", path: "/x?a=1", status: 302,
				wantHeaders: map[string]string{"Location": "https://login.test/start?orig=http://plain.example.com%2Fx%3Fa%3D1"}},
			"allowed": {host: "plain.example.com", path: "/x", header: bearer("global"), status: 200},
			"the Ingress's own sign-in keeps rd": {host: "own.example.com", path: "/y", status: 302,
				wantHeaders: map[string]string{"Location": "https://login.test/start?a=1&rd=http://own.example.com%2Fy"}},
		})
	})
}
