package builder

import (
	"testing"

	"github.com/stretchr/testify/require"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/archway-ingress/archway/internal/model"
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
	cfg, report := buildGateway(t, manifests+route("blue")+route("green")+route("red"))

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
		accepted[r.Ref.Namespace] = r.Parents[0].Refused == ""
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
	cfg, _ := buildGateway(t, manifests)
	anyDepth := map[string]bool{}
	for _, s := range cfg.Servers {
		anyDepth[s.Host] = s.AnyDepth
	}
	require.Equal(t, map[string]bool{"*.gateway.example": true, "*.shared.example": false, "exact.example": false}, anyDepth)
}

// TestGatewayRefusals says why no listener takes a route, per parentRef:
// no listener of its sectionName and port (NoMatchingParent), listeners
// that do not allow its namespace (NotAllowedByListeners), or listeners
// with no hostname in common (NoMatchingListenerHostname); and attaches
// the route to none of them.
func TestGatewayRefusals(t *testing.T) {
	const manifests = gatewayWebYAML + `
  - {name: foo, protocol: HTTP, port: 80, hostname: foo.example.com}
  - {name: bar, protocol: HTTP, port: 8080, hostname: bar.example.com, allowedRoutes: {namespaces: {from: All}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: web}
spec:
  parentRefs:
  - {name: gw, sectionName: nope}
  - {name: gw, port: 81}
  - {name: gw, sectionName: foo}
  - {name: gw, sectionName: foo, port: 8080}
  hostnames: [other.example.com]
  rules: [{backendRefs: [{name: app, port: 80}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: team}
spec:
  parentRefs: [{name: gw, namespace: web, port: 80}, {name: gw, namespace: web}]
  rules: [{backendRefs: [{name: app, port: 80}]}]
`
	cfg, report := buildGateway(t, manifests)

	refused := map[string][]gatewayv1.RouteConditionReason{}
	for _, r := range report.Gateway.Routes {
		for _, p := range r.Parents {
			refused[r.Ref.Namespace] = append(refused[r.Ref.Namespace], p.Refused)
		}
	}
	require.Equal(t, map[string][]gatewayv1.RouteConditionReason{
		"web": {gatewayv1.RouteReasonNoMatchingParent, gatewayv1.RouteReasonNoMatchingParent,
			gatewayv1.RouteReasonNoMatchingListenerHostname, gatewayv1.RouteReasonNoMatchingParent},
		"team": {gatewayv1.RouteReasonNotAllowedByListeners, ""}, // bar allows All
	}, refused)
	attached := map[string]int32{}
	for _, l := range report.Gateway.Gateways[0].Listeners {
		attached[l.Name] = l.AttachedRoutes
	}
	require.Equal(t, map[string]int32{"foo": 0, "bar": 1}, attached)
	require.Len(t, cfg.Servers, 1)
	require.Equal(t, "bar.example.com", cfg.Servers[0].Host)
}

// buildGateway builds the Gateway API manifests with Service web/app.
func buildGateway(t *testing.T, manifests string) (model.Config, Report) {
	snap := load(t, "classes.yaml", "service-web-app.yaml")
	snap.AddManifests("gateway.yaml", []byte(manifests))
	require.Empty(t, snap.LoadErrors)
	return Build(snap, *gatewayOpts())
}

// TestGatewayListenerRefs: a listener whose allowedRoutes.kinds names a
// kind archway does not take has ResolvedRefs InvalidRouteKind, and takes
// HTTPRoutes only when the kinds also name them; an HTTPS listener whose
// certificate is missing counts the routes it takes as attached and
// serves none of them, not even on another listener that does not take
// them.
func TestGatewayListenerRefs(t *testing.T) {
	const manifests = gatewayWebYAML + `
  - {name: invalid, protocol: HTTP, port: 80, hostname: invalid.example.com, allowedRoutes: {kinds: [{kind: InvalidRoute}]}}
  - {name: mixed, protocol: HTTP, port: 80, hostname: mixed.example.com, allowedRoutes: {kinds: [{kind: InvalidRoute}, {kind: HTTPRoute}]}}
  - {name: nocert, protocol: HTTPS, port: 443, hostname: nocert.example.com, tls: {certificateRefs: [{name: nope}]}}
  - {name: plain, protocol: HTTP, port: 80, hostname: plain.example.com}
`
	route := func(name, section, backend string) string {
		return `
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ` + name + `, namespace: web}
spec:
  parentRefs: [{name: gw, sectionName: ` + section + `}]
  rules: [{backendRefs: [{name: ` + backend + `, port: 80}]}]
`
	}
	routes := route("invalid", "invalid", "app") + route("mixed", "mixed", "app") + route("nocert", "nocert", "missing") + route("nocert-ok", "nocert", "app")
	cfg, report := buildGateway(t, manifests+routes)

	require.Len(t, cfg.Servers, 1)
	require.Equal(t, "mixed.example.com", cfg.Servers[0].Host)
	require.Len(t, cfg.Backends, 1, "no backend for routes served nowhere")
	require.Equal(t, "web_app_80", cfg.Backends[0].Name)

	listeners := report.Gateway.Gateways[0].Listeners
	for i := range listeners {
		listeners[i].Message = ""
	}
	require.Equal(t, []ListenerResult{
		{Name: "invalid", RefsReason: reason.InvalidRouteKind, NoRouteKinds: true},
		{Name: "mixed", Served: true, RefsReason: reason.InvalidRouteKind, AttachedRoutes: 1},
		{Name: "nocert", RefsReason: reason.InvalidTLSSecret, AttachedRoutes: 2},
		{Name: "plain", Served: true},
	}, listeners)

	refused, refs := map[string]gatewayv1.RouteConditionReason{}, map[string]reason.Reason{}
	for _, r := range report.Gateway.Routes {
		refused[r.Ref.Name] = r.Parents[0].Refused
		if r.Refs != nil {
			refs[r.Ref.Name] = r.Refs.Reason
		}
	}
	require.Equal(t, map[string]gatewayv1.RouteConditionReason{
		"invalid": gatewayv1.RouteReasonNotAllowedByListeners, "mixed": "", "nocert": "", "nocert-ok": ""}, refused)
	require.Equal(t, map[string]reason.Reason{"nocert": reason.ServiceNotFound}, refs)

	// With ports of its own, the Gateway's unserved listeners get none.
	cfg, _ = buildGatewayPorts(t, PortRange{First: 10000, Last: 10009}, manifests+routes)
	require.Equal(t, []model.GatewayPorts{{Gateway: ref("web", "gw"), Ports: []model.GatewayPort{{Port: 80, Target: 10000}}}}, cfg.GatewayPorts)
}

// gatewayWebYAML is GatewayClassYAML and Gateway web/gw up to its
// listeners, which follow, one a line.
const gatewayWebYAML = testutil.GatewayClassYAML + `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: web}
spec:
  gatewayClassName: archway
  listeners:
`
