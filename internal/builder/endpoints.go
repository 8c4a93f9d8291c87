package builder

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/utils/ptr"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// endpoints returns the ready endpoints of one Service port, sorted and
// without repeats, from the Service's EndpointSlices. A slice names its
// ports after the Service's ports ("" for a single unnamed port), and
// carries the resolved target port number. An endpoint is ready unless its
// ready condition says false (nil means ready, as the API documents).
// Problems of the slices go to p. Loopback addresses are used only when
// loopback is set.
func endpoints(svcSlices []*discoveryv1.EndpointSlice, portName string, loopback bool, p *problems) []model.Endpoint {
	size := 0 // room for one address per endpoint, the usual count
	for _, slice := range svcSlices {
		size += len(slice.Endpoints)
	}
	var out []model.Endpoint
	for _, slice := range svcSlices {
		if slice.AddressType != discoveryv1.AddressTypeIPv4 && slice.AddressType != discoveryv1.AddressTypeIPv6 {
			continue // FQDN endpoints would need DNS at request time
		}
		port, ok := slicePort(slice, portName, p)
		if !ok {
			continue
		}
		for i, ep := range slice.Endpoints {
			if ready := ep.Conditions.Ready; ready != nil && !*ready {
				continue
			}
			for k, address := range ep.Addresses {
				addr, err := endpointAddress(address, slice.AddressType, loopback)
				if err != nil {
					p.add(KindEndpointSlice, model.Ref{Namespace: slice.Namespace, Name: slice.Name},
						fmt.Sprintf("endpoints[%d].addresses[%d]", i, k), reason.InvalidEndpoint, err.Error())
					continue
				}
				if out == nil {
					out = make([]model.Endpoint, 0, size)
				}
				out = append(out, model.Endpoint{Address: addr, Port: port})
			}
		}
	}
	slices.SortFunc(out, func(a, b model.Endpoint) int {
		return cmp.Or(cmp.Compare(a.Address, b.Address), cmp.Compare(a.Port, b.Port))
	})
	return slices.Compact(out)
}

// slicePort finds the number of the slice's port called name.
func slicePort(slice *discoveryv1.EndpointSlice, name string, p *problems) (int32, bool) {
	for j, port := range slice.Ports {
		if ptr.Deref(port.Name, "") != name || port.Port == nil {
			continue
		}
		if *port.Port < 1 || *port.Port > 65535 {
			p.add(KindEndpointSlice, model.Ref{Namespace: slice.Namespace, Name: slice.Name},
				fmt.Sprintf("ports[%d].port", j), reason.InvalidEndpoint, fmt.Sprintf("port %d is out of range", *port.Port))
			return 0, false
		}
		return *port.Port, true
	}
	return 0, false
}

// endpointAddress returns the canonical text of address, an endpoint of a
// slice of type family, when the proxy may connect to it. It refuses the
// other family's addresses, and the addresses that would reach the proxy's
// own host or network rather than a pod: unspecified, loopback (unless
// loopback is set), link-local (the cloud metadata service
// 169.254.169.254 among them) and multicast.
func endpointAddress(address string, family discoveryv1.AddressType, loopback bool) (string, error) {
	text, err := parseAddress(address)
	if err != nil {
		return "", err
	}
	addr := netip.MustParseAddr(text)
	var why string
	switch {
	case family == discoveryv1.AddressTypeIPv4 && !addr.Is4():
		why = "is not IPv4, in an IPv4 EndpointSlice"
	case family == discoveryv1.AddressTypeIPv6 && (addr.Is4() || addr.Is4In6()):
		why = "is IPv4, in an IPv6 EndpointSlice"
	case addr.IsUnspecified():
		why = "is unspecified: the proxy would connect to itself"
	case addr.IsLoopback() && !loopback:
		why = "is a loopback address: the proxy would connect to its own host (only --manifests allows it)"
	case addr.IsLinkLocalUnicast():
		why = "is link-local: the proxy would connect to its own network, such as the cloud metadata service"
	case addr.IsMulticast():
		why = "is multicast"
	default:
		return text, nil
	}
	return "", fmt.Errorf("endpoint address %s %s", address, why)
}

// parseAddress accepts an IPv4 or IPv6 address without a zone and returns
// its canonical text, so that one address written two ways is one endpoint.
func parseAddress(s string) (string, error) {
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return "", fmt.Errorf("endpoint address: %w", err)
	}
	if addr.Zone() != "" {
		return "", fmt.Errorf("endpoint address %q has a zone", s)
	}
	if addr.Is4() {
		return s, nil // ParseAddr takes IPv4 only in its canonical form
	}
	return addr.String(), nil
}
