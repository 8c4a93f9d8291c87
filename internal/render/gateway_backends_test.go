package render

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/reason"
)

// unusableRoutes are rules with backendRefs that cannot be used (a
// missing Service, a Service of another namespace without a
// ReferenceGrant) or none, or with a Service without endpoints (idle), on
// host bad.test.
const unusableRoutes = `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: bad, namespace: web}
spec:
  parentRefs: [{name: gw}]
  hostnames: [bad.test]
  rules:
  - matches: [{path: {value: /none}}]
    backendRefs: [{name: gone, port: 8080}]
  - matches: [{path: {type: Exact, value: /omitted}}]
  - matches: [{path: {value: /zero}}]
    backendRefs: [{name: v1, port: 8080, weight: 0}]
  - matches: [{path: {value: /half}}]
    backendRefs: [{name: gone, port: 8080}, {name: v1, port: 8080}]
  - matches: [{path: {value: /cond}, headers: [{name: version, value: one}]}]
    backendRefs: [{name: gone, port: 8080}]
  - matches: [{path: {value: /cond}, headers: [{name: version, value: two}]}]
  - matches: [{path: {value: /cond-half}, method: GET}]
    backendRefs: [{name: v2, port: 8080, weight: 3}, {name: v3, namespace: other, port: 8080, weight: 3}]
  - matches: [{path: {value: /idle-half}}]
    backendRefs: [{name: v1, port: 8080}, {name: idle, port: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: idle, namespace: web}
spec: {ports: [{port: 8080}]}
`

// TestHTTPRouteUnusableBackendTraffic: the requests a rule would send to
// a backendRef that cannot be used answer 500, as the Gateway API asks,
// on paths with conditions too; a rule without backendRefs answers 500;
// the share of a Service without endpoints answers 503.
func TestHTTPRouteUnusableBackendTraffic(t *testing.T) {
	client, problems := serveHTTPRoutes(t, unusableRoutes)
	var reasons []reason.Reason
	for _, p := range problems {
		reasons = append(reasons, p.Reason)
	}
	require.ElementsMatch(t, []reason.Reason{reason.ServiceNotFound, reason.ServiceNotFound, reason.ServiceNotFound, reason.RefNotPermitted}, reasons, "%v", problems)
	requireAnswers(t, client, []routeRequest{
		{"GET bad.test/none", nil, "500"},
		{"GET bad.test/omitted", nil, "500"},
		{"GET bad.test/zero", nil, "500"},
		{"GET bad.test/cond", []string{"Version: one"}, "500"},
		{"GET bad.test/cond", []string{"Version: two"}, "500"},
		{"GET bad.test/cond", nil, "404"},
		{"POST bad.test/cond-half", nil, "404"},
	})
	for request, want := range map[string][]string{
		"GET bad.test/half":      {"500", "v1"},
		"GET bad.test/cond-half": {"500", "v2"},
		"GET bad.test/idle-half": {"503", "v1"},
	} {
		seen := map[string]int{}
		for range 200 {
			seen[answer(t, client, request)]++
		}
		require.Len(t, seen, 2, "%s: %v", request, seen)
		for _, name := range want {
			// 200 draws of one half: a standard deviation of about 7.
			require.InDelta(t, 100, seen[name], 35, "%s: %v", request, seen)
		}
	}
}
