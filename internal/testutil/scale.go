package testutil

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/archway-ingress/archway/internal/source"
)

// The class of the Ingresses that ScaleSnapshot makes.
const (
	ScaleIngressClass    = "archway"
	ScaleControllerClass = "archway.dev/ingress-controller"
)

// ScaleSnapshot returns n Ingresses of ScaleIngressClass in 50 namespaces,
// four per host, each with two paths to its own Service of three ready
// endpoints: the shape of the benchmarks at 100 to 10,000 Ingresses.
func ScaleSnapshot(n int) source.Snapshot {
	snap := source.Snapshot{IngressClasses: []*networkingv1.IngressClass{{
		ObjectMeta: metav1.ObjectMeta{Name: ScaleIngressClass},
		Spec:       networkingv1.IngressClassSpec{Controller: ScaleControllerClass},
	}}}
	for i := range n {
		ing, svc, slice := ScaleObjects(i)
		snap.Ingresses = append(snap.Ingresses, ing)
		snap.Services = append(snap.Services, svc)
		snap.EndpointSlices = append(snap.EndpointSlices, slice)
	}
	return snap
}

// ScaleObjects returns the i-th Ingress of ScaleSnapshot, its Service and
// its EndpointSlice.
func ScaleObjects(i int) (*networkingv1.Ingress, *corev1.Service, *discoveryv1.EndpointSlice) {
	class := ScaleIngressClass
	prefix, exact := networkingv1.PathTypePrefix, networkingv1.PathTypeExact
	httpName, port, ready := "http", int32(8080), true
	created := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	meta := metav1.ObjectMeta{
		Namespace:         fmt.Sprintf("team-%d", i%50),
		Name:              fmt.Sprintf("app-%d", i),
		CreationTimestamp: metav1.NewTime(created.Add(time.Duration(i) * time.Second)),
	}
	backend := networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
		Name: meta.Name, Port: networkingv1.ServiceBackendPort{Number: 80},
	}}
	ing := &networkingv1.Ingress{
		ObjectMeta: meta,
		Spec: networkingv1.IngressSpec{
			IngressClassName: &class,
			Rules: []networkingv1.IngressRule{{
				Host: fmt.Sprintf("host-%d.example.com", i/4),
				IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
					Paths: []networkingv1.HTTPIngressPath{
						{Path: fmt.Sprintf("/app-%d/", i), PathType: &prefix, Backend: backend},
						{Path: fmt.Sprintf("/app-%d/health", i), PathType: &exact, Backend: backend},
					},
				}},
			}},
		},
	}
	svc := &corev1.Service{
		ObjectMeta: meta,
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{
			{Name: httpName, Port: 80, TargetPort: intstr.FromInt32(port)},
		}},
	}
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: meta.Namespace, Name: meta.Name + "-1",
			Labels: map[string]string{discoveryv1.LabelServiceName: meta.Name},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: &httpName, Port: &port}},
	}
	for k := range 3 {
		slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{fmt.Sprintf("10.%d.%d.%d", i/256%256, i%256, k+1)},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready},
		})
	}
	return ing, svc, slice
}
