package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// gatewayManifests are this instance's GatewayClass (the default
// --gateway-controller-name) and a Gateway of it with one HTTP listener.
const gatewayManifests = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: archway}
spec: {controllerName: archway.dev/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: archway
  listeners: [{name: http, protocol: HTTP, port: 80}]
`

// TestFolderGatewayAPI serves an HTTPRoute from a folder beside an
// Ingress through one nginx: an Exact match, a PathPrefix match split
// over two weighted backends, and a path both claim, which the Ingress
// keeps.
func TestFolderGatewayAPI(t *testing.T) {
	f := startFolderInstance(t)
	f.write("backends.yaml", backendManifests("one", namedBackend(t, "one"))+"---"+backendManifests("two", namedBackend(t, "two")))
	f.write("ingress.yaml", ingressManifest("legacy", "shop.example.com", "/legacy", "two"))
	f.write("gateway.yaml", gatewayManifests+`
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop}
spec:
  parentRefs: [{name: gw}]
  hostnames: [shop.example.com]
  rules:
  - matches: [{path: {type: Exact, value: /cart}}]
    backendRefs: [{name: one, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /api}}]
    backendRefs: [{name: one, port: 80, weight: 1}, {name: two, port: 80, weight: 1}]
  - matches: [{path: {type: PathPrefix, value: /legacy}}]
    backendRefs: [{name: one, port: 80}]
`)
	t.Logf("HTTPRoute served after %v", f.waitFor("shop.example.com", "/cart", "200 one"))
	require.Equal(t, "404", f.get("shop.example.com", "/cart/more")[:3], "Exact matches the path alone")
	require.Equal(t, "200 two", f.get("shop.example.com", "/legacy"), "the Ingress keeps the route it shares with the HTTPRoute")

	seen := map[string]int{}
	for range 60 {
		seen[f.get("shop.example.com", "/api/items")]++
	}
	require.Len(t, seen, 2, "both weighted backends answer: %v", seen)
	require.Positive(t, seen["200 one"])
	require.Positive(t, seen["200 two"])
}
