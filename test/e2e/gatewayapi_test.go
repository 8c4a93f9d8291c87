package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/archway-ingress/archway/internal/testutil"
	"github.com/archway-ingress/archway/test/harness"
)

// TestGatewayAPI serves a Gateway and an HTTPRoute beside an Ingress
// through one archway, with the Gateway API's standard CRDs installed in
// the real API server: an Exact match, a PathPrefix match split over two
// weighted backends, a backend of another namespace through a
// ReferenceGrant, and a path that the HTTPRoute and a newer Ingress both
// claim, which the Ingress keeps (docs/gateway-api.md).
func TestGatewayAPI(t *testing.T) {
	t.Parallel()
	s := env
	gw := s.GatewayAPI(t)
	ns := s.classNamespace(t)
	other := ns + "-b"
	s.NewNamespaceNamed(t, other)
	for _, name := range []string{"cart", "a", "b", "legacy", "route"} {
		s.CreateService(t, ns, name, true, s.StartBackend(t, name))
	}
	s.CreateService(t, other, "shared", true, s.StartBackend(t, "shared"))
	ctx := t.Context()
	cert := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"shop.example"}})
	for _, namespace := range []string{ns, other} {
		_, err := s.Cluster.Admin.CoreV1().Secrets(namespace).Create(ctx, cert.Secret("", "shop-tls"), metav1.CreateOptions{})
		require.NoError(t, err)
	}
	controller := createGatewayClass(t, gw, ns, other)
	_, err := gw.GatewayV1().Gateways(ns).Create(ctx, &gatewayv1.Gateway{
		ObjectMeta: metav1.ObjectMeta{Name: "gw"},
		Spec: gatewayv1.GatewaySpec{GatewayClassName: gatewayv1.ObjectName(ns), Listeners: []gatewayv1.Listener{
			{Name: "http", Protocol: gatewayv1.HTTPProtocolType, Port: 80},
			httpsListener("https", "", "", "shop-tls"),
			// The grant is for HTTPRoutes. Its own hostname: listeners of one port and protocol differ in it.
			httpsListener("denied", "denied.example", gatewayv1.Namespace(other), "shop-tls"),
		}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = gw.GatewayV1().ReferenceGrants(other).Create(ctx, &gatewayv1.ReferenceGrant{
		ObjectMeta: metav1.ObjectMeta{Name: "from-" + ns},
		Spec: gatewayv1.ReferenceGrantSpec{
			From: []gatewayv1.ReferenceGrantFrom{{Group: gatewayv1.GroupName, Kind: "HTTPRoute", Namespace: gatewayv1.Namespace(ns)}},
			To:   []gatewayv1.ReferenceGrantTo{{Group: "", Kind: "Service"}},
		},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = gw.GatewayV1().HTTPRoutes(ns).Create(ctx, &gatewayv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Name: "shop"},
		Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Name: "gw"}}},
			Hostnames:       []gatewayv1.Hostname{"shop.example"},
			Rules: []gatewayv1.HTTPRouteRule{
				rule(gatewayv1.PathMatchExact, "/cart", backendRef(ns, "cart", 1)),
				rule(gatewayv1.PathMatchPathPrefix, "/split", backendRef(ns, "a", 1), backendRef(ns, "b", 1)),
				rule(gatewayv1.PathMatchPathPrefix, "/shared", backendRef(other, "shared", 1)),
				rule(gatewayv1.PathMatchPathPrefix, "/both", backendRef(ns, "route", 1)),
			},
		},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	// Newer than the HTTPRoute, and still the winner of /both.
	s.CreateIngress(t, harness.WithClass(harness.NewIngress(ns, "legacy",
		harness.Route{Host: "shop.example", Path: "/both", PathType: networkingv1.PathTypePrefix, Service: "legacy"},
		harness.Route{Host: "shop.example", Path: "/old", PathType: networkingv1.PathTypePrefix, Service: "legacy"},
	), ns))

	a := s.startArchway(t, harness.ArchwayOptions{Class: ns, Args: []string{"--gateway-api", "--gateway-controller-name=" + controller,
		"--publish-status-address=203.0.113.7"}})
	a.WaitFor(t, "shop.example", "/cart", harness.Served("cart"))
	// The HTTPS listener's certificate, by SNI.
	resp, err := a.httpsClient("shop.example").Get("https://shop.example/cart")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.True(t, resp.TLS.PeerCertificates[0].Equal(cert.Leaf), "the listener's certificate is served")
	a.Expect(t, "shop.example", "/cart/more", harness.NotFound)
	a.Expect(t, "shop.example", "/shared/x", harness.Served("shared"))
	// The host has TLS now (the HTTPS listener's certificate), so the
	// Ingress's paths send plain HTTP to HTTPS, as ssl-redirect does.
	redirect := harness.Answer{Status: http.StatusPermanentRedirect}
	a.Expect(t, "shop.example", "/old", redirect)
	a.Expect(t, "shop.example", "/both", redirect)
	for path, backend := range map[string]string{"/old": "legacy", "/both": "legacy"} {
		resp, err := a.httpsClient("shop.example").Get("https://shop.example" + path)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, harness.Served(backend), harness.Answer{Status: resp.StatusCode, Backend: resp.Header.Get("X-Backend")}, path)
	}
	seen := map[string]bool{}
	for range 60 {
		answer, err := a.Get("shop.example", "/split/x")
		require.NoError(t, err)
		seen[answer.Backend] = true
	}
	require.Equal(t, map[string]bool{"a": true, "b": true}, seen, "both weighted backends answer")
	log, err := os.ReadFile(a.Proc.LogPath)
	require.NoError(t, err)
	require.Regexp(t, `kind=HTTPRoute object=`+ns+`/shop field=spec.rules\[3\] reason=PathConflict`, string(log), "the losing route is reported")

	// A change of the HTTPRoute goes live without a restart.
	route, err := gw.GatewayV1().HTTPRoutes(ns).Get(ctx, "shop", metav1.GetOptions{})
	require.NoError(t, err)
	route.Spec.Rules[0].BackendRefs = []gatewayv1.HTTPBackendRef{backendRef(ns, "route", 1)}
	_, err = gw.GatewayV1().HTTPRoutes(ns).Update(ctx, route, metav1.UpdateOptions{})
	require.NoError(t, err)
	a.WaitFor(t, "shop.example", "/cart", harness.Served("route"))

	// A listener that takes the routes of the namespaces of a label: a
	// route of the other namespace attaches once its Namespace has it.
	label := "e2e.archway.dev/team"
	_, err = gw.GatewayV1().Gateways(ns).Create(ctx, &gatewayv1.Gateway{
		ObjectMeta: metav1.ObjectMeta{Name: "teams"},
		Spec: gatewayv1.GatewaySpec{GatewayClassName: gatewayv1.ObjectName(ns), Listeners: []gatewayv1.Listener{{
			Name: "http", Protocol: gatewayv1.HTTPProtocolType, Port: 80, Hostname: ptr.To(gatewayv1.Hostname("team.example")),
			AllowedRoutes: &gatewayv1.AllowedRoutes{Namespaces: &gatewayv1.RouteNamespaces{
				From: ptr.To(gatewayv1.NamespacesFromSelector), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{label: ns}}}},
		}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = gw.GatewayV1().HTTPRoutes(other).Create(ctx, &gatewayv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Name: "team"},
		Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Name: "teams", Namespace: ptr.To(gatewayv1.Namespace(ns))}}},
			Rules:           []gatewayv1.HTTPRouteRule{rule(gatewayv1.PathMatchPathPrefix, "/", backendRef(other, "shared", 1))},
		},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	a.WaitFor(t, "shop.example", "/cart", harness.Served("route")) // a sync since
	a.Expect(t, "team.example", "/", harness.NotFound)
	namespace, err := s.Cluster.Admin.CoreV1().Namespaces().Get(ctx, other, metav1.GetOptions{})
	require.NoError(t, err)
	namespace.Labels[label] = ns
	_, err = s.Cluster.Admin.CoreV1().Namespaces().Update(ctx, namespace, metav1.UpdateOptions{})
	require.NoError(t, err)
	a.WaitFor(t, "team.example", "/", harness.Served("shared"))

	// Status, written by the leader with the Ingress status's addresses.
	require.NoError(t, harness.Eventually(20*time.Second, 100*time.Millisecond, func() error {
		class, err := gw.GatewayV1().GatewayClasses().Get(ctx, ns, metav1.GetOptions{})
		if err != nil || !meta.IsStatusConditionTrue(class.Status.Conditions, "Accepted") {
			return fmt.Errorf("GatewayClass not accepted yet (%v)", err)
		}
		gateway, err := gw.GatewayV1().Gateways(ns).Get(ctx, "gw", metav1.GetOptions{})
		if err != nil || !meta.IsStatusConditionTrue(gateway.Status.Conditions, "Programmed") {
			return fmt.Errorf("Gateway not programmed yet (%v)", err)
		}
		route, err := gw.GatewayV1().HTTPRoutes(ns).Get(ctx, "shop", metav1.GetOptions{})
		if err != nil || len(route.Status.Parents) != 1 {
			return fmt.Errorf("HTTPRoute has no parent status yet (%v)", err)
		}
		if c := meta.FindStatusCondition(route.Status.Parents[0].Conditions, "Accepted"); c == nil || c.ObservedGeneration != route.Generation {
			return fmt.Errorf("HTTPRoute status not of generation %d yet", route.Generation)
		}
		return nil
	}))
	gateway, err := gw.GatewayV1().Gateways(ns).Get(ctx, "gw", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, []gatewayv1.GatewayStatusAddress{{Type: ptr.To(gatewayv1.IPAddressType), Value: "203.0.113.7"}}, gateway.Status.Addresses)
	require.Len(t, gateway.Status.Listeners, 3)
	for _, l := range gateway.Status.Listeners[:2] {
		require.Equal(t, int32(1), l.AttachedRoutes, l.Name)
		require.True(t, meta.IsStatusConditionTrue(l.Conditions, "Accepted"), l.Name)
		require.True(t, meta.IsStatusConditionTrue(l.Conditions, "ResolvedRefs"), l.Name)
	}
	denied := gateway.Status.Listeners[2]
	require.True(t, meta.IsStatusConditionFalse(denied.Conditions, "Programmed"))
	require.Equal(t, "RefNotPermitted", meta.FindStatusCondition(denied.Conditions, "ResolvedRefs").Reason)
	route, err = gw.GatewayV1().HTTPRoutes(ns).Get(ctx, "shop", metav1.GetOptions{})
	require.NoError(t, err)
	parent := route.Status.Parents[0]
	require.Equal(t, gatewayv1.GatewayController(controller), parent.ControllerName)
	require.True(t, meta.IsStatusConditionTrue(parent.Conditions, "Accepted"))
	require.True(t, meta.IsStatusConditionTrue(parent.Conditions, "ResolvedRefs"))
}

// httpsListener is an HTTPS listener of hostname (any when "") with the
// Secret named secret, of namespace when it is not "".
func httpsListener(name string, hostname gatewayv1.Hostname, namespace gatewayv1.Namespace, secret string) gatewayv1.Listener {
	ref := gatewayv1.SecretObjectReference{Name: gatewayv1.ObjectName(secret)}
	if namespace != "" {
		ref.Namespace = &namespace
	}
	l := gatewayv1.Listener{Name: gatewayv1.SectionName(name), Protocol: gatewayv1.HTTPSProtocolType, Port: 443,
		TLS: &gatewayv1.ListenerTLSConfig{CertificateRefs: []gatewayv1.SecretObjectReference{ref}}}
	if hostname != "" {
		l.Hostname = &hostname
	}
	return l
}

func rule(match gatewayv1.PathMatchType, path string, backends ...gatewayv1.HTTPBackendRef) gatewayv1.HTTPRouteRule {
	return gatewayv1.HTTPRouteRule{
		Matches:     []gatewayv1.HTTPRouteMatch{{Path: &gatewayv1.HTTPPathMatch{Type: &match, Value: &path}}},
		BackendRefs: backends,
	}
}

func backendRef(namespace, service string, weight int32) gatewayv1.HTTPBackendRef {
	return gatewayv1.HTTPBackendRef{BackendRef: gatewayv1.BackendRef{
		BackendObjectReference: gatewayv1.BackendObjectReference{
			Name: gatewayv1.ObjectName(service), Namespace: ptr.To(gatewayv1.Namespace(namespace)), Port: ptr.To(gatewayv1.PortNumber(80)),
		},
		Weight: &weight,
	}}
}

// createGatewayClass creates the GatewayClass named namespaces[0] of the
// controller name it returns, unique to the test, and deletes it and the
// Gateway API objects of namespaces when the test ends.
func createGatewayClass(t *testing.T, gw gatewayclient.Interface, namespaces ...string) string {
	controller := "archway.dev/" + namespaces[0]
	deleteGatewayObjects(t, gw, namespaces...)
	_, err := gw.GatewayV1().GatewayClasses().Create(t.Context(), &gatewayv1.GatewayClass{
		ObjectMeta: metav1.ObjectMeta{Name: namespaces[0]},
		Spec:       gatewayv1.GatewayClassSpec{ControllerName: gatewayv1.GatewayController(controller)},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	return controller
}

// deleteGatewayObjects deletes, when the test ends, the Gateway API
// objects of the test's namespaces and its GatewayClass (named after the
// first namespace): with no controller-manager, deleting a namespace
// leaves its custom resources behind.
func deleteGatewayObjects(t *testing.T, gw gatewayclient.Interface, namespaces ...string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		all := metav1.ListOptions{}
		for _, ns := range namespaces {
			v1 := gw.GatewayV1()
			require.NoError(t, v1.HTTPRoutes(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, all))
			require.NoError(t, v1.Gateways(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, all))
			require.NoError(t, v1.ReferenceGrants(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, all))
		}
		require.NoError(t, gw.GatewayV1().GatewayClasses().Delete(ctx, namespaces[0], metav1.DeleteOptions{}))
	})
}
