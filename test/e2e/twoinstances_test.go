package e2e

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/test/harness"
)

// TestTwoInstances runs an external and an internal instance side by side,
// each with its own IngressClass and controller value, ports, Lease and
// published address. Each Ingress is served by exactly one of them and
// carries only that one's address; moving an Ingress to the other class
// moves its traffic and its status.
func TestTwoInstances(t *testing.T) {
	t.Parallel()
	s := env
	ns := s.NewNamespace(t)
	s.CreateService(t, ns, "app", true, s.StartBackend(t, "app"))
	type instance struct {
		class, controller string
		address           lbAddresses
		*archway
	}
	external := &instance{class: ns + "-external", controller: "archway.dev/external",
		address: lbAddresses{{IP: "198.51.100.10"}, {Hostname: "lb.example.com"}}}
	internal := &instance{class: ns + "-internal", controller: "archway.dev/internal",
		address: lbAddresses{{IP: "10.10.0.10"}}}
	for _, in := range []*instance{external, internal} {
		s.CreateIngressClass(t, in.class, in.controller)
		addresses := ""
		for _, a := range in.address {
			addresses += "," + a.IP + a.Hostname
		}
		in.archway = s.startArchway(t, harness.ArchwayOptions{Class: in.class, Controller: in.controller,
			Args: []string{"--publish-status-address=" + addresses[1:]}})
	}
	// Each instance must answer for its own Ingresses only, and the other
	// one 404.
	servedBy := func(host string, owner, other *instance) {
		t.Helper()
		owner.WaitFor(t, host, "/", harness.Served("app"))
		other.WaitFor(t, host, "/", harness.NotFound)
	}

	s.CreateIngress(t, hostIngress(ns, "shop", external.class, "app"))
	s.CreateIngress(t, hostIngress(ns, "admin", internal.class, "app"))
	servedBy("shop.example", external, internal)
	servedBy("admin.example", internal, external)
	s.waitStatus(t, ns, "shop", external.address)
	s.waitStatus(t, ns, "admin", internal.address)

	t.Run("external to internal", func(t *testing.T) {
		s.UpdateIngress(t, ns, "shop", func(ing *networkingv1.Ingress) { harness.WithClass(ing, internal.class) })
		servedBy("shop.example", internal, external)
		s.waitStatus(t, ns, "shop", internal.address)
	})
	t.Run("internal to external", func(t *testing.T) {
		s.UpdateIngress(t, ns, "admin", func(ing *networkingv1.Ingress) { harness.WithClass(ing, external.class) })
		servedBy("admin.example", external, internal)
		s.waitStatus(t, ns, "admin", external.address)
	})
	// Neither instance rewrites what the other published, in the passes
	// that write new Ingresses.
	shop, admin := s.getIngress(t, ns, "shop"), s.getIngress(t, ns, "admin")
	s.CreateIngress(t, hostIngress(ns, "later-internal", internal.class, "app"))
	s.CreateIngress(t, hostIngress(ns, "later-external", external.class, "app"))
	servedBy("later-internal.example", internal, external)
	servedBy("later-external.example", external, internal)
	s.waitStatus(t, ns, "later-internal", internal.address)
	s.waitStatus(t, ns, "later-external", external.address)
	s.requireUntouched(t, shop)
	s.requireUntouched(t, admin)
}
