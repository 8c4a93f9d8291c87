package builder

import (
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// canaryIngress is a canary Ingress waiting for every main route to be
// known: a canary may be older than its main Ingress.
type canaryIngress struct {
	ing *networkingv1.Ingress
	pol ingressPolicy
}

// addCanaries attaches the paths of every canary Ingress, oldest first,
// to the main routes of its namespace that they share host, path and
// pathType with. Only the
// canary's backend is used: its TLS, default backend and other
// annotations are the main Ingress's business.
func (b *build) addCanaries() {
	for _, c := range b.canaries {
		ref := model.Ref{Namespace: c.ing.Namespace, Name: c.ing.Name}
		if c.pol.blocked {
			b.problems.add(KindIngress, ref, annotationsField, reason.InvalidAnnotation,
				"the canary is not used, since some of its annotations are invalid")
			continue
		}
		b.eachRule(c.ing, ref, func(host string, rule int, paths []networkingv1.HTTPIngressPath, _ int) {
			for j, path := range paths {
				b.addCanaryPath(ingressOwner(ref), host, pathAt{rule, j}, path, &c.pol)
			}
		})
	}
}

func (b *build) addCanaryPath(ing model.Owner, host string, at pathAt, p networkingv1.HTTPIngressPath, pol *ingressPolicy) {
	path, match, rej := parsePath(p.PathType, p.Path, pol.regex)
	if rej != nil {
		b.reject(ing.Ref, at.field(), rej)
		return
	}
	key := routeKey{host: host, path: path, match: match}
	i, found := b.routes.find(key)
	if found && b.locs[i].Owner.Namespace != ing.Namespace {
		b.problems.add(KindIngress, ing.Ref, at.field(), reason.CanaryWithoutMain,
			fmt.Sprintf("host %q path %q (%s) is routed by another namespace, and a canary attaches only to routes of its own; the canary path is ignored", host, path, match))
		return
	}
	if !found || b.locs[i].Backend == "" {
		b.problems.add(KindIngress, ing.Ref, at.field(), reason.CanaryWithoutMain,
			fmt.Sprintf("no other Ingress serves host %q path %q (%s) with a backend; the canary path is ignored", host, path, match))
		return
	}
	backend, rej := b.backends.ingressBackend(ing.Namespace, p.Backend)
	if rej != nil {
		b.reject(ing.Ref, at.field()+".backend", rej)
		return
	}
	c := pol.canary
	main := &b.locs[i]
	main.Canaries = append(main.Canaries, model.Canary{
		Backend: b.tuned(backend, pol), Owner: ing,
		Weight: c.Weight, WeightTotal: c.WeightTotal,
		Header: c.Header, HeaderValue: c.HeaderValue, HeaderPattern: c.HeaderPattern,
		Cookie: c.Cookie, LegacyAffinity: c.LegacyAffinity,
	})
	b.serve(ing)
}
