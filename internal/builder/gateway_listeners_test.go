package builder

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/testutil"
)

// TestGatewayNamespaceSelector attaches routes to listeners whose
// allowedRoutes.namespaces.from is Selector by their Namespace's labels,
// the kubernetes.io/metadata.name label included (also for a namespace the
// manifests do not declare), and refuses a listener with an invalid
// selector.
func TestGatewayNamespaceSelector(t *testing.T) {
	const manifests = testutil.GatewayClassYAML + `
apiVersion: v1
kind: Namespace
metadata: {name: blue, labels: {team: a}}
---
apiVersion: v1
kind: Namespace
metadata: {name: green, labels: {team: b}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: archway
  listeners:
  - {name: team-a, protocol: HTTP, port: 80, hostname: a.example.com, allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {team: a}}}}}
  - {name: by-name, protocol: HTTP, port: 80, hostname: n.example.com, allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {kubernetes.io/metadata.name: red}}}}}
  - {name: bad, protocol: HTTP, port: 80, hostname: x.example.com, allowedRoutes: {namespaces: {from: Selector, selector: {matchExpressions: [{key: team, operator: Sometimes}]}}}}
  - {name: none, protocol: HTTP, port: 80, hostname: y.example.com, allowedRoutes: {namespaces: {from: Selector}}}
`
	route := func(namespace string) string {
		return `
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: ` + namespace + `}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  rules: [{backendRefs: [{name: app, port: 80}]}]
`
	}
	snap := load(t, "classes.yaml", "service-web-app.yaml")
	snap.AddManifests("gateway.yaml", []byte(manifests+route("blue")+route("green")+route("red")))
	require.Empty(t, snap.LoadErrors)
	cfg, report := Build(snap, *gatewayOpts())

	hosts := map[string]string{}
	for _, s := range cfg.Servers {
		hosts[s.Host] = s.Locations[0].Owner.Ref.String()
	}
	require.Equal(t, map[string]string{"a.example.com": "blue/r", "n.example.com": "red/r"}, hosts)

	listeners := map[string]string{}
	for _, l := range report.Gateway.Gateways[0].Listeners {
		listeners[l.Name] = string(l.Reason)
		if l.Served {
			require.EqualValues(t, 1, l.AttachedRoutes, l.Name)
		}
	}
	require.Equal(t, map[string]string{"team-a": "", "by-name": "", "bad": string(reason.InvalidSelector), "none": string(reason.InvalidSelector)}, listeners)
	accepted := map[string]bool{}
	for _, r := range report.Gateway.Routes {
		accepted[r.Ref.Namespace] = r.Parents[0].Accepted
	}
	require.Equal(t, map[string]bool{"blue": true, "green": false, "red": true}, accepted)
}

// TestGatewayWildcardsAnyDepth lets the wildcard hosts of HTTPRoutes match
// any depth, and keeps one label for a wildcard host an Ingress has.
func TestGatewayWildcardsAnyDepth(t *testing.T) {
	const manifests = testutil.HTTPGatewayYAML + `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: web}
spec:
  parentRefs: [{name: gw}]
  hostnames: ["*.gateway.example", "*.shared.example", exact.example]
  rules: [{matches: [{path: {type: PathPrefix, value: /api}}], backendRefs: [{name: app, port: 80}]}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: legacy, namespace: web}
spec:
  ingressClassName: archway
  rules:
  - host: "*.shared.example"
    http:
      paths:
      - {path: /old, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}
`
	snap := load(t, "classes.yaml", "service-web-app.yaml")
	snap.AddManifests("gateway.yaml", []byte(manifests))
	require.Empty(t, snap.LoadErrors)
	cfg, _ := Build(snap, *gatewayOpts())
	anyDepth := map[string]bool{}
	for _, s := range cfg.Servers {
		anyDepth[s.Host] = s.AnyDepth
	}
	require.Equal(t, map[string]bool{"*.gateway.example": true, "*.shared.example": false, "exact.example": false}, anyDepth)
}
