package builder

import (
	"fmt"
	"slices"

	networkingv1 "k8s.io/api/networking/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// maxWeightTotal is model.Canary's bound on WeightTotal.
const maxWeightTotal = 1000000

// weighted is one backendRef of a rule with a weight; backend is empty
// when it cannot be used.
type weighted struct {
	backend string
	weight  int
}

// routeBackends resolves a rule's backendRefs into the Location's Backend
// and, for the others, weighted Canaries: the first usable backend with a
// weight is the main one, and each other takes its share of the requests,
// as the Lua balancer's canary weights split them (model.Canary). A
// backendRef that cannot be used is reported, and its share answers 500
// (an Unresolved canary), as the spec asks; that of a backend without
// ready endpoints answers 503 (Strict), as does the main one's. A rule without a usable
// backend of some weight answers 500: it returns no backend.
// The first backendRef left out goes into result's Refs.
func (b *build) routeBackends(route model.Ref, field string, refs []gatewayv1.HTTPBackendRef, result *RouteResult) (string, []model.Canary) {
	var all []weighted
	total, main := 0, -1
	for k, ref := range refs {
		name, rej := b.routeBackend(route, ref.BackendRef, true)
		if rej != nil {
			b.backendProblem(route, fmt.Sprintf("%s.backendRefs[%d]", field, k), rej, result)
		}
		weight := 1
		if ref.Weight != nil {
			weight = int(*ref.Weight)
		}
		if weight > 0 {
			if main < 0 && name != "" {
				main = len(all)
			}
			all = append(all, weighted{name, weight})
			total += weight
		}
	}
	if main < 0 {
		return "", nil
	}
	if total > maxWeightTotal { // scale down, keeping every share above 0
		for i := range all {
			all[i].weight = max(1, all[i].weight*maxWeightTotal/total)
		}
		total = 0
		for _, w := range all {
			total += w.weight
		}
	}
	var canaries []model.Canary
	for i, w := range all {
		if i != main {
			canaries = append(canaries, model.Canary{Backend: w.backend, Unresolved: w.backend == "", Strict: w.backend != "",
				Owner: model.Owner{Kind: KindHTTPRoute, Ref: route}, Weight: w.weight, WeightTotal: total})
		}
	}
	return all[main].backend, canaries
}

// checkBackends reports the backendRefs that could not be used of a
// route that only unserved listeners take, as routeBackends does, so that
// its status says so; it builds no backend.
func (b *build) checkBackends(route model.Ref, rules []gatewayv1.HTTPRouteRule, result *RouteResult) {
	for i, rule := range rules {
		for k, ref := range rule.BackendRefs {
			if _, rej := b.routeBackend(route, ref.BackendRef, false); rej != nil {
				b.backendProblem(route, fmt.Sprintf("spec.rules[%d].backendRefs[%d]", i, k), rej, result)
			}
		}
	}
}

// backendProblem reports a backendRef at field that could not be used,
// and keeps the first in result's Refs.
func (b *build) backendProblem(route model.Ref, field string, rej *rejection, result *RouteResult) {
	p := Problem{Kind: KindHTTPRoute, Object: route, Field: field + rej.field, Reason: rej.reason, Message: rej.message}
	b.problems = append(b.problems, p)
	if result.Refs == nil {
		result.Refs = &p
	}
}

// routeBackend resolves one backendRef: a Service port of the route's
// namespace, or of another that allows it by a ReferenceGrant, and builds
// its backend if build says so. The rejection's field is relative to the
// backendRef.
func (b *build) routeBackend(route model.Ref, ref gatewayv1.BackendRef, build bool) (string, *rejection) {
	if deref(ref.Group) != "" || deref(ref.Kind) != "" && deref(ref.Kind) != KindService {
		return "", &rejection{reason: reason.UnsupportedBackend,
			message: fmt.Sprintf("backendRef of group %q kind %q: only Services are supported", deref(ref.Group), deref(ref.Kind))}
	}
	if ref.Port == nil {
		return "", &rejection{field: ".port", reason: reason.ServicePortNotFound, message: "a Service backendRef needs a port"}
	}
	namespace := route.Namespace
	if ref.Namespace != nil && string(*ref.Namespace) != namespace {
		namespace = string(*ref.Namespace)
		if !b.granted(KindHTTPRoute, route.Namespace, KindService, model.Ref{Namespace: namespace, Name: string(ref.Name)}) {
			return "", &rejection{field: ".namespace", reason: reason.RefNotPermitted, message: fmt.Sprintf(
				"no ReferenceGrant of namespace %s allows HTTPRoutes of %s to use Service %s", namespace, route.Namespace, ref.Name)}
		}
	}
	be := networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
		Name: string(ref.Name), Port: networkingv1.ServiceBackendPort{Number: int32(*ref.Port)}}}
	var name string
	var rej *rejection
	if build {
		name, rej = b.backends.ingressBackend(namespace, be)
	} else {
		rej = b.backends.ingressServicePort(namespace, be).rej
	}
	if rej != nil {
		rej.field = ""
	}
	return name, rej
}

// granted reports whether a ReferenceGrant of target's namespace allows
// objects of the Gateway API kind fromKind in namespace from to use
// target, a core object of kind toKind (Service, Secret).
func (b *build) granted(fromKind, from, toKind string, target model.Ref) bool {
	return slices.ContainsFunc(b.snap.ReferenceGrants, func(g *gatewayv1.ReferenceGrant) bool {
		return g.Namespace == target.Namespace &&
			slices.ContainsFunc(g.Spec.From, func(f gatewayv1.ReferenceGrantFrom) bool {
				return f.Group == gatewayGroup && string(f.Kind) == fromKind && string(f.Namespace) == from
			}) &&
			slices.ContainsFunc(g.Spec.To, func(t gatewayv1.ReferenceGrantTo) bool {
				return t.Group == "" && string(t.Kind) == toKind && (t.Name == nil || string(*t.Name) == target.Name)
			})
	})
}
