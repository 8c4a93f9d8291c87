package source

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAddManifests(t *testing.T) {
	tests := map[string]struct {
		data          string
		ingresses     []string // namespace/name
		services      int
		slices        int
		classes       int
		loadErrorDocs []int
	}{
		"multi-document yaml with a foreign kind": {
			data: `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: a}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
---
---
apiVersion: v1
kind: Service
metadata: {name: s, namespace: web}
`,
			ingresses: []string{"default/a"},
			services:  1,
		},
		"json list": {
			data:    `{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"networking.k8s.io/v1","kind":"IngressClass","metadata":{"name":"archway"}},{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"e","namespace":"x"},"addressType":"IPv4","endpoints":[]}]}`,
			classes: 1,
			slices:  1,
		},
		"custom resource is ignored": {
			data: "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n",
		},
		"bad document keeps the ones before it": {
			data: `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: ok, namespace: web}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: [broken
`,
			ingresses:     []string{"web/ok"},
			loadErrorDocs: []int{1},
		},
		"wrong field type is reported": {
			data: `
apiVersion: v1
kind: Service
metadata: {name: s}
spec: {ports: "not a list"}
---
apiVersion: v1
kind: Service
metadata: {name: t}
`,
			services:      1,
			loadErrorDocs: []int{0},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var s Snapshot
			s.AddManifests("f.yaml", []byte(tc.data))
			var got []string
			for _, ing := range s.Ingresses {
				got = append(got, ing.Namespace+"/"+ing.Name)
			}
			require.Equal(t, tc.ingresses, got)
			require.Len(t, s.Services, tc.services)
			require.Len(t, s.EndpointSlices, tc.slices)
			require.Len(t, s.IngressClasses, tc.classes)
			var docs []int
			for _, e := range s.LoadErrors {
				require.Equal(t, "f.yaml", e.File)
				require.Contains(t, e.Error(), "f.yaml document")
				docs = append(docs, e.Doc)
			}
			require.Equal(t, tc.loadErrorDocs, docs)
		})
	}
}

// TestObsoleteIngress: an Ingress of a removed API version is recorded,
// with its document, beside the v1 objects of the same file.
func TestObsoleteIngress(t *testing.T) {
	var s Snapshot
	s.AddManifests("old.yaml", []byte(`
apiVersion: v1
kind: Service
metadata: {name: web}
---
apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: old, namespace: legacy}
spec: {backend: {serviceName: web, servicePort: 80}}
---
apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata: {name: kuard}
`))
	require.Len(t, s.Services, 1)
	require.Empty(t, s.Ingresses)
	require.Empty(t, s.LoadErrors, "the file reads; its obsolete Ingresses are not parse errors")
	require.Len(t, s.Obsolete, 2)
	require.Equal(t, 1, s.Obsolete[0].Doc)
	require.ErrorContains(t, s.Obsolete[0].Err, "Ingress legacy/old is extensions/v1beta1")
	require.Equal(t, 2, s.Obsolete[1].Doc)
	require.ErrorContains(t, s.Obsolete[1].Err, "Ingress default/kuard is networking.k8s.io/v1beta1")
}

func TestGatewayAPIManifests(t *testing.T) {
	var snap Snapshot
	snap.AddManifests("gw.yaml", []byte(`
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
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: web}
spec: {hostnames: [a.example.com]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: ReferenceGrant
metadata: {name: g, namespace: backends}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: web}]
  to: [{group: "", kind: Service}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: ignored}
`))
	require.Empty(t, snap.LoadErrors)
	require.Len(t, snap.GatewayClasses, 1)
	require.Equal(t, "archway.dev/gateway-controller", string(snap.GatewayClasses[0].Spec.ControllerName))
	require.Len(t, snap.Gateways, 1)
	require.Equal(t, "default", snap.Gateways[0].Namespace, "a namespaced object without a namespace is in default")
	require.Len(t, snap.HTTPRoutes, 1)
	require.Equal(t, "a.example.com", string(snap.HTTPRoutes[0].Spec.Hostnames[0]))
	require.Len(t, snap.ReferenceGrants, 1)

	var all Snapshot
	all.Add(snap)
	require.Len(t, all.HTTPRoutes, 1, "Add carries the Gateway API kinds")
}
