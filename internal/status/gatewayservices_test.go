package status

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayfake "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned/fake"

	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/source"
)

// gatewayService is a Service as archway wrote it for gw, of controller,
// whose listener port 80 targets target.
func gatewayService(gw model.Ref, controller string, target int32) *corev1.Service {
	s := (&GatewayServices{Namespace: "archway", Selector: map[string]string{"app": "archway"}, Type: corev1.ServiceTypeClusterIP}).
		service(controller, model.GatewayPorts{Gateway: gw, Ports: []model.GatewayPort{{Port: 80, Target: target}}})
	s.Spec.ClusterIP = "10.96.0.7"
	s.Spec.Ports[0].NodePort = 30080
	return s
}

// TestGatewayServices: the leader creates the Service of a new Gateway,
// updates one whose ports moved (keeping what the API server filled in),
// deletes the Service of a Gateway gone, and leaves other controllers'
// Services alone; the Gateway's addresses are its Service's.
func TestGatewayServices(t *testing.T) {
	a, b, gone := model.Ref{Namespace: "web", Name: "a"}, model.Ref{Namespace: "web", Name: "b"}, model.Ref{Namespace: "web", Name: "gone"}
	theirs := gatewayService(b, "example.com/other", 9000)
	theirs.Name = "theirs"
	existing := []*corev1.Service{gatewayService(a, controllerName, 10005), gatewayService(gone, controllerName, 10001), theirs}
	client := fake.NewClientset()
	for _, s := range existing {
		_, err := client.CoreV1().Services("archway").Create(t.Context(), s, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	s := &GatewayServices{Client: client, Namespace: "archway", Selector: map[string]string{"app": "archway"}, Type: corev1.ServiceTypeClusterIP}
	ports := []model.GatewayPorts{
		{Gateway: a, Ports: []model.GatewayPort{{Port: 80, Target: 10000}, {Port: 443, Target: 10002, TLS: true}}},
		{Gateway: b, Ports: []model.GatewayPort{{Port: 80, Target: 10001}}},
	}
	services, failed := s.sync(t.Context(), controllerName, source.Snapshot{Services: existing}, ports)
	require.Zero(t, failed)
	require.Len(t, services, 2)

	list, err := client.CoreV1().Services("archway").List(t.Context(), metav1.ListOptions{})
	require.NoError(t, err)
	byName := map[string]corev1.Service{}
	for _, svc := range list.Items {
		byName[svc.Name] = svc
	}
	require.Len(t, byName, 3, "the gone Gateway's Service is deleted")
	require.Contains(t, byName, "theirs")
	updated := byName[builder.GatewayServiceName(a)]
	require.Equal(t, []corev1.ServicePort{
		{Name: "port-80", Protocol: corev1.ProtocolTCP, Port: 80, TargetPort: intstr.FromInt32(10000), NodePort: 30080},
		{Name: "port-443", Protocol: corev1.ProtocolTCP, Port: 443, TargetPort: intstr.FromInt32(10002)},
	}, updated.Spec.Ports)
	require.Equal(t, "10.96.0.7", updated.Spec.ClusterIP)
	created := byName[builder.GatewayServiceName(b)]
	require.Equal(t, map[string]string{"app": "archway"}, created.Spec.Selector)
	require.Equal(t, "web/b", created.Annotations[builder.GatewayAnnotation])
	require.Equal(t, intstr.FromInt32(10001), created.Spec.Ports[0].TargetPort)

	require.Equal(t, []networkingv1.IngressLoadBalancerIngress{{IP: "10.96.0.7"}}, gatewayAddresses(services[a]))
	require.Nil(t, gatewayAddresses(nil))

	// A second pass over what the first left writes nothing.
	var snap source.Snapshot
	for _, svc := range list.Items {
		snap.Services = append(snap.Services, &svc)
	}
	client.ClearActions()
	_, failed = s.sync(t.Context(), controllerName, snap, ports)
	require.Zero(t, failed)
	require.Empty(t, client.Actions())
}

// TestGatewayServicesWithoutStatus: the Gateways' Services carry their
// traffic, so archway keeps them without publish settings, and with
// --update-status=false, where it writes no status: neither the served
// Ingress's (whose address someone else may keep) nor the Gateway's.
func TestGatewayServicesWithoutStatus(t *testing.T) {
	for name, updateStatus := range map[string]bool{"no publish settings": true, "--update-status=false": false} {
		t.Run(name, func(t *testing.T) {
			gw := model.Ref{Namespace: "web", Name: "gw"}
			client := fake.NewClientset(ingress("a", lbi{IP: "192.0.2.9"}))
			gateways := gatewayfake.NewSimpleClientset()
			require.NoError(t, gateways.Tracker().Create(gatewayv1.Resource("gateways").WithVersion("v1"),
				&gatewayv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: gw.Namespace, Name: gw.Name}}, gw.Namespace))
			p, err := New(Options{Client: client, UpdateStatus: updateStatus, Election: fastElection(client, "a"), Gateway: GatewayOptions{Client: gateways, Controller: controllerName,
				Services: &GatewayServices{Client: client, Namespace: "archway", Selector: map[string]string{"app": "archway"}, Type: corev1.ServiceTypeClusterIP}}})
			require.NoError(t, err)
			require.NotNil(t, p.writer)
			p.writer.SetLeader(true)
			report := served("a")
			report.Gateway = builder.GatewayReport{Gateways: []builder.GatewayResult{{Ref: gw, Listeners: []builder.ListenerResult{{Name: "http", Served: true}}}},
				Ports: []model.GatewayPorts{{Gateway: gw, Ports: []model.GatewayPort{{Port: 80, Target: 10000}}}}}
			snap := snapshot(t, client)
			snap.Gateways = gatewaySnapshot(t, gateways).Gateways
			p.writer.Synced(snap, report)
			require.True(t, p.writer.pass(t.Context()))

			_, err = client.CoreV1().Services("archway").Get(t.Context(), builder.GatewayServiceName(gw), metav1.GetOptions{})
			require.NoError(t, err, "the Gateway's Service is kept")
			require.Empty(t, statusUpdates(client))
			require.Equal(t, []lbi{{IP: "192.0.2.9"}}, statusOf(t, client, "a"))
			written, err := gateways.GatewayV1().Gateways(gw.Namespace).Get(t.Context(), gw.Name, metav1.GetOptions{})
			require.NoError(t, err)
			require.Equal(t, updateStatus, len(written.Status.Conditions) > 0, "the Gateway's status is written with --update-status only")
		})
	}
}

// TestGatewayAddressNotAssigned: while the LoadBalancer Service of a
// Gateway has no address, the Gateway is not Programmed (the spec's
// AddressNotAssigned) though its listeners are; once the load balancer has
// one, the Gateway is Programmed with that address.
func TestGatewayAddressNotAssigned(t *testing.T) {
	gw := model.Ref{Namespace: "web", Name: "gw"}
	client := fake.NewClientset()
	gateways := gatewayfake.NewSimpleClientset()
	require.NoError(t, gateways.Tracker().Create(gatewayv1.Resource("gateways").WithVersion("v1"),
		&gatewayv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: gw.Namespace, Name: gw.Name}}, gw.Namespace))
	writer := gatewayStatus{GatewayOptions{Client: gateways, Controller: controllerName,
		Services: &GatewayServices{Client: client, Namespace: "archway", Selector: map[string]string{"app": "archway"}, Type: corev1.ServiceTypeLoadBalancer}}}
	report := builder.GatewayReport{Gateways: []builder.GatewayResult{{Ref: gw, Listeners: []builder.ListenerResult{{Name: "http", Served: true}}}},
		Ports: []model.GatewayPorts{{Gateway: gw, Ports: []model.GatewayPort{{Port: 80, Target: 10000}}}}}
	pass := func() *gatewayv1.Gateway {
		t.Helper()
		snap := gatewaySnapshot(t, gateways)
		services, err := client.CoreV1().Services("archway").List(t.Context(), metav1.ListOptions{})
		require.NoError(t, err)
		for i := range services.Items {
			snap.Services = append(snap.Services, &services.Items[i])
		}
		require.Zero(t, writer.write(t.Context(), snap, report, nil, true))
		written, err := gateways.GatewayV1().Gateways(gw.Namespace).Get(t.Context(), gw.Name, metav1.GetOptions{})
		require.NoError(t, err)
		return written
	}

	pending := pass()
	require.Empty(t, pending.Status.Addresses)
	programmed := meta.FindStatusCondition(pending.Status.Conditions, "Programmed")
	require.Equal(t, metav1.ConditionFalse, programmed.Status)
	require.Equal(t, "AddressNotAssigned", programmed.Reason)
	require.True(t, meta.IsStatusConditionTrue(pending.Status.Conditions, "Accepted"))
	require.True(t, meta.IsStatusConditionTrue(pending.Status.Listeners[0].Conditions, "Programmed"), "nginx serves the listener")

	svc, err := client.CoreV1().Services("archway").Get(t.Context(), builder.GatewayServiceName(gw), metav1.GetOptions{})
	require.NoError(t, err)
	svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "192.0.2.20"}}
	_, err = client.CoreV1().Services("archway").UpdateStatus(t.Context(), svc, metav1.UpdateOptions{})
	require.NoError(t, err)
	assigned := pass()
	require.Equal(t, []gatewayv1.GatewayStatusAddress{{Type: ptr.To(gatewayv1.IPAddressType), Value: "192.0.2.20"}}, assigned.Status.Addresses)
	programmed = meta.FindStatusCondition(assigned.Status.Conditions, "Programmed")
	require.Equal(t, metav1.ConditionTrue, programmed.Status)
	require.Equal(t, "Programmed", programmed.Reason)
}
