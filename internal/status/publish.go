package status

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/archway-ingress/archway/internal/model"
)

// Publish says which addresses archway writes into Ingress status.
type Publish struct {
	// Service, when its Name is set, is the Service whose addresses are
	// published; they follow its changes.
	Service model.Ref
	// Addresses are fixed addresses, sorted; used when Service is unset.
	Addresses []networkingv1.IngressLoadBalancerIngress
}

// Enabled reports whether there is anything to publish.
func (p Publish) Enabled() bool { return p.Service.Name != "" || len(p.Addresses) > 0 }

// ParsePublish reads --publish-service ("namespace/name") and
// --publish-status-address (IP addresses and DNS names); at most one may be
// set.
func ParsePublish(service string, addresses []string) (Publish, error) {
	if service != "" && len(addresses) > 0 {
		return Publish{}, errors.New("set --publish-service or --publish-status-address, not both")
	}
	if service != "" {
		namespace, name, ok := strings.Cut(service, "/")
		if !ok || len(validation.IsDNS1123Label(namespace)) > 0 || len(validation.IsDNS1035Label(name)) > 0 {
			return Publish{}, fmt.Errorf("--publish-service must be namespace/name, not %q", service)
		}
		return Publish{Service: model.Ref{Namespace: namespace, Name: name}}, nil
	}
	var out []networkingv1.IngressLoadBalancerIngress
	for _, a := range addresses {
		if ip, err := netip.ParseAddr(a); err == nil && ip.Zone() == "" {
			out = append(out, networkingv1.IngressLoadBalancerIngress{IP: ip.String()})
			continue
		}
		if errs := validation.IsDNS1123Subdomain(a); len(errs) > 0 {
			return Publish{}, fmt.Errorf("--publish-status-address %q is neither an IP address nor a DNS name: %s", a, strings.Join(errs, "; "))
		}
		out = append(out, networkingv1.IngressLoadBalancerIngress{Hostname: a})
	}
	return Publish{Addresses: normalize(out)}, nil
}

// serviceAddresses are the addresses a Service is reachable at: its load
// balancer's, else its external IPs, else the cluster IPs of a ClusterIP
// Service.
func serviceAddresses(svc *corev1.Service) []networkingv1.IngressLoadBalancerIngress {
	var out []networkingv1.IngressLoadBalancerIngress
	for _, lb := range svc.Status.LoadBalancer.Ingress {
		if lb.IP != "" || lb.Hostname != "" {
			out = append(out, networkingv1.IngressLoadBalancerIngress{IP: lb.IP, Hostname: lb.Hostname})
		}
	}
	if len(out) == 0 {
		for _, ip := range svc.Spec.ExternalIPs {
			out = append(out, networkingv1.IngressLoadBalancerIngress{IP: ip})
		}
	}
	if len(out) == 0 && (svc.Spec.Type == corev1.ServiceTypeClusterIP || svc.Spec.Type == "") {
		ips := svc.Spec.ClusterIPs
		if len(ips) == 0 && svc.Spec.ClusterIP != "" {
			ips = []string{svc.Spec.ClusterIP}
		}
		for _, ip := range ips {
			if ip != corev1.ClusterIPNone {
				out = append(out, networkingv1.IngressLoadBalancerIngress{IP: ip})
			}
		}
	}
	return normalize(out)
}

// normalize returns the addresses with only IP and Hostname, sorted (IPs
// first) and without duplicates, so equal sets compare equal.
func normalize(in []networkingv1.IngressLoadBalancerIngress) []networkingv1.IngressLoadBalancerIngress {
	if len(in) == 0 {
		return nil
	}
	out := make([]networkingv1.IngressLoadBalancerIngress, 0, len(in))
	for _, a := range in {
		out = append(out, networkingv1.IngressLoadBalancerIngress{IP: a.IP, Hostname: a.Hostname})
	}
	slices.SortFunc(out, func(a, b networkingv1.IngressLoadBalancerIngress) int {
		return cmp.Or(cmp.Compare(a.Hostname, b.Hostname), cmp.Compare(a.IP, b.IP))
	})
	return slices.CompactFunc(out, sameAddress)
}

func sameAddress(a, b networkingv1.IngressLoadBalancerIngress) bool {
	return a.IP == b.IP && a.Hostname == b.Hostname
}

// sameAddresses reports whether status holds exactly the normalized
// addresses ours, in any order.
func sameAddresses(status, ours []networkingv1.IngressLoadBalancerIngress) bool {
	return slices.EqualFunc(normalize(status), ours, sameAddress)
}
