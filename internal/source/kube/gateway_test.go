package kube

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayfake "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned/fake"

	"github.com/archway-ingress/archway/internal/source"
)

var (
	gatewayClasses = kind{
		gvr:  gatewayv1.Resource("gatewayclasses").WithVersion("v1"),
		new:  func(_, name string) runtime.Object { return &gatewayv1.GatewayClass{ObjectMeta: meta("", name)} },
		pick: func(s source.Snapshot) []metav1.Object { return objects(s.GatewayClasses) },
	}
	gateways = kind{
		gvr:  gatewayv1.Resource("gateways").WithVersion("v1"),
		new:  func(ns, name string) runtime.Object { return &gatewayv1.Gateway{ObjectMeta: meta(ns, name)} },
		pick: func(s source.Snapshot) []metav1.Object { return objects(s.Gateways) },
	}
	httpRoutes = kind{
		gvr:  gatewayv1.Resource("httproutes").WithVersion("v1"),
		new:  func(ns, name string) runtime.Object { return &gatewayv1.HTTPRoute{ObjectMeta: meta(ns, name)} },
		pick: func(s source.Snapshot) []metav1.Object { return objects(s.HTTPRoutes) },
	}
	referenceGrants = kind{
		gvr:  gatewayv1.Resource("referencegrants").WithVersion("v1"),
		new:  func(ns, name string) runtime.Object { return &gatewayv1.ReferenceGrant{ObjectMeta: meta(ns, name)} },
		pick: func(s source.Snapshot) []metav1.Object { return objects(s.ReferenceGrants) },
	}
)

// gatewayCluster is a fake cluster whose discovery serves the Gateway API
// once installed is true.
func gatewayCluster(installed *atomic.Bool) *fake.Clientset {
	client := fake.NewClientset()
	client.Resources = []*metav1.APIResourceList{{GroupVersion: gatewayv1.GroupVersion.String()}}
	for _, name := range gatewayResources {
		client.Resources[0].APIResources = append(client.Resources[0].APIResources, metav1.APIResource{Name: name})
	}
	client.PrependReactor("get", "resource", func(k8stesting.Action) (bool, runtime.Object, error) {
		if installed.Load() {
			return false, nil, nil
		}
		return true, nil, apierrors.NewNotFound(gatewayv1.Resource("gatewayclasses"), "")
	})
	return client
}

// gatewayClient is a fake Gateway API client. Its field-managed variant
// (NewClientset) knows no v1 Gateways in v1.6.3, and the v1beta1 kinds
// alias the v1 types, so objects are created by resource, not guessed
// from their type.
func gatewayClient() *gatewayfake.Clientset { return gatewayfake.NewSimpleClientset() }

func TestGatewayAPIKinds(t *testing.T) {
	for name, k := range map[string]kind{
		"GatewayClass": gatewayClasses, "Gateway": gateways, "HTTPRoute": httpRoutes, "ReferenceGrant": referenceGrants,
	} {
		t.Run(name, func(t *testing.T) {
			var installed atomic.Bool
			installed.Store(true)
			ns, want := "web", "web/first"
			if k.gvr.Resource == "gatewayclasses" {
				ns, want = "", "first"
			}
			gw := gatewayClient()
			require.NoError(t, gw.Tracker().Create(k.gvr, k.new(ns, "first"), ns))
			src := start(t, gatewayCluster(&installed), Options{Gateway: &GatewayOptions{Client: gw}})
			require.Equal(t, []string{want}, keys(t, src, k))
			snap, err := src.Snapshot()
			require.NoError(t, err)
			require.Nil(t, k.pick(snap)[0].GetManagedFields(), "managedFields are dropped")

			require.NoError(t, gw.Tracker().Create(k.gvr, k.new(ns, "second"), ns))
			waitChanged(t, src, func() bool { return len(keys(t, src, k)) == 2 })
		})
	}
}

func TestGatewayAPIRequiredButMissing(t *testing.T) {
	var installed atomic.Bool
	src := New(gatewayCluster(&installed), Options{Gateway: &GatewayOptions{Client: gatewayClient(), Require: true}})
	err := src.Start(t.Context())
	require.ErrorContains(t, err, "--gateway-api: the cluster does not serve gateway.networking.k8s.io/v1")
}

func TestGatewayAPIWatchedOnceCRDsAppear(t *testing.T) {
	var installed atomic.Bool
	gw := gatewayClient()
	require.NoError(t, gw.Tracker().Create(httpRoutes.gvr, httpRoutes.new("web", "route"), "web"))
	src := start(t, gatewayCluster(&installed), Options{Gateway: &GatewayOptions{Client: gw, Poll: 10 * time.Millisecond}})
	require.Empty(t, keys(t, src, httpRoutes), "nothing is watched before the CRDs exist")

	installed.Store(true)
	waitChanged(t, src, func() bool { return len(keys(t, src, httpRoutes)) == 1 })
}

func TestGatewayStatusWritesSignalNothing(t *testing.T) {
	route := &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Generation: 3, ResourceVersion: "1"}}
	written := route.DeepCopy()
	written.ResourceVersion = "2"
	written.Status.Parents = []gatewayv1.RouteParentStatus{{ControllerName: "archway.dev/gateway-controller"}}
	require.True(t, onlyGatewayStatus(route, written))

	edited := written.DeepCopy()
	edited.Generation = 4
	require.False(t, onlyGatewayStatus(route, edited), "a spec change")
	annotated := written.DeepCopy()
	annotated.Annotations = map[string]string{"a": "b"}
	require.False(t, onlyGatewayStatus(route, annotated), "an annotation change")
	require.False(t, onlyGatewayStatus(&gatewayv1.HTTPRoute{}, &gatewayv1.HTTPRoute{}), "no generation proves nothing")
}

// TestGatewayNamespaces lists the Namespaces, for listeners' selectors,
// once the Gateway API is watched, and signals a change of their labels.
func TestGatewayNamespaces(t *testing.T) {
	var installed atomic.Bool
	installed.Store(true)
	client := gatewayCluster(&installed)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "blue", Labels: map[string]string{"team": "a"}}}
	require.NoError(t, client.Tracker().Add(ns))
	src := start(t, client, Options{Gateway: &GatewayOptions{Client: gatewayClient()}})
	labels := func() map[string]string {
		snap, err := src.Snapshot()
		require.NoError(t, err)
		require.Len(t, snap.Namespaces, 1)
		return snap.Namespaces[0].Labels
	}
	require.Equal(t, map[string]string{"team": "a"}, labels())

	relabelled := ns.DeepCopy()
	relabelled.Labels["team"] = "b"
	_, err := client.CoreV1().Namespaces().Update(t.Context(), relabelled, metav1.UpdateOptions{})
	require.NoError(t, err)
	waitChanged(t, src, func() bool { return labels()["team"] == "b" })

	without := start(t, fake.NewClientset(ns.DeepCopy()), Options{})
	snap, err := without.Snapshot()
	require.NoError(t, err)
	require.Empty(t, snap.Namespaces, "no Namespaces without the Gateway API")
}

func TestNamespaceUpdatesBesideLabelsSignalNothing(t *testing.T) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "blue", ResourceVersion: "1", Labels: map[string]string{"team": "a"}}}
	annotated := ns.DeepCopy()
	annotated.ResourceVersion, annotated.Annotations = "2", map[string]string{"a": "b"}
	require.True(t, sameNamespaceLabels(ns, annotated))
	relabelled := ns.DeepCopy()
	relabelled.ResourceVersion, relabelled.Labels = "2", map[string]string{"team": "b"}
	require.False(t, sameNamespaceLabels(ns, relabelled))
}
