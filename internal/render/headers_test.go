package render

import (
	"net/http"
	"testing"

	"github.com/archway-ingress/archway/internal/model"
)

// TestHeaderSettings checks the header settings through nginx: the
// ConfigMap's response headers reach the client, on error answers too, its
// request headers the backend; hide-headers hides a backend header;
// custom-headers adds a location's own; ingress-nginx's compatibility
// headers reach the backend and a client's Proxy header does not.
func TestHeaderSettings(t *testing.T) {
	text := func(s string) model.Template { return model.Template{{Text: s}} }
	app := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Powered-By", "PHP/5.6")
		w.Header().Set("X-Kept", "yes")
		if r.URL.Path == "/missing" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		echo("app")(w, r)
	}
	e := newAnnotationEnv(t, model.Config{
		Backends: []model.Backend{handlerBackend(t, "app", app)},
		Servers: []model.Server{{Host: "headers.test", Locations: []model.Location{prefix("/", "app"),
			{Path: "/custom", Match: model.MatchPrefix, Backend: "app", Policy: &model.Policy{ResponseHeaders: []model.Header{
				{Name: "Cache-Control", Value: text("no-store")}, {Name: "X-Frame-Options", Value: text("SAMEORIGIN")}}}}}}},
		Settings: model.Settings{Headers: model.HeaderSettings{OriginalURI: true,
			Request: []model.Header{{Name: "X-Using-Archway", Value: text("true")},
				{Name: "X-Request-Start", Value: model.Template{{Text: "t="}, {Var: "msec"}}}},
			Response: []model.Header{{Name: "Strict-Transport-Security", Value: text("max-age=31536000; includeSubDomains")},
				{Name: "X-Frame-Options", Value: text("DENY")}},
			Hide: []string{"X-Powered-By"}}},
	})
	const hsts = "max-age=31536000; includeSubDomains"
	shown := "/a?x=1&show=X-Using-Archway&show=X-Original-URI&show=Proxy&show=X-Scheme&show=X-Original-Forwarded-For"
	e.check(t, map[string]exchange{
		"headers seen by the client and the backend": {host: "headers.test", path: shown, status: 200,
			header: http.Header{"Proxy": {"http://attacker.test:3128"}, "X-Forwarded-For": {"203.0.113.9"}},
			wantHeaders: map[string]string{"Strict-Transport-Security": hsts, "X-Frame-Options": "DENY", "X-Powered-By": "", "X-Kept": "yes",
				"X-Seen-X-Using-Archway": "true", "X-Seen-X-Original-URI": shown, "X-Seen-Proxy": "", "X-Seen-X-Scheme": "http",
				"X-Seen-X-Original-Forwarded-For": "203.0.113.9"}},
		"a backend's error answer": {host: "headers.test", path: "/missing", status: 404,
			wantHeaders: map[string]string{"Strict-Transport-Security": hsts, "X-Powered-By": ""}},
		"custom-headers beside the ConfigMap's": {host: "headers.test", path: "/custom", status: 200,
			wantHeaders: map[string]string{"Strict-Transport-Security": hsts, "Cache-Control": "no-store", "X-Frame-Options": "SAMEORIGIN"}},
		"nginx's own answer": {host: "other.test", path: "/", status: 404,
			wantHeaders: map[string]string{"Strict-Transport-Security": hsts}},
	})
	t.Run("the request start time", func(t *testing.T) {
		resp, _ := e.do(t, http.MethodGet, "headers.test", "/b?show=X-Request-Start", nil, "")
		if got := resp.Header.Get("X-Seen-X-Request-Start"); len(got) < len("t=1.000") || got[:2] != "t=" {
			t.Fatalf("X-Request-Start: %q", got)
		}
	})
}
