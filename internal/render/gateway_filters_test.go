package render

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/source"
	"github.com/archway-ingress/archway/internal/testutil"
)

// filterRoutes are an HTTPRoute with each core filter of the Gateway API,
// as the conformance tests of v1.6.3 use them, on Service app; %d is the
// port of app's endpoint.
const filterRoutes = testutil.HTTPGatewayYAML + `
apiVersion: v1
kind: Service
metadata: {name: app, namespace: web}
spec: {ports: [{port: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: app-1, namespace: web, labels: {kubernetes.io/service-name: app}}
addressType: IPv4
ports: [{port: %d}]
endpoints: [{addresses: [127.0.0.1]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: filters, namespace: web}
spec:
  parentRefs: [{name: gw}]
  hostnames: [filters.test]
  rules:
  - matches: [{path: {value: /headers}}]
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set: [{name: X-Header-Set, value: set-overwrites-values}, {name: Host, value: set.example.org}]
        add: [{name: X-Header-Add, value: add-appends-values}, {name: X-Header-New, value: "a, b"}, {name: X-Forwarded-Host, value: extra}]
        remove: [X-Header-Remove]
    backendRefs: [{name: app, port: 80}]
  - matches: [{path: {value: /response}}]
    filters:
    - type: ResponseHeaderModifier
      responseHeaderModifier:
        set: [{name: x-backend-set, value: set-overwrites-values}]
        add: [{name: X-Backend-Add, value: add-appends-values}, {name: X-Header-New, value: new}]
        remove: [x-backend-remove]
    backendRefs: [{name: app, port: 80}]
  - matches: [{path: {value: /prefix-redirect}}]
    filters:
    - type: RequestRedirect
      requestRedirect: {scheme: https, hostname: example.org, statusCode: 301, path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}}
  - matches: [{path: {value: /full-redirect}}]
    filters:
    - type: RequestRedirect
      requestRedirect: {hostname: example.org, port: 8080, statusCode: 307, path: {type: ReplaceFullPath, replaceFullPath: /full}}
  - matches: [{path: {value: /plain-redirect}}]
    filters: [{type: RequestRedirect, requestRedirect: {}}]
  - matches: [{path: {value: /strip-redirect}}]
    filters: [{type: RequestRedirect, requestRedirect: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}}]
  - matches: [{path: {value: /prefix}}]
    filters: [{type: URLRewrite, urlRewrite: {hostname: rewritten.example.org, path: {type: ReplacePrefixMatch, replacePrefixMatch: /xyz/}}}]
    backendRefs: [{name: app, port: 80}]
  - matches: [{path: {value: /strip-prefix}}]
    filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}}]
    backendRefs: [{name: app, port: 80}]
  - matches: [{path: {value: /full}}]
    filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: /one}}}]
    backendRefs: [{name: app, port: 80}]
`

// filterRoutesConfig builds filterRoutes with app's endpoint on port.
func filterRoutesConfig(t *testing.T, port int) model.Config {
	var snap source.Snapshot
	snap.AddManifests("routes.yaml", fmt.Appendf(nil, filterRoutes, port))
	require.Empty(t, snap.LoadErrors)
	cfg, report := builder.Build(snap, builder.Options{IngressClass: "archway", ControllerClass: "archway.dev/ingress-controller",
		GatewayController: "archway.dev/gateway-controller", LoopbackEndpoints: true})
	require.Empty(t, report.Problems)
	return cfg
}

// seen is what the filter test's backend received.
type seen struct {
	Host, URI string
	Headers   http.Header
}

// TestHTTPRouteFilters sends requests through a real nginx serving the
// HTTPRoute filterRoutes, as builder builds it, and checks each filter's
// effect: on the request the backend gets, on the response, or on the
// redirect.
func TestHTTPRouteFilters(t *testing.T) {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Backend-Set", "backend")
		w.Header().Set("X-Backend-Add", "backend")
		w.Header().Set("X-Backend-Remove", "backend")
		_ = json.NewEncoder(w).Encode(seen{Host: r.Host, URI: r.URL.RequestURI(), Headers: r.Header})
	}))
	t.Cleanup(app.Close)
	e := newAnnotationEnv(t, filterRoutesConfig(t, app.Listener.Addr().(*net.TCPAddr).Port))
	proxied := func(t *testing.T, path string, header http.Header) (*http.Response, seen) {
		resp, body := e.do(t, http.MethodGet, "filters.test", path, header, "")
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		var got seen
		require.NoError(t, json.Unmarshal([]byte(body), &got), body)
		return resp, got
	}

	t.Run("RequestHeaderModifier", func(t *testing.T) {
		// Header names in any case, as the conformance test sends them.
		_, got := proxied(t, "/headers", http.Header{"x-header-set": {"client"}, "x-header-add": {"client"},
			"x-header-remove": {"client"}, "X-Other": {"client"}})
		require.Equal(t, []string{"set-overwrites-values"}, got.Headers.Values("X-Header-Set"))
		require.Equal(t, []string{"client,add-appends-values"}, got.Headers.Values("X-Header-Add"), "add appends")
		require.Equal(t, []string{"a, b"}, got.Headers.Values("X-Header-New"), "add without the client's header")
		require.Empty(t, got.Headers.Values("X-Header-Remove"))
		require.Equal(t, []string{"client"}, got.Headers.Values("X-Other"))
		require.Equal(t, "set.example.org", got.Host)
		require.Equal(t, []string{"filters.test,extra"}, got.Headers.Values("X-Forwarded-Host"), "add after archway's own")
		_, got = proxied(t, "/headers", nil)
		require.Equal(t, []string{"add-appends-values"}, got.Headers.Values("X-Header-Add"), "no comma without the client's")
	})
	t.Run("ResponseHeaderModifier", func(t *testing.T) {
		resp, _ := proxied(t, "/response", nil)
		require.Equal(t, []string{"set-overwrites-values"}, resp.Header.Values("X-Backend-Set"))
		require.Equal(t, []string{"backend", "add-appends-values"}, resp.Header.Values("X-Backend-Add"))
		require.Equal(t, []string{"new"}, resp.Header.Values("X-Header-New"))
		require.Empty(t, resp.Header.Values("X-Backend-Remove"))
	})
	t.Run("RequestRedirect", func(t *testing.T) {
		for path, want := range map[string]string{
			// The rest of the path keeps its escapes, and the query.
			"/prefix-redirect/a%20b?q=1": "301 https://example.org/new/a%20b?q=1",
			"/prefix-redirect":           "301 https://example.org/new",
			"/prefix-redirect/":          "301 https://example.org/new/",
			"/full-redirect/x?q=1":       "307 http://example.org:8080/full?q=1",
			// The request's scheme and host, the listener's port 80 left
			// out on http.
			"/plain-redirect/y?z": "302 http://filters.test/plain-redirect/y?z",
			"/strip-redirect/y":   "302 http://filters.test/y",
			"/strip-redirect":     "302 http://filters.test/",
		} {
			resp, body := e.do(t, http.MethodGet, "filters.test", path, nil, "")
			require.Equal(t, want, fmt.Sprint(resp.StatusCode, " ", resp.Header.Get("Location")), "%s: %s", path, body)
		}
	})
	t.Run("URLRewrite", func(t *testing.T) {
		for path, want := range map[string]string{
			"/prefix/bar?x=1":      "/xyz/bar?x=1",
			"/prefix/":             "/xyz/",
			"/prefix":              "/xyz",
			"/strip-prefix/three":  "/three",
			"/strip-prefix":        "/",
			"/strip-prefix/":       "/",
			"/full/one/two?x=1&y=": "/one?x=1&y=",
		} {
			_, got := proxied(t, path, nil)
			require.Equal(t, want, got.URI, path)
			if strings.HasPrefix(want, "/xyz") {
				require.Equal(t, "rewritten.example.org", got.Host)
			}
		}
	})
}
