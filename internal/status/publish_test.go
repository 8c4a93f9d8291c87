package status

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/model"
)

type lbi = networkingv1.IngressLoadBalancerIngress

func TestParsePublish(t *testing.T) {
	tests := map[string]struct {
		service   string
		addresses []string
		want      Publish
		err       string
	}{
		"nothing":  {want: Publish{}},
		"service":  {service: "ingress/archway", want: Publish{Service: model.Ref{Namespace: "ingress", Name: "archway"}}},
		"no slash": {service: "archway", err: "namespace/name"},
		"bad name": {service: "ingress/Arch_way", err: "namespace/name"},
		"both":     {service: "a/b", addresses: []string{"10.0.0.1"}, err: "not both"},
		"ips and names split, sorted, deduplicated": {
			addresses: []string{"lb.example.com", "10.0.0.2", "2001:db8::1", "10.0.0.2", "a.example.com"},
			want: Publish{Addresses: []lbi{
				{IP: "10.0.0.2"}, {IP: "2001:db8::1"}, {Hostname: "a.example.com"}, {Hostname: "lb.example.com"},
			}},
		},
		"ipv6 normalized":       {addresses: []string{"2001:DB8:0::1"}, want: Publish{Addresses: []lbi{{IP: "2001:db8::1"}}}},
		"neither ip nor name":   {addresses: []string{"lb example"}, err: "neither an IP address nor a DNS name"},
		"upper-case name":       {addresses: []string{"LB.example.com"}, err: "neither"},
		"ip with zone rejected": {addresses: []string{"fe80::1%eth0"}, err: "neither"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParsePublish(tc.service, tc.addresses)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.service != "" || len(tc.addresses) > 0, got.Enabled())
		})
	}
}

func TestServiceAddresses(t *testing.T) {
	tests := map[string]struct {
		svc  corev1.Service
		want []lbi
	}{
		"load balancer ip and hostname": {
			svc: corev1.Service{
				Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ClusterIP: "10.96.0.10", ExternalIPs: []string{"192.0.2.9"}},
				Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{
					{Hostname: "lb.example.com", Ports: []corev1.PortStatus{{Port: 80}}}, {IP: "203.0.113.7"},
				}}},
			},
			want: []lbi{{IP: "203.0.113.7"}, {Hostname: "lb.example.com"}},
		},
		"external ips when no load balancer address": {
			svc:  corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, ClusterIP: "10.96.0.10", ExternalIPs: []string{"192.0.2.9", "192.0.2.1"}}},
			want: []lbi{{IP: "192.0.2.1"}, {IP: "192.0.2.9"}},
		},
		"cluster ips of a ClusterIP Service": {
			svc:  corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: "10.96.0.10", ClusterIPs: []string{"10.96.0.10", "fd00::10"}}},
			want: []lbi{{IP: "10.96.0.10"}, {IP: "fd00::10"}},
		},
		"cluster ip without ClusterIPs": {
			svc:  corev1.Service{Spec: corev1.ServiceSpec{ClusterIP: "10.96.0.10"}},
			want: []lbi{{IP: "10.96.0.10"}},
		},
		"headless": {
			svc:  corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: corev1.ClusterIPNone}},
			want: nil,
		},
		"pending load balancer has no address": {
			svc:  corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ClusterIP: "10.96.0.10"}},
			want: nil,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			require.Equal(t, tc.want, serviceAddresses(&tc.svc))
		})
	}
}

func TestSameAddresses(t *testing.T) {
	ours := []lbi{{IP: "10.0.0.1"}, {Hostname: "lb.example.com"}}
	tests := map[string]struct {
		status []lbi
		want   bool
	}{
		"equal":             {status: []lbi{{IP: "10.0.0.1"}, {Hostname: "lb.example.com"}}, want: true},
		"other order":       {status: []lbi{{Hostname: "lb.example.com"}, {IP: "10.0.0.1"}}, want: true},
		"ports ignored":     {status: []lbi{{IP: "10.0.0.1", Ports: []networkingv1.IngressPortStatus{{Port: 80}}}, {Hostname: "lb.example.com"}}, want: true},
		"subset":            {status: []lbi{{IP: "10.0.0.1"}}},
		"superset":          {status: []lbi{{IP: "10.0.0.1"}, {IP: "10.0.0.2"}, {Hostname: "lb.example.com"}}},
		"empty":             {},
		"ip where name was": {status: []lbi{{IP: "10.0.0.1"}, {IP: "lb.example.com"}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			require.Equal(t, tc.want, sameAddresses(tc.status, ours))
		})
	}
}
