package builder

import (
	"fmt"
	"slices"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/ingressclass"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// selectIngresses returns this instance's Ingresses, oldest first. Ingresses
// of other classes are left out without a word: they are not ours to judge.
func (b *build) selectIngresses(all []*networkingv1.Ingress, classes map[string]*networkingv1.IngressClass, sel ingressclass.Selector) []*networkingv1.Ingress {
	var mine []*networkingv1.Ingress
	for _, ing := range all {
		if ingressclass.Matches(ing, classes, sel) {
			mine = append(mine, ing)
		}
	}
	byRef, dups := index(mine, func(ing *networkingv1.Ingress) model.Ref {
		return model.Ref{Namespace: ing.Namespace, Name: ing.Name}
	})
	for ref, n := range dups {
		b.problems.add(KindIngress, ref, "", reason.DuplicateObject,
			fmt.Sprintf("%d Ingresses are named %s; none of them is served", n, ref))
	}
	// In input order, not the map's: the sort below is then a pass when
	// the input is oldest first already.
	selected := make([]*networkingv1.Ingress, 0, len(byRef))
	for _, ing := range mine {
		ref := model.Ref{Namespace: ing.Namespace, Name: ing.Name}
		if dups[ref] > 0 {
			continue
		}
		if err := checkRef(ref.Namespace, ref.Name); err != nil {
			b.problems.add(KindIngress, ref, "metadata", reason.InvalidName, err.Error())
			continue
		}
		selected = append(selected, ing)
	}
	slices.SortFunc(selected, olderFirst)
	return selected
}

// indexClasses maps IngressClasses by name. A name held twice is reported
// when it is this instance's class, and then matches nothing.
func (b *build) indexClasses(all []*networkingv1.IngressClass, mine string) map[string]*networkingv1.IngressClass {
	byName, dups := index(all, func(c *networkingv1.IngressClass) string { return c.Name })
	if n := dups[mine]; n > 0 {
		b.problems.add(KindIngressClass, model.Ref{Name: mine}, "", reason.DuplicateObject,
			fmt.Sprintf("%d IngressClasses are named %s; no Ingress of this class is served", n, mine))
	}
	return byName
}

// index maps objects by key. A key held by more than one object is left out
// of the map and counted in dups instead: which copy is meant cannot be
// known (only a folder of manifests can hold both), and picking one by input
// order would make Build depend on that order.
func index[T any, K comparable](objs []T, key func(T) K) (byKey map[K]T, dups map[K]int) {
	byKey = make(map[K]T, len(objs))
	dups = map[K]int{}
	for _, obj := range objs {
		k := key(obj)
		if dups[k] > 0 {
			dups[k]++
			continue
		}
		if _, ok := byKey[k]; ok {
			delete(byKey, k)
			dups[k] = 2
			continue
		}
		byKey[k] = obj
	}
	return byKey, dups
}
