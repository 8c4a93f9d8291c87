package status

import (
	"context"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/source"
)

// GatewayServices, with --gateway-service=per-gateway, has the leader keep
// one Service per Gateway served on ports of its own, in archway's
// namespace: it exposes the Gateway's listener ports on the nginx ports
// that Build gave them, and its addresses are the Gateway's. Owner
// references cannot cross namespaces, so the Services carry labels and
// annotations that name their Gateway (builder.GatewayServiceLabel), and a
// pass deletes those whose Gateway has no ports any more.
type GatewayServices struct {
	Client kubernetes.Interface
	// Namespace is archway's own, where the Services are.
	Namespace string
	// Selector selects archway's pods.
	Selector map[string]string
	// Type is the Services' type: LoadBalancer, or ClusterIP where
	// something else routes to them.
	Type corev1.ServiceType
}

// sync creates, updates and deletes the Services of the Gateways of
// ports, and returns each Gateway's current Service and how many writes
// failed.
func (s *GatewayServices) sync(ctx context.Context, controller string, snap source.Snapshot, ports []model.GatewayPorts) (map[model.Ref]*corev1.Service, int) {
	current := map[model.Ref]*corev1.Service{}
	for _, svc := range snap.Services {
		if ref, ok := builder.GatewayOfService(svc, s.Namespace, controller); ok {
			current[ref] = svc
		}
	}
	services := s.Client.CoreV1().Services(s.Namespace)
	out := map[model.Ref]*corev1.Service{}
	failed := 0
	for _, g := range ports {
		want := s.service(controller, g)
		have, ok := current[g.Gateway]
		delete(current, g.Gateway)
		var err error
		switch {
		case !ok:
			have, err = services.Create(ctx, want, metav1.CreateOptions{})
			if apierrors.IsAlreadyExists(err) {
				continue // the snapshot will show it, and start another pass
			}
		case !sameSpec(have, want):
			next := have.DeepCopy()
			next.Spec.Type, next.Spec.Selector, next.Spec.Ports = want.Spec.Type, want.Spec.Selector, keepNodePorts(want.Spec.Ports, have.Spec.Ports)
			have, err = services.Update(ctx, next, metav1.UpdateOptions{})
		}
		if err != nil {
			failed++
			continue
		}
		out[g.Gateway] = have
	}
	for _, svc := range current {
		if err := services.Delete(ctx, svc.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			failed++
		}
	}
	return out, failed
}

// service is the Service that g should have.
func (s *GatewayServices) service(controller string, g model.GatewayPorts) *corev1.Service {
	name := builder.GatewayServiceName(g.Gateway)
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.Namespace,
			Labels: map[string]string{builder.GatewayServiceLabel: name},
			Annotations: map[string]string{builder.GatewayAnnotation: g.Gateway.String(),
				builder.GatewayControllerAnnotation: controller}},
		Spec: corev1.ServiceSpec{Type: s.Type, Selector: maps.Clone(s.Selector)},
	}
	for _, p := range g.Ports {
		svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{Name: fmt.Sprintf("port-%d", p.Port), Protocol: corev1.ProtocolTCP,
			Port: p.Port, TargetPort: intstr.FromInt32(p.Target)})
	}
	return svc
}

// sameSpec says whether have already has what want asks (the API server
// fills in the rest: cluster IPs, node ports).
func sameSpec(have, want *corev1.Service) bool {
	return have.Spec.Type == want.Spec.Type && maps.Equal(have.Spec.Selector, want.Spec.Selector) &&
		slices.EqualFunc(have.Spec.Ports, want.Spec.Ports, func(a, b corev1.ServicePort) bool {
			return a.Name == b.Name && a.Port == b.Port && a.TargetPort == b.TargetPort && a.Protocol == b.Protocol
		})
}

// keepNodePorts gives the ports of want the node ports that have's ports
// of the same number were given, so that an update moves none.
func keepNodePorts(want, have []corev1.ServicePort) []corev1.ServicePort {
	for i := range want {
		if k := slices.IndexFunc(have, func(p corev1.ServicePort) bool { return p.Port == want[i].Port }); k >= 0 {
			want[i].NodePort = have[k].NodePort
		}
	}
	return want
}

// gatewayAddresses are the addresses of a Gateway's Service, none while
// it has none.
func gatewayAddresses(svc *corev1.Service) []networkingv1.IngressLoadBalancerIngress {
	if svc == nil {
		return nil
	}
	return serviceAddresses(svc)
}
