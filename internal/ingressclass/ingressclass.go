package ingressclass

import networkingv1 "k8s.io/api/networking/v1"

// LegacyAnnotation is the class annotation that predates spec.ingressClassName.
const LegacyAnnotation = "kubernetes.io/ingress.class"

// Selector describes which Ingresses one instance serves.
type Selector struct {
	// IngressClass is the class name (--ingress-class).
	IngressClass string
	// ControllerClass must equal the IngressClass object's spec.controller
	// (--controller-class).
	ControllerClass string
	// WatchWithoutClass also selects Ingresses that name no class at all
	// (--watch-ingress-without-class).
	WatchWithoutClass bool
}

// Matches reports whether sel selects ing. classes holds the IngressClasses
// by name.
//
// A non-empty spec.ingressClassName decides alone: it must be
// sel.IngressClass, and that IngressClass must exist with spec.controller
// sel.ControllerClass; the legacy annotation is then ignored, as the API
// documents. Without it, a non-empty legacy annotation must equal
// sel.IngressClass (no IngressClass object is needed, as before classes
// existed). With neither, the Ingress matches only when
// sel.WatchWithoutClass is set. Empty values count as absent, so an empty
// class name from a hand-written manifest cannot match an empty selector.
func Matches(ing *networkingv1.Ingress, classes map[string]*networkingv1.IngressClass, sel Selector) bool {
	if name := ing.Spec.IngressClassName; name != nil && *name != "" {
		if *name != sel.IngressClass {
			return false
		}
		class := classes[*name]
		return class != nil && class.Spec.Controller == sel.ControllerClass
	}
	if legacy := ing.Annotations[LegacyAnnotation]; legacy != "" {
		return legacy == sel.IngressClass
	}
	return sel.WatchWithoutClass
}
