package render

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/model"
)

// TestRedirectVariablesCannotSplitResponses puts every nginx variable that
// the redirect annotations accept into a real nginx's redirects, and sends
// CR LF, percent-encoded, in the path and the query: nginx decodes some
// variables ($uri), and a decoded CR LF in a Location header would start a
// header of the client's choosing. No accepted variable may let one through.
func TestRedirectVariablesCannotSplitResponses(t *testing.T) {
	auth := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(auth.Close)
	candidates := []string{"scheme", "host", "http_host", "server_port", "request_uri", "uri", "document_uri",
		"args", "is_args", "query_string", "escaped_request_uri", "arg_q", "request_filename"}
	keys := map[string]string{"permanent-redirect": "pr", "temporal-redirect": "tr", "auth-signin": "si"}
	var locs []model.Location
	var paths []string
	for key, short := range keys {
		for _, name := range candidates {
			values := map[string]string{annotations.DefaultPrefix + "/" + key: "https://x.test/r?v=$" + name}
			if key == "auth-signin" {
				values[annotations.DefaultPrefix+"/auth-url"] = auth.URL + "/check"
			}
			parsed, problems := annotations.Parse(values, annotations.DefaultPrefix)
			if len(problems) > 0 {
				continue // refused: nothing reaches nginx
			}
			path := "/" + short + "-" + strings.ReplaceAll(name, "_", "-")
			locs = append(locs, with(prefix(path, "app"), short+"-"+name, parsed.Location.Policy()))
			paths = append(paths, path)
		}
	}
	require.NotEmpty(t, paths)
	e := newAnnotationEnv(t, model.Config{
		Backends: []model.Backend{handlerBackend(t, "app", echo("app"))},
		Servers:  []model.Server{{Host: "inj.test", Locations: locs}},
	})
	const split = "%0d%0aSet-Cookie:%20injected=1%0d%0aX-Injected:%201"
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, "http://inj.test/", nil)
			require.NoError(t, err)
			// Opaque is sent as the request target byte for byte.
			req.URL = &url.URL{Scheme: "http", Host: "inj.test", Opaque: path + "/x" + split + "?q=" + split}
			resp, err := e.client.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Contains(t, []int{http.StatusMovedPermanently, http.StatusFound}, resp.StatusCode)
			require.Empty(t, resp.Header.Values("Set-Cookie"), "Location: %s", resp.Header.Get("Location"))
			require.Empty(t, resp.Header.Values("X-Injected"), "Location: %s", resp.Header.Get("Location"))
			require.NotContains(t, resp.Header.Get("Location"), "\n")
		})
	}
}
