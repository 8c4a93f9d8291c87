package build

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/archway-ingress/archway/internal/source"
)

func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{100, 1_000, 10_000} {
		b.Run(fmt.Sprintf("ingresses=%d", n), func(b *testing.B) {
			snap := generated(n)
			config, report := Build(snap, defaultOpts())
			// Measure the real path, not an error path.
			require.Empty(b, report.Problems)
			require.Len(b, report.Served, n)
			require.Len(b, config.Backends, n)
			b.ReportAllocs()
			for b.Loop() {
				Build(snap, defaultOpts())
			}
		})
	}
}

// generated returns n Ingresses of this instance in 50 namespaces, four per
// host, each with two paths to its own Service of three ready endpoints.
func generated(n int) source.Snapshot {
	snap := source.Snapshot{IngressClasses: []*networkingv1.IngressClass{{
		ObjectMeta: metav1.ObjectMeta{Name: "archway"},
		Spec:       networkingv1.IngressClassSpec{Controller: defaultOpts().ControllerClass},
	}}}
	class := "archway"
	prefix, exact := networkingv1.PathTypePrefix, networkingv1.PathTypeExact
	httpName, port, ready := "http", int32(8080), true
	created := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		meta := metav1.ObjectMeta{
			Namespace:         fmt.Sprintf("team-%d", i%50),
			Name:              fmt.Sprintf("app-%d", i),
			CreationTimestamp: metav1.NewTime(created.Add(time.Duration(i) * time.Second)),
		}
		backend := networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
			Name: meta.Name, Port: networkingv1.ServiceBackendPort{Number: 80},
		}}
		snap.Ingresses = append(snap.Ingresses, &networkingv1.Ingress{
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
		})
		snap.Services = append(snap.Services, &corev1.Service{
			ObjectMeta: meta,
			Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{
				{Name: httpName, Port: 80, TargetPort: intstr.FromInt32(port)},
			}},
		})
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
		snap.EndpointSlices = append(snap.EndpointSlices, slice)
	}
	return snap
}
