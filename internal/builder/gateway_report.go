package builder

import (
	"slices"

	"k8s.io/apimachinery/pkg/labels"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// GatewayReport is what the Gateway API processors decided, for the
// status of the objects (package status): which GatewayClasses are this
// instance's, each Gateway's listeners, and each attached HTTPRoute's
// parents and backends. Its slices are sorted by Ref.
type GatewayReport struct {
	Classes  []string
	Gateways []GatewayResult
	Routes   []RouteResult
	// Ports are the Gateways served on ports of their own, whose
	// Services internal/status keeps (Config.GatewayPorts).
	Ports []model.GatewayPorts
}

// GatewayResult is one Gateway of this instance.
type GatewayResult struct {
	Ref model.Ref
	// Listeners are in the Gateway's spec order.
	Listeners []ListenerResult
}

// ListenerResult is one listener: served, or why not. Reason says why
// archway does not accept it (reason.UnsupportedFeature,
// reason.InvalidHost, reason.InvalidSelector, or reason.ProtocolConflict
// for a Conflicted one); RefsReason why a
// reference of an accepted listener cannot be resolved: a certificateRef
// (reason.InvalidTLSSecret or reason.RefNotPermitted; the listener is not
// served) or a kind of its allowedRoutes.kinds (reason.InvalidRouteKind;
// it serves HTTPRoutes if they name it, else NoRouteKinds). Message says
// what.
type ListenerResult struct {
	Name           string
	Served         bool
	Reason         reason.Reason
	RefsReason     reason.Reason
	NoRouteKinds   bool
	Message        string
	AttachedRoutes int32
}

// RouteResult is one HTTPRoute that names a Gateway of this instance.
type RouteResult struct {
	Ref model.Ref
	// Parents are the route's parentRefs to Gateways of this instance, in
	// its spec order; Accepted says whether a listener took it.
	Parents []ParentResult
	// Refs is the first backendRef that could not be used, nil when all
	// could.
	Refs *Problem
	// Rules counts the route's rules; Dropped are those left out for their
	// filters (a Problem each), in spec order.
	Rules   int
	Dropped []Problem
}

// ParentResult is one parentRef, as written, and why no listener of its
// Gateway took the route: gatewayv1.RouteReasonNoMatchingParent,
// RouteReasonNotAllowedByListeners or RouteReasonNoMatchingListenerHostname
// ("" when one did).
type ParentResult struct {
	Ref     gatewayv1.ParentReference
	Refused gatewayv1.RouteConditionReason
}

// Why says why no listener took the route, "" when one did.
func (p ParentResult) Why() string { return refusals[p.Refused] }

// refusals say what each reason of a ParentResult's Refused means.
var refusals = map[gatewayv1.RouteConditionReason]string{
	gatewayv1.RouteReasonNoMatchingParent:           "no listener has the parentRef's sectionName and port",
	gatewayv1.RouteReasonNotAllowedByListeners:      "the listeners' allowedRoutes do not allow its namespace",
	gatewayv1.RouteReasonNoMatchingListenerHostname: "no listener shares a hostname with it",
}

// gatewayState is what the Gateway API processors pass on to each other.
type gatewayState struct {
	gatewayReport GatewayReport
	// hostlessHTTPS are the served HTTPS listeners without hostname,
	// oldest Gateway first, then in spec order.
	hostlessHTTPS []hostlessListener
	// namespaces are the labels of the Snapshot's Namespaces, by name,
	// once a listener's selector asked for them (namespaceLabels).
	namespaces map[string]labels.Set
	// anyDepth are the wildcard hosts of HTTPRoutes that no Ingress has:
	// they match as the Gateway API's wildcards do (markAnyDepth).
	anyDepth map[string]bool
	// ownPorts are the Gateways served on ports of their own
	// (gateway_ports.go).
	ownPorts map[model.Ref]bool
}

// attach counts a route on the listener name of Gateway gw.
func (r *GatewayReport) attach(gw model.Ref, listener string) {
	for i := range r.Gateways {
		if r.Gateways[i].Ref == gw {
			if l := slices.IndexFunc(r.Gateways[i].Listeners, func(l ListenerResult) bool { return l.Name == listener }); l >= 0 {
				r.Gateways[i].Listeners[l].AttachedRoutes++
			}
		}
	}
}

// sorted returns the report with its slices in Ref order.
func (r GatewayReport) sorted() GatewayReport {
	slices.Sort(r.Classes)
	slices.SortFunc(r.Gateways, func(a, b GatewayResult) int { return compareRefs(a.Ref, b.Ref) })
	slices.SortFunc(r.Routes, func(a, b RouteResult) int { return compareRefs(a.Ref, b.Ref) })
	return r
}
