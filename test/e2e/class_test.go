package e2e

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/test/harness"
)

// TestClassSelection runs two instances over the same Ingresses:
// "served" owns the IngressClass named like the namespace; "classless" is
// named like a foreign IngressClass (another controller) and also serves
// Ingresses without a class, in its namespace only. Each Ingress is served
// by the instances the class rules say, and by no other.
func TestClassSelection(t *testing.T) {
	t.Parallel()
	s := env
	ns := s.classNamespace(t)
	class, foreign := ns, s.foreignClass(t, ns)
	web := s.StartBackend(t, "web")
	s.CreateService(t, ns, "web", true, web)

	owner := s.startArchway(t, harness.ArchwayOptions{Class: class})
	classless := s.startArchway(t, harness.ArchwayOptions{Class: foreign, Args: []string{
		"--watch-ingress-without-class", "--watch-namespace=" + ns,
	}})

	ingress := func(name string) *networkingv1.Ingress {
		return harness.NewIngress(ns, name, harness.Route{Host: name + ".example", Path: "/", PathType: networkingv1.PathTypePrefix, Service: "web"})
	}
	// The Ingresses no instance may serve come first: once an instance
	// serves one created later, it has seen them all.
	s.CreateIngress(t, harness.WithClass(ingress("unknown-class"), "no-such-class"))
	s.CreateIngress(t, harness.WithClass(ingress("foreign-class"), foreign))
	byAnnotation := ingress("by-annotation")
	byAnnotation.Annotations = map[string]string{"kubernetes.io/ingress.class": class}
	s.CreateIngress(t, byAnnotation)
	s.CreateIngress(t, ingress("no-class"))
	created := s.CreateIngress(t, harness.WithClass(ingress("by-class"), class))

	first := owner.WaitFor(t, "by-class.example", "/", harness.Served("web"))
	t.Logf("create-to-200 (Ingress created, first 200 through nginx): %s", first.Sub(created))
	classless.WaitFor(t, "no-class.example", "/", harness.Served("web"))

	want := map[string]struct {
		owner, classless harness.Answer
	}{
		"by-class":      {owner: harness.Served("web"), classless: harness.NotFound},
		"by-annotation": {owner: harness.Served("web"), classless: harness.NotFound},
		"no-class":      {owner: harness.NotFound, classless: harness.Served("web")},
		"unknown-class": {owner: harness.NotFound, classless: harness.NotFound},
		"foreign-class": {owner: harness.NotFound, classless: harness.NotFound},
	}
	for name, w := range want {
		t.Run(name, func(t *testing.T) {
			owner.Expect(t, name+".example", "/", w.owner)
			classless.Expect(t, name+".example", "/", w.classless)
		})
	}

	t.Run("moving an Ingress to the class moves its traffic", func(t *testing.T) {
		s.UpdateIngress(t, ns, "no-class", func(ing *networkingv1.Ingress) { harness.WithClass(ing, class) })
		owner.WaitFor(t, "no-class.example", "/", harness.Served("web"))
		classless.WaitFor(t, "no-class.example", "/", harness.NotFound)
	})
}
