package builder

import (
	"fmt"
	"slices"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// Limits bound what one Ingress, and the Ingresses of one namespace, may
// add to the nginx that every tenant shares: each path and host costs
// nginx memory and time on every reload. Zero means no limit.
type Limits struct {
	PathsPerIngress   int
	PathsPerNamespace int
	HostsPerNamespace int
}

// namespaceUsage is what the Ingresses of one namespace admitted so far
// hold.
type namespaceUsage struct {
	paths int
	hosts map[string]bool
}

// withinLimits returns the Ingresses of ings (oldest first) that fit the
// limits, in the same order. An Ingress over a limit is refused whole and
// reported; a namespace's budget goes to its oldest Ingresses, so a new
// Ingress can never push out one that serves.
func (b *build) withinLimits(ings []*networkingv1.Ingress, l Limits) []*networkingv1.Ingress {
	if l == (Limits{}) {
		return ings
	}
	used := map[string]*namespaceUsage{}
	kept := ings[:0]
	var fresh []string
	for _, ing := range ings {
		u := used[ing.Namespace]
		if u == nil {
			u = &namespaceUsage{hosts: map[string]bool{}}
			used[ing.Namespace] = u
		}
		paths := 0
		fresh = fresh[:0]
		for _, rule := range ing.Spec.Rules {
			if rule.HTTP == nil || len(rule.HTTP.Paths) == 0 {
				continue
			}
			paths += len(rule.HTTP.Paths)
			if rule.Host != "" && !u.hosts[rule.Host] && !slices.Contains(fresh, rule.Host) {
				fresh = append(fresh, rule.Host)
			}
		}
		if msg := l.exceeded(ing.Namespace, u, paths, len(fresh)); msg != "" {
			b.problems.add(KindIngress, model.Ref{Namespace: ing.Namespace, Name: ing.Name}, "spec.rules",
				reason.LimitExceeded, msg+"; none of this Ingress is served")
			continue
		}
		u.paths += paths
		for _, h := range fresh {
			u.hosts[h] = true
		}
		kept = append(kept, ing)
	}
	return kept
}

// exceeded says which limit an Ingress with paths paths and newHosts hosts
// its namespace does not serve yet would go over, or "".
func (l Limits) exceeded(namespace string, u *namespaceUsage, paths, newHosts int) string {
	switch {
	case l.PathsPerIngress > 0 && paths > l.PathsPerIngress:
		return fmt.Sprintf("it has %d paths, over the limit of %d paths per Ingress", paths, l.PathsPerIngress)
	case l.PathsPerNamespace > 0 && u.paths+paths > l.PathsPerNamespace:
		return fmt.Sprintf("its %d paths would bring namespace %s to %d, over the limit of %d paths per namespace (older Ingresses keep theirs)",
			paths, namespace, u.paths+paths, l.PathsPerNamespace)
	case l.HostsPerNamespace > 0 && len(u.hosts)+newHosts > l.HostsPerNamespace:
		return fmt.Sprintf("its %d new hosts would bring namespace %s to %d, over the limit of %d hosts per namespace (older Ingresses keep theirs)",
			newHosts, namespace, len(u.hosts)+newHosts, l.HostsPerNamespace)
	}
	return ""
}
