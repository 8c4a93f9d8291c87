package testutil

import "strings"

// GatewayClassYAML is the GatewayClass of archway's default controllerName,
// as the first document of a Gateway API fixture (it ends with its
// separator).
const GatewayClassYAML = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: archway}
spec: {controllerName: archway.dev/gateway-controller}
---`

// HTTPGatewayYAML is GatewayClassYAML and Gateway web/gw with one HTTP
// listener on port 80, which takes routes of its own namespace.
const HTTPGatewayYAML = GatewayClassYAML + `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: web}
spec:
  gatewayClassName: archway
  listeners: [{name: http, protocol: HTTP, port: 80}]
---`

// BackendsYAML are the Services v1, v2 and v3 of namespace web, port
// 8080, each with one endpoint, as documents after a separator.
var BackendsYAML = func() string {
	var b strings.Builder
	for _, name := range []string{"v1", "v2", "v3"} {
		b.WriteString(`---
apiVersion: v1
kind: Service
metadata: {name: ` + name + `, namespace: web}
spec: {ports: [{port: 8080}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ` + name + `, namespace: web, labels: {kubernetes.io/service-name: ` + name + `}}
addressType: IPv4
ports: [{port: 8080}]
endpoints: [{addresses: [10.0.0.1]}]
`)
	}
	return b.String()
}()

// TwoGatewaysYAML is HTTPGatewayYAML, Gateway web/other (ports 80 and
// 8080), an HTTPRoute of each Gateway for same.test "/" (web/gw's to
// v2, web/other's to v3), one attached to both for /shared (to v1), and
// an Ingress for same.test "/" (to v1).
const TwoGatewaysYAML = HTTPGatewayYAML + `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: other, namespace: web}
spec:
  gatewayClassName: archway
  listeners:
  - {name: http, protocol: HTTP, port: 80}
  - {name: alt, protocol: HTTP, port: 8080}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: first, namespace: web}
spec:
  parentRefs: [{name: gw}]
  hostnames: [same.test]
  rules: [{backendRefs: [{name: v2, port: 8080}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: second, namespace: web}
spec:
  parentRefs: [{name: other}]
  hostnames: [same.test]
  rules: [{backendRefs: [{name: v3, port: 8080}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: both, namespace: web}
spec:
  parentRefs: [{name: gw}, {name: other}]
  hostnames: [same.test]
  rules: [{matches: [{path: {value: /shared}}], backendRefs: [{name: v1, port: 8080}]}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: app, namespace: web}
spec:
  rules:
  - host: same.test
    http:
      paths: [{path: /, pathType: Prefix, backend: {service: {name: v1, port: {number: 8080}}}}]
`
