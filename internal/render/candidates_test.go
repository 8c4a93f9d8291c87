package render

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/source"
	"github.com/archway-ingress/archway/internal/testutil"
)

// matchRoutes are the HTTPRoutes of the upstream conformance tests
// HTTPRouteHeaderMatching (host header.test), HTTPRouteQueryParamMatching
// (query.test), HTTPRouteMethodMatching (method.test) and
// HTTPRouteMatchingAcrossRoutes (example.com, example.net), each on a host
// of its own, with the suite's backends v1, v2 and v3; on the Gateway of
// the builder's testdata/gateway-matches.yaml.
const matchRoutes = `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: header-matching, namespace: web}
spec:
  parentRefs: [{name: gw}]
  hostnames: [header.test]
  rules:
  - matches: [{headers: [{name: version, value: one}]}]
    backendRefs: [{name: v1, port: 8080}]
  - matches: [{headers: [{name: version, value: two}]}]
    backendRefs: [{name: v2, port: 8080}]
  - matches: [{headers: [{name: version, value: two}, {name: color, value: orange}]}]
    backendRefs: [{name: v1, port: 8080}]
  - matches: [{headers: [{name: color, value: blue}]}, {headers: [{name: color, value: green}]}]
    backendRefs: [{name: v1, port: 8080}]
  - matches: [{headers: [{name: color, value: red}]}, {headers: [{name: color, value: yellow}]}]
    backendRefs: [{name: v2, port: 8080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: query-param-matching, namespace: web}
spec:
  parentRefs: [{name: gw}]
  hostnames: [query.test]
  rules:
  - matches: [{queryParams: [{name: animal, value: whale}]}]
    backendRefs: [{name: v1, port: 8080}]
  - matches: [{queryParams: [{name: animal, value: dolphin}]}]
    backendRefs: [{name: v2, port: 8080}]
  - matches:
    - queryParams: [{name: animal, value: dolphin}, {name: color, value: blue}]
    - queryParams: [{name: ANIMAL, value: Whale}]
    backendRefs: [{name: v3, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /path1}, queryParams: [{name: animal, value: whale}]}]
    backendRefs: [{name: v1, port: 8080}]
  - matches: [{headers: [{name: version, value: one}], queryParams: [{name: animal, value: whale}]}]
    backendRefs: [{name: v2, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /path2}, headers: [{name: version, value: two}], queryParams: [{name: animal, value: whale}]}]
    backendRefs: [{name: v3, port: 8080}]
  - matches:
    - {path: {type: PathPrefix, value: /path3}, queryParams: [{name: animal, value: shark}]}
    - {path: {type: PathPrefix, value: /path4}, headers: [{name: version, value: three}], queryParams: [{name: animal, value: kraken}]}
    backendRefs: [{name: v1, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /path5}}]
    backendRefs: [{name: v1, port: 8080}]
  - matches: [{queryParams: [{name: animal, value: hydra}]}]
    backendRefs: [{name: v2, port: 8080}]
  - matches: [{headers: [{name: version, value: four}]}]
    backendRefs: [{name: v3, port: 8080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: method-matching, namespace: web}
spec:
  parentRefs: [{name: gw}]
  hostnames: [method.test]
  rules:
  - matches: [{method: POST}]
    backendRefs: [{name: v1, port: 8080}]
  - matches: [{method: GET}]
    backendRefs: [{name: v2, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /path1}, method: GET}]
    backendRefs: [{name: v1, port: 8080}]
  - matches: [{headers: [{name: version, value: one}], method: PUT}]
    backendRefs: [{name: v2, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /path2}, headers: [{name: version, value: two}], method: POST}]
    backendRefs: [{name: v3, port: 8080}]
  - matches:
    - {path: {type: PathPrefix, value: /path3}, method: PATCH}
    - {path: {type: PathPrefix, value: /path4}, headers: [{name: version, value: three}], method: DELETE}
    backendRefs: [{name: v1, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /path5}}]
    backendRefs: [{name: v1, port: 8080}]
  - matches: [{method: PATCH}]
    backendRefs: [{name: v2, port: 8080}]
  - matches: [{headers: [{name: version, value: four}]}]
    backendRefs: [{name: v3, port: 8080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: matching-part1, namespace: web, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  parentRefs: [{name: gw}]
  hostnames: [example.com, example.net]
  rules:
  - matches: [{path: {type: PathPrefix, value: /}}, {headers: [{name: version, value: one}]}]
    backendRefs: [{name: v1, port: 8080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: matching-part2, namespace: web, creationTimestamp: "2024-01-02T00:00:00Z"}
spec:
  parentRefs: [{name: gw}]
  hostnames: [example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /v2}}, {headers: [{name: version, value: two}]}]
    backendRefs: [{name: v2, port: 8080}]
`

// serveHTTPRoutes builds the Gateway of the builder's
// testdata/gateway-matches.yaml, routes (HTTPRoutes and Services) and the
// Services v1, v2 and v3 of namespace web, serves them through real nginx
// to real backends named v1, v2 and v3, and returns a client for it and
// the build's problems.
func serveHTTPRoutes(t *testing.T, routes string) (*http.Client, []builder.Problem) {
	gateway, err := os.ReadFile(filepath.Join("..", "builder", "testdata", "gateway-matches.yaml"))
	require.NoError(t, err)
	cfg, report := buildLive(t, string(gateway)+"---\n"+routes, builder.Options{GatewayController: "archway.dev/gateway-controller"})
	return tcpClient(t, serveLive(t, cfg)), report.Problems
}

// buildLive builds manifests and the Services v1, v2 and v3 of namespace
// web, whose endpoints are real backends named v1, v2 and v3.
func buildLive(t *testing.T, manifests string, opts builder.Options) (model.Config, builder.Report) {
	var snap source.Snapshot
	snap.AddManifests("manifests.yaml", []byte(manifests+testutil.BackendsYAML))
	require.Empty(t, snap.LoadErrors)
	cfg, report := builder.Build(snap, opts)
	eps := namedServers(t, nil, "v1", "v2", "v3")
	for i, b := range cfg.Backends { // the builder refuses loopback endpoints
		if ep, ok := eps[b.Service.Name]; ok {
			cfg.Backends[i].Endpoints = []model.Endpoint{ep}
		}
	}
	return cfg, report
}

// serveLive serves cfg through real nginx and returns its HTTP port.
func serveLive(t *testing.T, cfg model.Config) int {
	r, err := New("")
	require.NoError(t, err)
	opts := Options{HTTPPort: freePort(t), RuntimeDir: t.TempDir()}
	opts.User, opts.Group = workerUser(t)
	out, err := r.Render(cfg, opts)
	require.NoError(t, err)
	startNginx(t, opts.RuntimeDir, out)
	push(t, opts.RuntimeDir, out.Endpoints.Payload())
	return opts.HTTPPort
}

// answer sends request, "METHOD host/path?query", with headers ("Name:
// value") and returns the backend that answers, or the status when not
// 200.
func answer(t *testing.T, client *http.Client, request string, headers ...string) string {
	t.Helper()
	method, target, _ := strings.Cut(request, " ")
	host, path, _ := strings.Cut(target, "/")
	req, err := http.NewRequest(method, "http://"+host+"/"+path, nil)
	require.NoError(t, err)
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ": ")
		req.Header.Add(name, value)
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	switch {
	case resp.StatusCode != http.StatusOK:
		return strconv.Itoa(resp.StatusCode)
	case method == http.MethodHead:
		return "200 to HEAD"
	}
	return string(body)
}

// routeRequest is a request for answer and the answer it must get.
type routeRequest struct {
	request string
	headers []string
	want    string
}

func requireAnswers(t *testing.T, client *http.Client, requests []routeRequest) {
	t.Helper()
	for _, r := range requests {
		require.Equal(t, r.want, answer(t, client, r.request, r.headers...), "%s %v", r.request, r.headers)
	}
}

// TestHTTPRouteMatchTraffic serves the conformance tests' HTTPRoutes
// through the builder, real nginx and real backends, and sends their
// requests: each kind of match, their combinations, and the precedence
// among a host's matches.
func TestHTTPRouteMatchTraffic(t *testing.T) {
	client, problems := serveHTTPRoutes(t, matchRoutes)
	require.Empty(t, problems)

	requireAnswers(t, client, []routeRequest{
		{"GET header.test/", []string{"Version: one"}, "v1"},
		{"GET header.test/", []string{"Version: two"}, "v2"},
		{"GET header.test/", []string{"Version: two", "Color: orange"}, "v1"},
		{"GET header.test/", []string{"Version: two", "Color: blue"}, "v2"},
		{"GET header.test/", []string{"Color: orange"}, "404"},
		{"GET header.test/", []string{"Some-Other-Header: one"}, "404"},
		{"GET header.test/", []string{"Color: blue"}, "v1"},
		{"GET header.test/", []string{"Color: green"}, "v1"},
		{"GET header.test/", []string{"Color: red"}, "v2"},
		{"GET header.test/", []string{"Color: yellow"}, "v2"},
		{"GET header.test/", []string{"Color: purple"}, "404"},
		// Names in any case; values exactly; a repeated header is its
		// values joined.
		{"GET header.test/", []string{"VERSION: one"}, "v1"},
		{"GET header.test/", []string{"Version: One"}, "404"},
		{"GET header.test/", []string{"Color: red", "Color: blue"}, "404"},

		{"GET query.test/?animal=whale", nil, "v1"},
		{"GET query.test/?animal=dolphin", nil, "v2"},
		{"GET query.test/?animal=dolphin&color=blue", nil, "v3"},
		{"GET query.test/?ANIMAL=Whale", nil, "v3"},
		{"GET query.test/?animal=whale&otherparam=irrelevant", nil, "v1"},
		{"GET query.test/?animal=dolphin&color=yellow", nil, "v2"},
		{"GET query.test/?color=blue", nil, "404"},
		{"GET query.test/?animal=dog", nil, "404"},
		{"GET query.test/?animal=whaledolphin", nil, "404"},
		{"GET query.test/", nil, "404"},
		{"GET query.test/path1?animal=whale", nil, "v1"},
		{"GET query.test/?animal=whale", []string{"version: one"}, "v2"},
		{"GET query.test/path2?animal=whale", []string{"version: two"}, "v3"},
		{"GET query.test/path3?animal=shark", nil, "v1"},
		{"GET query.test/path4?animal=kraken", []string{"version: three"}, "v1"},
		{"GET query.test/?animal=shark", nil, "404"},
		{"GET query.test/path4?animal=kraken", nil, "404"},
		{"GET query.test/path5?animal=hydra", nil, "v1"},
		{"GET query.test/?animal=hydra", []string{"version: four"}, "v3"},
		// Percent-decoded; the first of a repeated parameter counts.
		{"GET query.test/?animal=%77hale", nil, "v1"},
		{"GET query.test/?animal=dolphin&animal=whale", nil, "v2"},
		// A shorter path's matches take what a longer path's do not.
		{"GET query.test/path1?animal=dolphin", nil, "v2"},

		{"POST method.test/", nil, "v1"},
		{"GET method.test/", nil, "v2"},
		{"HEAD method.test/", nil, "404"},
		{"GET method.test/path1", nil, "v1"},
		{"PUT method.test/", []string{"version: one"}, "v2"},
		{"POST method.test/path2", []string{"version: two"}, "v3"},
		{"PATCH method.test/path3", nil, "v1"},
		{"DELETE method.test/path4", []string{"version: three"}, "v1"},
		{"PUT method.test/", nil, "404"},
		{"DELETE method.test/path4", nil, "404"},
		{"PATCH method.test/path5", nil, "v1"},
		{"PATCH method.test/", []string{"version: four"}, "v2"},

		{"GET example.com/", nil, "v1"},
		{"GET example.com/example", nil, "v1"},
		{"GET example.net/example", nil, "v1"},
		{"GET example.com/example", []string{"Version: one"}, "v1"},
		{"GET example.com/v2", nil, "v2"},
		{"GET example.net/v2", nil, "v1"},
		{"GET example.com/v2/example", nil, "v2"},
		{"GET example.com/", []string{"Version: two"}, "v2"},
	})
}

// TestCandidatesRefused: render refuses candidates the builder would
// never make.
func TestCandidatesRefused(t *testing.T) {
	r, err := New("")
	require.NoError(t, err)
	backends := []model.Backend{{Name: "main"}}
	render := func(cand model.Candidate) error {
		loc := prefix("/", "")
		loc.Candidates = []model.Candidate{cand}
		_, err := r.Render(model.Config{Servers: []model.Server{{Host: "a.test", Locations: []model.Location{loc}}}, Backends: backends},
			Options{HTTPPort: 8080, RuntimeDir: t.TempDir()})
		return err
	}
	require.NoError(t, render(model.Candidate{Method: "GET", Headers: []model.Condition{{Name: "x-y", Value: "1 2"}}, Backend: "main"}))
	for name, cand := range map[string]model.Candidate{
		"header name nginx drops": {Headers: []model.Condition{{Name: "x_y", Value: "1"}}, Backend: "main"},
		"value with a line break": {Query: []model.Condition{{Name: "q", Value: "a\nb"}}, Backend: "main"},
		"unknown method":          {Method: "BREW", Backend: "main"},
		"unknown backend":         {Method: "GET", Backend: "other"},
		"header rules of canary":  {Method: "GET", Backend: "main", Canaries: []model.Canary{{Backend: "main", WeightTotal: 1, Header: "x"}}},
	} {
		require.Error(t, render(cand), name)
	}
}
