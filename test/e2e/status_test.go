package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/archway-ingress/archway/test/harness"
)

// TestStatusPublishAddresses writes --publish-status-address into the
// status of every served Ingress (IPs as .ip, names as .hostname), removes
// it from an Ingress moved to another class and from one whose rules no
// longer serve anything, and never touches another controller's Ingress.
func TestStatusPublishAddresses(t *testing.T) {
	t.Parallel()
	s := env
	ns := s.classNamespace(t)
	class, foreign := ns, s.foreignClass(t, ns)
	s.CreateService(t, ns, "app", true, s.StartBackend(t, "app"))

	s.CreateIngress(t, hostIngress(ns, "foreign", foreign, "app"))
	sentinel := s.setIngressStatus(t, ns, "foreign", lbAddresses{{IP: "192.0.2.99"}, {Hostname: "other-lb.example.net"}})

	a := s.startArchway(t, harness.ArchwayOptions{Class: class, Args: []string{"--publish-status-address=lb.example.net,192.0.2.10"}})
	ours := lbAddresses{{IP: "192.0.2.10"}, {Hostname: "lb.example.net"}}
	names := []string{"web", "moved", "emptied"}
	for _, name := range names {
		s.CreateIngress(t, hostIngress(ns, name, class, "app"))
	}
	for _, name := range names {
		a.WaitFor(t, name+".example", "/", harness.Served("app"))
		s.waitStatus(t, ns, name, ours)
	}
	web := s.getIngress(t, ns, "web")

	s.UpdateIngress(t, ns, "moved", func(ing *networkingv1.Ingress) { harness.WithClass(ing, foreign) })
	// A host without paths routes nothing.
	s.UpdateIngress(t, ns, "emptied", func(ing *networkingv1.Ingress) {
		ing.Spec.Rules = []networkingv1.IngressRule{{Host: "emptied.example"}}
	})
	for _, name := range []string{"moved", "emptied"} {
		a.WaitFor(t, name+".example", "/", harness.NotFound)
		s.waitStatus(t, ns, name, nil)
	}

	// Statuses that were right are not written again.
	s.requireUntouched(t, web)
	s.requireUntouched(t, sentinel)
}

// TestStatusPublishService follows --publish-service through the life of
// the Service: its cluster IP, then its external IP, then, as a
// LoadBalancer, its load balancer's IP and hostname, and a new load
// balancer address, on every served Ingress and on no other.
func TestStatusPublishService(t *testing.T) {
	t.Parallel()
	s := env
	ns := s.classNamespace(t)
	class, foreign := ns, s.foreignClass(t, ns)
	s.CreateService(t, ns, "app", true, s.StartBackend(t, "app"))
	services := s.Cluster.Admin.CoreV1().Services(ns)
	published, err := services.Create(t.Context(), &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "archway"},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{
			Name: "http", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(80),
		}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	require.NotEmpty(t, published.Spec.ClusterIP)

	s.CreateIngress(t, hostIngress(ns, "foreign", foreign, "app"))
	sentinel := s.setIngressStatus(t, ns, "foreign", lbAddresses{{IP: "192.0.2.99"}})

	a := s.startArchway(t, harness.ArchwayOptions{Class: class, Args: []string{"--publish-service=" + ns + "/archway"}})
	names := []string{"one", "two"}
	for _, name := range names {
		s.CreateIngress(t, hostIngress(ns, name, class, "app"))
	}
	a.WaitFor(t, "two.example", "/", harness.Served("app"))
	waitAll := func(want lbAddresses) {
		t.Helper()
		for _, name := range names {
			s.waitStatus(t, ns, name, want)
		}
	}
	waitAll(lbAddresses{{IP: published.Spec.ClusterIP}})

	updateService := func(change func(*corev1.Service)) {
		t.Helper()
		svc, err := services.Get(t.Context(), "archway", metav1.GetOptions{})
		require.NoError(t, err)
		change(svc)
		_, err = services.Update(t.Context(), svc, metav1.UpdateOptions{})
		require.NoError(t, err)
	}
	setLoadBalancer := func(lb ...corev1.LoadBalancerIngress) {
		t.Helper()
		svc, err := services.Get(t.Context(), "archway", metav1.GetOptions{})
		require.NoError(t, err)
		svc.Status.LoadBalancer.Ingress = lb
		_, err = services.UpdateStatus(t.Context(), svc, metav1.UpdateOptions{})
		require.NoError(t, err)
	}

	updateService(func(svc *corev1.Service) { svc.Spec.ExternalIPs = []string{"198.51.100.20"} })
	waitAll(lbAddresses{{IP: "198.51.100.20"}})

	updateService(func(svc *corev1.Service) { svc.Spec.Type = corev1.ServiceTypeLoadBalancer })
	setLoadBalancer(corev1.LoadBalancerIngress{IP: "203.0.113.7"}, corev1.LoadBalancerIngress{Hostname: "lb-1.example.net"})
	waitAll(lbAddresses{{IP: "203.0.113.7"}, {Hostname: "lb-1.example.net"}})

	setLoadBalancer(corev1.LoadBalancerIngress{IP: "203.0.113.8", Hostname: "lb-2.example.net"})
	waitAll(lbAddresses{{IP: "203.0.113.8", Hostname: "lb-2.example.net"}})

	s.requireUntouched(t, sentinel)
}

// TestStatusUpdateDisabled runs a leader with --update-status=false: it
// serves and reports problems as Events, and writes no Ingress status.
func TestStatusUpdateDisabled(t *testing.T) {
	t.Parallel()
	s := env
	ns := s.classNamespace(t)
	s.CreateService(t, ns, "app", true, s.StartBackend(t, "app"))
	a := s.startArchway(t, harness.ArchwayOptions{Class: ns, Args: []string{"--update-status=false", "--publish-status-address=192.0.2.10"}})

	ing := hostIngress(ns, "web", ns, "app")
	// The missing Service's Event shows that the leader saw the sync.
	ing.Spec.Rules[0].HTTP.Paths = append(ing.Spec.Rules[0].HTTP.Paths, networkingv1.HTTPIngressPath{
		Path: "/missing", PathType: ing.Spec.Rules[0].HTTP.Paths[0].PathType, Backend: harness.ServiceBackend("missing", 0, ""),
	})
	s.CreateIngress(t, ing)
	a.WaitFor(t, "web.example", "/", harness.Served("app"))
	require.NoError(t, harness.Eventually(20*time.Second, 50*time.Millisecond, func() error {
		events, err := s.ingressEvents(t.Context(), ns, "web")
		if err != nil || len(events) == 0 {
			return fmt.Errorf("no Event yet (%v)", err)
		}
		return nil
	}))
	leads, err := a.leads()
	require.NoError(t, err)
	require.True(t, leads, "archway is not the leader, so the test shows nothing")
	before := s.getIngress(t, ns, "web")
	// Long enough for the status writer's pass, had it one.
	time.Sleep(2 * time.Second)
	s.requireUntouched(t, before)
	require.Empty(t, before.Status.LoadBalancer.Ingress)
}
