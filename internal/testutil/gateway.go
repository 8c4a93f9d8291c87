package testutil

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
