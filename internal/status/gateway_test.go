package status

import (
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayfake "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned/fake"

	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/source"
)

const controllerName = "archway.dev/gateway-controller"

// gatewaySnapshot lists the fake's objects as the informer caches would
// hold them.
func gatewaySnapshot(t *testing.T, client *gatewayfake.Clientset) source.Snapshot {
	var snap source.Snapshot
	classes, err := client.GatewayV1().GatewayClasses().List(t.Context(), metav1.ListOptions{})
	require.NoError(t, err)
	for i := range classes.Items {
		snap.GatewayClasses = append(snap.GatewayClasses, &classes.Items[i])
	}
	gateways, err := client.GatewayV1().Gateways("").List(t.Context(), metav1.ListOptions{})
	require.NoError(t, err)
	for i := range gateways.Items {
		snap.Gateways = append(snap.Gateways, &gateways.Items[i])
	}
	routes, err := client.GatewayV1().HTTPRoutes("").List(t.Context(), metav1.ListOptions{})
	require.NoError(t, err)
	for i := range routes.Items {
		snap.HTTPRoutes = append(snap.HTTPRoutes, &routes.Items[i])
	}
	return snap
}

func TestGatewayStatus(t *testing.T) {
	client := gatewayfake.NewSimpleClientset()
	meta1 := func(namespace, name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Namespace: namespace, Name: name, Generation: 2}
	}
	theirParent := gatewayv1.RouteParentStatus{ParentRef: gatewayv1.ParentReference{Name: "theirs"}, ControllerName: "example.com/other",
		Conditions: []metav1.Condition{{Type: "Accepted", Status: metav1.ConditionTrue, Reason: "Accepted"}}}
	for _, obj := range []struct {
		resource string
		obj      runtime.Object
	}{
		{"gatewayclasses", &gatewayv1.GatewayClass{ObjectMeta: meta1("", "archway")}},
		{"gatewayclasses", &gatewayv1.GatewayClass{ObjectMeta: meta1("", "other")}},
		{"gateways", &gatewayv1.Gateway{ObjectMeta: meta1("web", "gw")}},
		{"httproutes", &gatewayv1.HTTPRoute{ObjectMeta: meta1("web", "r"),
			Status: gatewayv1.HTTPRouteStatus{RouteStatus: gatewayv1.RouteStatus{Parents: []gatewayv1.RouteParentStatus{theirParent}}}}},
	} {
		m := obj.obj.(metav1.Object)
		require.NoError(t, client.Tracker().Create(gatewayv1.Resource(obj.resource).WithVersion("v1"), obj.obj, m.GetNamespace()))
	}
	route := model.Ref{Namespace: "web", Name: "r"}
	report := builder.GatewayReport{
		Classes: []string{"archway"},
		Gateways: []builder.GatewayResult{{Ref: model.Ref{Namespace: "web", Name: "gw"}, Listeners: []builder.ListenerResult{
			{Name: "http", Served: true, AttachedRoutes: 1},
			{Name: "tls", Reason: reason.UnsupportedFeature, Message: "protocol TLS is not supported yet"},
			{Name: "granted", RefsReason: reason.RefNotPermitted, Message: "no ReferenceGrant"},
			{Name: "missing", RefsReason: reason.InvalidTLSSecret, Message: "Secret web/nope not found"},
		}}},
		Routes: []builder.RouteResult{{Ref: route, Parents: []builder.ParentResult{{Ref: gatewayv1.ParentReference{Name: "gw"}}},
			Refs: &builder.Problem{Field: "spec.rules[0].backendRefs[0].namespace", Reason: reason.RefNotPermitted, Message: "no ReferenceGrant"}}},
	}
	writer := gatewayStatus{GatewayOptions{Client: client, Controller: controllerName}}
	require.Zero(t, writer.write(t.Context(), gatewaySnapshot(t, client), report, ours, true))

	v1 := client.GatewayV1()
	class, err := v1.GatewayClasses().Get(t.Context(), "archway", metav1.GetOptions{})
	require.NoError(t, err)
	accepted := meta.FindStatusCondition(class.Status.Conditions, "Accepted")
	require.Equal(t, metav1.ConditionTrue, accepted.Status)
	require.Equal(t, int64(2), accepted.ObservedGeneration)
	other, err := v1.GatewayClasses().Get(t.Context(), "other", metav1.GetOptions{})
	require.NoError(t, err)
	require.Empty(t, other.Status.Conditions, "another controller's class is not touched")

	gw, err := v1.Gateways("web").Get(t.Context(), "gw", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, []gatewayv1.GatewayStatusAddress{
		{Type: ptr.To(gatewayv1.IPAddressType), Value: "192.0.2.10"},
		{Type: ptr.To(gatewayv1.HostnameAddressType), Value: "lb.example.com"},
	}, gw.Status.Addresses, "the Ingress status's addresses")
	require.True(t, meta.IsStatusConditionTrue(gw.Status.Conditions, "Accepted"))
	require.Equal(t, "ListenersNotValid", meta.FindStatusCondition(gw.Status.Conditions, "Accepted").Reason)
	require.True(t, meta.IsStatusConditionTrue(gw.Status.Conditions, "Programmed"))
	require.Len(t, gw.Status.Listeners, 4)
	http, tls := gw.Status.Listeners[0], gw.Status.Listeners[1]
	require.Equal(t, int32(1), http.AttachedRoutes)
	require.Equal(t, []gatewayv1.RouteGroupKind{{Group: ptr.To(gatewayv1.Group(gatewayv1.GroupName)), Kind: "HTTPRoute"}}, http.SupportedKinds)
	require.True(t, meta.IsStatusConditionTrue(http.Conditions, "Accepted"))
	require.True(t, meta.IsStatusConditionTrue(http.Conditions, "Programmed"))
	require.Empty(t, tls.SupportedKinds)
	require.Equal(t, "UnsupportedProtocol", meta.FindStatusCondition(tls.Conditions, "Accepted").Reason)
	require.True(t, meta.IsStatusConditionFalse(tls.Conditions, "Programmed"))
	// Listeners whose certificateRefs cannot be used: accepted, not
	// programmed, ResolvedRefs False with the spec's reasons.
	for i, why := range []string{"RefNotPermitted", "InvalidCertificateRef"} {
		l := gw.Status.Listeners[2+i]
		require.Equal(t, http.SupportedKinds, l.SupportedKinds)
		require.True(t, meta.IsStatusConditionTrue(l.Conditions, "Accepted"))
		require.True(t, meta.IsStatusConditionFalse(l.Conditions, "Programmed"))
		resolved := meta.FindStatusCondition(l.Conditions, "ResolvedRefs")
		require.Equal(t, metav1.ConditionFalse, resolved.Status)
		require.Equal(t, why, resolved.Reason)
	}

	r, err := v1.HTTPRoutes("web").Get(t.Context(), "r", metav1.GetOptions{})
	require.NoError(t, err)
	require.Len(t, r.Status.Parents, 2)
	require.Equal(t, theirParent, r.Status.Parents[0], "another controller's parent status is kept")
	mine := r.Status.Parents[1]
	require.Equal(t, gatewayv1.GatewayController(controllerName), mine.ControllerName)
	require.True(t, meta.IsStatusConditionTrue(mine.Conditions, "Accepted"))
	resolved := meta.FindStatusCondition(mine.Conditions, "ResolvedRefs")
	require.Equal(t, metav1.ConditionFalse, resolved.Status)
	require.Equal(t, "RefNotPermitted", resolved.Reason)
	require.Equal(t, int64(2), resolved.ObservedGeneration)

	// Statuses as written are not written again.
	snap := gatewaySnapshot(t, client)
	before := len(client.Actions())
	require.Zero(t, writer.write(t.Context(), snap, report, ours, true))
	require.Len(t, client.Actions(), before)
}

// TestRouteStatusDroppedRules: rules left out for their filters make the
// route PartiallyInvalid while others are served (the Gateway API's "Drop
// Rule" way), and not Accepted when none is.
func TestRouteStatusDroppedRules(t *testing.T) {
	g := gatewayStatus{GatewayOptions{Controller: controllerName}}
	route := &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: "r", Generation: 3}}
	mirror := builder.Problem{Field: "spec.rules[1].filters[0]", Reason: reason.UnsupportedFeature,
		Message: "filter RequestMirror is not supported yet; the rule is not served"}
	result := builder.RouteResult{Ref: model.Ref{Namespace: "web", Name: "r"},
		Parents: []builder.ParentResult{{Ref: gatewayv1.ParentReference{Name: "gw"}}}, Rules: 2, Dropped: []builder.Problem{mirror}}

	route = g.routeStatus(route, result)
	conditions := route.Status.Parents[0].Conditions
	require.True(t, meta.IsStatusConditionTrue(conditions, "Accepted"))
	partly := meta.FindStatusCondition(conditions, "PartiallyInvalid")
	require.Equal(t, metav1.ConditionTrue, partly.Status)
	require.Equal(t, "UnsupportedValue", partly.Reason)
	require.Equal(t, "Dropped Rule(s): spec.rules[1].filters[0]: filter RequestMirror is not supported yet; the rule is not served", partly.Message)

	result.Rules = 1 // the dropped rule is the only one
	route = g.routeStatus(route, result)
	conditions = route.Status.Parents[0].Conditions
	accepted := meta.FindStatusCondition(conditions, "Accepted")
	require.Equal(t, metav1.ConditionFalse, accepted.Status)
	require.Equal(t, "UnsupportedValue", accepted.Reason)
	require.Nil(t, meta.FindStatusCondition(conditions, "PartiallyInvalid"), "only while some rule is served")

	result.Dropped = nil
	route = g.routeStatus(route, result)
	require.True(t, meta.IsStatusConditionTrue(route.Status.Parents[0].Conditions, "Accepted"))
	require.Nil(t, meta.FindStatusCondition(route.Status.Parents[0].Conditions, "PartiallyInvalid"))
}

// TestRouteStatusRefused: a parentRef that no listener takes is not
// Accepted, with the reason the build gives (why no listener took it).
func TestRouteStatusRefused(t *testing.T) {
	g := gatewayStatus{GatewayOptions{Controller: controllerName}}
	route := &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: "r", Generation: 3}}
	for _, why := range []gatewayv1.RouteConditionReason{gatewayv1.RouteReasonNoMatchingParent,
		gatewayv1.RouteReasonNotAllowedByListeners, gatewayv1.RouteReasonNoMatchingListenerHostname} {
		result := builder.RouteResult{Ref: model.Ref{Namespace: "web", Name: "r"},
			Parents: []builder.ParentResult{{Ref: gatewayv1.ParentReference{Name: "gw"}, Refused: why}}, Rules: 1}
		route = g.routeStatus(route, result)
		accepted := meta.FindStatusCondition(route.Status.Parents[0].Conditions, "Accepted")
		require.Equal(t, metav1.ConditionFalse, accepted.Status)
		require.Equal(t, string(why), accepted.Reason)
		require.Equal(t, "no listener of the Gateway takes this route: "+result.Parents[0].Why(), accepted.Message)
	}
}

// TestListenerStatusRouteKinds: a listener with a route kind archway does
// not take is accepted with ResolvedRefs False InvalidRouteKinds, and its
// supportedKinds name HTTPRoute only when it takes HTTPRoutes.
func TestListenerStatusRouteKinds(t *testing.T) {
	gw := &gatewayv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: "gw", Generation: 1}}
	gw = gatewayStatusOf(gw, builder.GatewayResult{Ref: refOf(gw), Listeners: []builder.ListenerResult{
		{Name: "invalid", RefsReason: reason.InvalidRouteKind, NoRouteKinds: true, Message: "InvalidRoute"},
		{Name: "mixed", Served: true, RefsReason: reason.InvalidRouteKind, Message: "InvalidRoute", AttachedRoutes: 1},
	}}, nil)
	invalid, mixed := gw.Status.Listeners[0], gw.Status.Listeners[1]
	require.Empty(t, invalid.SupportedKinds)
	require.NotNil(t, invalid.SupportedKinds, "an empty list, as the CRD requires")
	require.Equal(t, []gatewayv1.RouteGroupKind{{Group: ptr.To(gatewayv1.Group(gatewayv1.GroupName)), Kind: "HTTPRoute"}}, mixed.SupportedKinds)
	for _, l := range []gatewayv1.ListenerStatus{invalid, mixed} {
		require.True(t, meta.IsStatusConditionTrue(l.Conditions, "Accepted"), l.Name)
		resolved := meta.FindStatusCondition(l.Conditions, "ResolvedRefs")
		require.Equal(t, metav1.ConditionFalse, resolved.Status, l.Name)
		require.Equal(t, "InvalidRouteKinds", resolved.Reason, l.Name)
	}
	require.True(t, meta.IsStatusConditionFalse(invalid.Conditions, "Programmed"))
	require.True(t, meta.IsStatusConditionTrue(mixed.Conditions, "Programmed"))
}

// TestListenerStatusProtocolConflict: listeners that share a port with
// another protocol are Conflicted True ProtocolConflict, neither accepted
// nor programmed, and the Gateway's ListenersNotValid message names them.
func TestListenerStatusProtocolConflict(t *testing.T) {
	gw := &gatewayv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: "gw", Generation: 1}}
	message := `port 8443 has listeners "http", "https" of protocols HTTP and HTTPS, and a port serves one protocol; none of them is served`
	gw = gatewayStatusOf(gw, builder.GatewayResult{Ref: refOf(gw), Listeners: []builder.ListenerResult{
		{Name: "http", Reason: reason.ProtocolConflict, Message: message},
		{Name: "https", Reason: reason.ProtocolConflict, Message: message},
		{Name: "plain", Served: true},
	}}, ours)
	accepted := meta.FindStatusCondition(gw.Status.Conditions, "Accepted")
	require.Equal(t, metav1.ConditionTrue, accepted.Status, "a distinct listener is left")
	require.Equal(t, "ListenersNotValid", accepted.Reason)
	require.Contains(t, accepted.Message, "conflicted, not accepted: http, https")
	require.True(t, meta.IsStatusConditionTrue(gw.Status.Conditions, "Programmed"))
	for _, l := range gw.Status.Listeners[:2] {
		conflicted := meta.FindStatusCondition(l.Conditions, "Conflicted")
		require.Equal(t, metav1.ConditionTrue, conflicted.Status, l.Name)
		require.Equal(t, "ProtocolConflict", conflicted.Reason, l.Name)
		require.Equal(t, message, conflicted.Message, l.Name)
		accepted := meta.FindStatusCondition(l.Conditions, "Accepted")
		require.Equal(t, metav1.ConditionFalse, accepted.Status, l.Name)
		require.Equal(t, "ProtocolConflict", accepted.Reason, l.Name)
		require.True(t, meta.IsStatusConditionFalse(l.Conditions, "Programmed"), l.Name)
		require.Empty(t, l.SupportedKinds, l.Name)
	}
	plain := gw.Status.Listeners[2]
	require.True(t, meta.IsStatusConditionFalse(plain.Conditions, "Conflicted"))
	require.Equal(t, "NoConflicts", meta.FindStatusCondition(plain.Conditions, "Conflicted").Reason)
	require.True(t, meta.IsStatusConditionTrue(plain.Conditions, "Accepted"))
}
