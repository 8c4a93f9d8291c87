package status

import (
	"context"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/source"
)

// GatewayOptions turn on the status of the Gateway API objects.
type GatewayOptions struct {
	Client gatewayclient.Interface
	// Controller is --gateway-controller-name: archway writes the
	// HTTPRoute parent statuses of this controller name only.
	Controller string
	// Services, when set, keeps a Service per Gateway served on ports of
	// its own, whose addresses are that Gateway's (gatewayservices.go);
	// the other Gateways get the Ingresses' addresses.
	Services *GatewayServices
}

// gatewayStatus writes the status of this instance's GatewayClasses,
// Gateways and HTTPRoutes from a Report's GatewayReport, within the
// Writer's passes (so as leader only, with the Ingresses' addresses).
type gatewayStatus struct{ GatewayOptions }

// write keeps the Gateways' Services, then, with statuses, updates every
// object whose status differs, and returns how many writes failed.
func (g gatewayStatus) write(ctx context.Context, snap source.Snapshot, report builder.GatewayReport,
	addresses []networkingv1.IngressLoadBalancerIngress, statuses bool) int {
	v1 := g.Client.GatewayV1()
	failed := 0
	count := func(err error) {
		if err != nil {
			failed++
		}
	}
	var services map[model.Ref]*corev1.Service
	if g.Services != nil {
		var servicesFailed int
		services, servicesFailed = g.Services.sync(ctx, g.Controller, snap, report.Ports)
		failed += servicesFailed
	}
	if !statuses {
		return failed
	}
	for _, class := range snap.GatewayClasses {
		if slices.Contains(report.Classes, class.Name) {
			count(writeStatus(ctx, class, classStatus, v1.GatewayClasses().Get, v1.GatewayClasses().UpdateStatus, class.Name))
		}
	}
	for _, gw := range snap.Gateways {
		i := slices.IndexFunc(report.Gateways, func(r builder.GatewayResult) bool { return r.Ref == refOf(gw) })
		if i >= 0 {
			ours := addresses
			if g.Services != nil {
				ours = gatewayAddresses(services[refOf(gw)])
			}
			want := func(gw *gatewayv1.Gateway) *gatewayv1.Gateway {
				return gatewayStatusOf(gw, report.Gateways[i], ours)
			}
			count(writeStatus(ctx, gw, want, v1.Gateways(gw.Namespace).Get, v1.Gateways(gw.Namespace).UpdateStatus, gw.Name))
		}
	}
	for _, route := range snap.HTTPRoutes {
		i := slices.IndexFunc(report.Routes, func(r builder.RouteResult) bool { return r.Ref == refOf(route) })
		if i >= 0 {
			want := func(route *gatewayv1.HTTPRoute) *gatewayv1.HTTPRoute { return g.routeStatus(route, report.Routes[i]) }
			count(writeStatus(ctx, route, want, v1.HTTPRoutes(route.Namespace).Get, v1.HTTPRoutes(route.Namespace).UpdateStatus, route.Name))
		}
	}
	return failed
}

func refOf(obj metav1.Object) model.Ref {
	return model.Ref{Namespace: obj.GetNamespace(), Name: obj.GetName()}
}

// writeStatus writes want(obj) when its status differs from obj's. On a
// conflict (the cache's version is older than the API's, as after
// archway's own write) it reads the object again and retries once.
func writeStatus[T metav1.Object](ctx context.Context, obj T, want func(T) T,
	get func(context.Context, string, metav1.GetOptions) (T, error),
	update func(context.Context, T, metav1.UpdateOptions) (T, error), name string) error {
	next := want(obj)
	if equality.Semantic.DeepEqual(next, obj) {
		return nil
	}
	_, err := update(ctx, next, metav1.UpdateOptions{})
	if !apierrors.IsConflict(err) {
		return err
	}
	fresh, err := get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if next = want(fresh); equality.Semantic.DeepEqual(next, fresh) {
		return nil
	}
	_, err = update(ctx, next, metav1.UpdateOptions{})
	return err
}

// condition sets one condition of conditions at generation, keeping its
// transition time while its status stays.
func condition(conditions *[]metav1.Condition, generation int64, kind string, ok bool, why, message string) {
	status := metav1.ConditionFalse
	if ok {
		status = metav1.ConditionTrue
	}
	meta.SetStatusCondition(conditions, metav1.Condition{Type: kind, Status: status, Reason: why, Message: message,
		ObservedGeneration: generation})
}

func classStatus(class *gatewayv1.GatewayClass) *gatewayv1.GatewayClass {
	class = class.DeepCopy()
	condition(&class.Status.Conditions, class.Generation, string(gatewayv1.GatewayClassConditionStatusAccepted), true,
		string(gatewayv1.GatewayClassReasonAccepted), "archway serves this class")
	return class
}

// gatewayStatusOf is the Gateway's status: accepted, programmed while a
// listener is served and it has an address, the published addresses, and
// each listener's.
func gatewayStatusOf(gw *gatewayv1.Gateway, result builder.GatewayResult, addresses []networkingv1.IngressLoadBalancerIngress) *gatewayv1.Gateway {
	gw = gw.DeepCopy()
	gen := gw.Generation
	served := slices.ContainsFunc(result.Listeners, func(l builder.ListenerResult) bool { return l.Served })
	accepted := slices.ContainsFunc(result.Listeners, func(l builder.ListenerResult) bool { return l.Reason == "" })
	why, message := string(gatewayv1.GatewayReasonAccepted), ""
	if slices.ContainsFunc(result.Listeners, func(l builder.ListenerResult) bool { return !l.Served }) {
		why, message = string(gatewayv1.GatewayReasonListenersNotValid), "a listener is not served (see its conditions)"
		if conflicted := conflictedListeners(result.Listeners); conflicted != "" {
			message += "; conflicted, not accepted: " + conflicted
		}
	}
	condition(&gw.Status.Conditions, gen, string(gatewayv1.GatewayConditionAccepted), accepted, why, message)
	programmed, message := string(gatewayv1.GatewayReasonProgrammed), ""
	switch {
	case !served:
		programmed, message = string(gatewayv1.GatewayReasonInvalid), "no listener is served"
	case len(addresses) == 0:
		// The spec's answer while a load balancer has no address yet:
		// nginx serves the listeners, but nothing reaches them.
		programmed, message = string(gatewayv1.GatewayReasonAddressNotAssigned),
			"no address is assigned yet: the Gateway's Service (or --publish-service) has none, as a load balancer before the cloud gives it one"
	}
	condition(&gw.Status.Conditions, gen, string(gatewayv1.GatewayConditionProgrammed), served && len(addresses) > 0, programmed, message)
	gw.Status.Addresses = nil
	for _, a := range addresses {
		address := gatewayv1.GatewayStatusAddress{Type: ptr.To(gatewayv1.HostnameAddressType), Value: a.Hostname}
		if a.IP != "" {
			address = gatewayv1.GatewayStatusAddress{Type: ptr.To(gatewayv1.IPAddressType), Value: a.IP}
		}
		gw.Status.Addresses = append(gw.Status.Addresses, address)
	}
	listeners := make([]gatewayv1.ListenerStatus, 0, len(result.Listeners))
	for _, l := range result.Listeners {
		status := gatewayv1.ListenerStatus{Name: gatewayv1.SectionName(l.Name), AttachedRoutes: l.AttachedRoutes,
			SupportedKinds: []gatewayv1.RouteGroupKind{}}
		if i := slices.IndexFunc(gw.Status.Listeners, func(s gatewayv1.ListenerStatus) bool { return string(s.Name) == l.Name }); i >= 0 {
			status.Conditions = gw.Status.Listeners[i].Conditions
		}
		accepted, why := l.Reason == "", string(gatewayv1.ListenerReasonAccepted)
		switch {
		case l.Reason == reason.UnsupportedFeature:
			why = string(gatewayv1.ListenerReasonUnsupportedProtocol)
		case l.Reason == reason.ProtocolConflict:
			why = string(gatewayv1.ListenerReasonProtocolConflict)
		case !accepted:
			why = string(gatewayv1.ListenerReasonInvalid)
		case !l.NoRouteKinds:
			status.SupportedKinds = append(status.SupportedKinds, gatewayv1.RouteGroupKind{
				Group: ptr.To(gatewayv1.Group(gatewayv1.GroupName)), Kind: builder.KindHTTPRoute})
		}
		condition(&status.Conditions, gen, string(gatewayv1.ListenerConditionAccepted), accepted, why, acceptedMessage(l))
		programmed := string(gatewayv1.ListenerReasonProgrammed)
		if !l.Served {
			programmed = string(gatewayv1.ListenerReasonInvalid)
		}
		condition(&status.Conditions, gen, string(gatewayv1.ListenerConditionProgrammed), l.Served, programmed, l.Message)
		resolved, message := string(gatewayv1.ListenerReasonResolvedRefs), ""
		switch l.RefsReason {
		case reason.RefNotPermitted:
			resolved, message = string(gatewayv1.ListenerReasonRefNotPermitted), l.Message
		case reason.InvalidTLSSecret:
			resolved, message = string(gatewayv1.ListenerReasonInvalidCertificateRef), l.Message
		case reason.InvalidRouteKind:
			resolved, message = string(gatewayv1.ListenerReasonInvalidRouteKinds), l.Message
		}
		condition(&status.Conditions, gen, string(gatewayv1.ListenerConditionResolvedRefs), l.RefsReason == "", resolved, message)
		conflicted, message := l.Reason == reason.ProtocolConflict, ""
		conflict := string(gatewayv1.ListenerReasonNoConflicts)
		if conflicted {
			conflict, message = string(gatewayv1.ListenerReasonProtocolConflict), l.Message
		}
		condition(&status.Conditions, gen, string(gatewayv1.ListenerConditionConflicted), conflicted, conflict, message)
		listeners = append(listeners, status)
	}
	gw.Status.Listeners = listeners
	return gw
}

// conflictedListeners names the listeners that are Conflicted, as the
// spec asks the Gateway's ListenersNotValid message to.
func conflictedListeners(listeners []builder.ListenerResult) string {
	var names []string
	for _, l := range listeners {
		if l.Reason == reason.ProtocolConflict {
			names = append(names, l.Name)
		}
	}
	return strings.Join(names, ", ")
}

// acceptedMessage is the message of a listener's Accepted condition: why
// archway does not accept it, if it does not.
func acceptedMessage(l builder.ListenerResult) string {
	if l.Reason == "" {
		return ""
	}
	return l.Message
}

// routeStatus replaces this controller's parent statuses of the route and
// keeps other controllers'.
func (g gatewayStatus) routeStatus(route *gatewayv1.HTTPRoute, result builder.RouteResult) *gatewayv1.HTTPRoute {
	route = route.DeepCopy()
	gen := route.Generation
	var parents []gatewayv1.RouteParentStatus
	for _, p := range route.Status.Parents {
		if string(p.ControllerName) != g.Controller {
			parents = append(parents, p)
		}
	}
	for _, p := range result.Parents {
		status := gatewayv1.RouteParentStatus{ParentRef: p.Ref, ControllerName: gatewayv1.GatewayController(g.Controller)}
		if i := slices.IndexFunc(route.Status.Parents, func(s gatewayv1.RouteParentStatus) bool {
			return string(s.ControllerName) == g.Controller && equality.Semantic.DeepEqual(s.ParentRef, p.Ref)
		}); i >= 0 {
			status.Conditions = route.Status.Parents[i].Conditions
		}
		ok, accepted, message := p.Refused == "", string(gatewayv1.RouteReasonAccepted), ""
		switch {
		case !ok:
			accepted, message = string(p.Refused), "no listener of the Gateway takes this route: "+p.Why()
		case len(result.Dropped) > 0 && len(result.Dropped) == result.Rules:
			ok, accepted, message = false, string(gatewayv1.RouteReasonUnsupportedValue), "no rule is served: "+droppedRules(result.Dropped)
		}
		condition(&status.Conditions, gen, string(gatewayv1.RouteConditionAccepted), ok, accepted, message)
		// Rules dropped beside served ones: the Gateway API's "Drop Rule"
		// way for a partly invalid route.
		if ok && len(result.Dropped) > 0 {
			condition(&status.Conditions, gen, string(gatewayv1.RouteConditionPartiallyInvalid), true,
				string(gatewayv1.RouteReasonUnsupportedValue), "Dropped Rule(s): "+droppedRules(result.Dropped))
		} else {
			meta.RemoveStatusCondition(&status.Conditions, string(gatewayv1.RouteConditionPartiallyInvalid))
		}
		resolved, message := string(gatewayv1.RouteReasonResolvedRefs), ""
		if r := result.Refs; r != nil {
			resolved, message = string(gatewayv1.RouteReasonBackendNotFound), r.Field+": "+r.Message
			switch r.Reason {
			case reason.RefNotPermitted:
				resolved = string(gatewayv1.RouteReasonRefNotPermitted)
			case reason.UnsupportedBackend:
				resolved = string(gatewayv1.RouteReasonInvalidKind)
			}
		}
		condition(&status.Conditions, gen, string(gatewayv1.RouteConditionResolvedRefs), result.Refs == nil, resolved, message)
		parents = append(parents, status)
	}
	route.Status.Parents = parents
	return route
}

// droppedRules says which rules were left out, and why.
func droppedRules(dropped []builder.Problem) string {
	parts := make([]string, len(dropped))
	for i, p := range dropped {
		parts[i] = p.Field + ": " + p.Message
	}
	return strings.Join(parts, "; ")
}
