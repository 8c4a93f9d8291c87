package e2e

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/test/harness"
)

// ingressNginxController is the spec.controller of ingress-nginx's
// IngressClass, which the "old" instance of these tests stands in for.
const ingressNginxController = "k8s.io/ingress-nginx"

// migrating is one controller of a migration rehearsal: the old one
// (ingress-nginx's stand-in) or the new one.
type migrating struct {
	class, controller string
	address           lbAddresses // its load balancer, published in status
	*archway
}

// start (re)starts the instance with more flags, as a helm upgrade of its
// release would.
func (m *migrating) start(t *testing.T, args ...string) {
	t.Helper()
	if m.archway != nil {
		m.Stop(t)
	}
	args = append(args, "--publish-status-address="+m.address[0].IP)
	m.archway = env.startArchway(t, harness.ArchwayOptions{Class: m.class, Controller: m.controller, Args: args})
}

// servedOnlyBy waits until owner serves host and other answers 404.
func servedOnlyBy(t *testing.T, host string, owner, other *migrating) {
	t.Helper()
	owner.WaitFor(t, host, "/", harness.Served("app"))
	other.WaitFor(t, host, "/", harness.NotFound)
}

// servedByBoth waits until both serve host.
func servedByBoth(t *testing.T, host string, a, b *migrating) {
	t.Helper()
	a.WaitFor(t, host, "/", harness.Served("app"))
	b.WaitFor(t, host, "/", harness.Served("app"))
}

// TestMigrationOneByOne rehearses the first strategy of
// docs/migrating-from-ingress-nginx.md: archway installed beside the old
// controller with a class of its own, Ingresses moved one at a time by
// their spec.ingressClassName, each one's status (and so ExternalDNS's
// record) following it, and a move rolled back the same way.
func TestMigrationOneByOne(t *testing.T) {
	t.Parallel()
	s := env
	ns := s.NewNamespace(t)
	s.CreateService(t, ns, "app", true, s.StartBackend(t, "app"))
	old := &migrating{class: ns + "-nginx", controller: ingressNginxController, address: lbAddresses{{IP: "192.0.2.110"}}}
	next := &migrating{class: ns + "-archway", controller: harness.ControllerClass, address: lbAddresses{{IP: "192.0.2.120"}}}
	for _, m := range []*migrating{old, next} {
		s.CreateIngressClass(t, m.class, m.controller)
		m.start(t)
	}
	for _, name := range []string{"shop", "blog"} {
		s.CreateIngress(t, hostIngress(ns, name, old.class, "app"))
		servedOnlyBy(t, name+".example", old, next)
		s.waitStatus(t, ns, name, old.address)
	}

	moveTo := func(name string, to *migrating) {
		s.UpdateIngress(t, ns, name, func(ing *networkingv1.Ingress) { harness.WithClass(ing, to.class) })
	}
	t.Run("move one Ingress", func(t *testing.T) {
		blog := s.getIngress(t, ns, "blog")
		moveTo("shop", next)
		servedOnlyBy(t, "shop.example", next, old)
		s.waitStatus(t, ns, "shop", next.address)
		servedOnlyBy(t, "blog.example", old, next)
		s.requireUntouched(t, blog)
	})
	t.Run("roll it back", func(t *testing.T) {
		moveTo("shop", old)
		servedOnlyBy(t, "shop.example", old, next)
		s.waitStatus(t, ns, "shop", old.address)
	})
	t.Run("move them all, then retire the old controller", func(t *testing.T) {
		for _, name := range []string{"shop", "blog"} {
			moveTo(name, next)
			servedOnlyBy(t, name+".example", next, old)
			s.waitStatus(t, ns, name, next.address)
		}
		old.Stop(t)
		next.Expect(t, "shop.example", "/", harness.Served("app"))
	})
}

// TestMigrationClassTakeover rehearses the second strategy: archway
// installed with the old controller's class name and controller value,
// and without writing status, serves the same Ingresses, unchanged, beside
// it (both answer: compare them); the cut-over hands the status (so DNS)
// to archway; the old controller is retired; and a rollback starts it
// again and hands the status back.
func TestMigrationClassTakeover(t *testing.T) {
	t.Parallel()
	s := env
	ns := s.NewNamespace(t)
	s.CreateService(t, ns, "app", true, s.StartBackend(t, "app"))
	class := ns + "-nginx"
	s.CreateIngressClass(t, class, ingressNginxController)
	// Addresses of their own: an instance removes its address from the
	// status of Ingresses it does not serve, other tests' too.
	old := &migrating{class: class, controller: ingressNginxController, address: lbAddresses{{IP: "192.0.2.130"}}}
	next := &migrating{class: class, controller: ingressNginxController, address: lbAddresses{{IP: "192.0.2.140"}}}
	old.start(t)
	s.CreateIngress(t, hostIngress(ns, "shop", class, "app"))
	legacy := hostIngress(ns, "legacy", "", "app")
	legacy.Spec.IngressClassName = nil
	legacy.Annotations = map[string]string{"kubernetes.io/ingress.class": class}
	s.CreateIngress(t, legacy)
	hosts := map[string]string{"shop": "shop.example", "legacy": "legacy.example"}
	for name, host := range hosts {
		old.WaitFor(t, host, "/", harness.Served("app"))
		s.waitStatus(t, ns, name, old.address)
	}

	// The steps restart instances, which must outlive each step: no subtests.
	// Install beside, without status: both serve, nothing is written.
	next.start(t, "--update-status=false")
	before := map[string]*networkingv1.Ingress{}
	for name, host := range hosts {
		before[name] = s.getIngress(t, ns, name)
		servedByBoth(t, host, old, next)
	}
	for _, ing := range before {
		s.requireUntouched(t, ing)
	}

	// Cut over: the status, and so DNS, goes to archway.
	old.start(t, "--update-status=false")
	next.start(t)
	for name, host := range hosts {
		s.waitStatus(t, ns, name, next.address)
		servedByBoth(t, host, old, next)
	}

	// Retire the old controller.
	old.Stop(t)
	old.archway = nil
	for _, host := range hosts {
		next.Expect(t, host, "/", harness.Served("app"))
	}

	// Roll back: the old controller again, with the status.
	next.start(t, "--update-status=false")
	old.start(t)
	for name, host := range hosts {
		s.waitStatus(t, ns, name, old.address)
		servedByBoth(t, host, old, next)
	}
}
