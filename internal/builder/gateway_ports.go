package builder

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// With --gateway-service=per-gateway each Gateway gets nginx ports of its
// own and a Service in archway's namespace that exposes its listener ports
// on them (internal/status writes it). Build stays a function of the
// Snapshot: a Gateway keeps the ports its Service already targets, and a
// new listener port takes the lowest free one, so every replica computes
// the same ports and a restart moves none.

// PortRange is a range of nginx ports, First to Last; the zero value is
// none.
type PortRange struct{ First, Last int32 }

// The labels and annotations of the Services of Gateways.
const (
	// GatewayServiceLabel holds a hash of the Gateway's namespace and
	// name (GatewayServiceName): label values are too short for them.
	GatewayServiceLabel = "archway.dev/gateway"
	// GatewayAnnotation names the Gateway, "namespace/name".
	GatewayAnnotation = "archway.dev/gateway"
	// GatewayControllerAnnotation is the controller name of the instance
	// that manages the Service.
	GatewayControllerAnnotation = "archway.dev/gateway-controller"
)

// GatewayServiceName is the name of gw's Service, and its
// GatewayServiceLabel value.
func GatewayServiceName(gw model.Ref) string {
	sum := sha256.Sum256([]byte(gw.String()))
	return "archway-gateway-" + hex.EncodeToString(sum[:8])
}

// gatewayPorts gives the listener ports of every Gateway of gls nginx
// ports from b.opts.GatewayPorts, and returns them in model order. A port
// that finds none free is reported, and its listeners serve nothing.
func (b *build) gatewayPorts(gls gatewayListeners) []model.GatewayPorts {
	r := b.opts.GatewayPorts
	if r.Last == 0 || len(gls) == 0 {
		return nil
	}
	current := b.gatewayServiceTargets()
	used := map[int32]bool{}
	for _, p := range b.opts.ReservedPorts {
		used[int32(p.Port)] = true
	}
	out := make([]model.GatewayPorts, 0, len(gls))
	for gw, listeners := range gls {
		g := model.GatewayPorts{Gateway: gw}
		for _, l := range listeners {
			if l.unserved {
				continue // no port: an HTTPS listener without certificate answers nothing
			}
			if !slices.ContainsFunc(g.Ports, func(p model.GatewayPort) bool { return p.Port == int32(l.port) }) {
				g.Ports = append(g.Ports, model.GatewayPort{Port: int32(l.port), TLS: l.cert != nil})
			}
		}
		if len(g.Ports) > 0 {
			slices.SortFunc(g.Ports, func(a, b model.GatewayPort) int { return cmp.Compare(a.Port, b.Port) })
			out = append(out, g)
		}
	}
	slices.SortFunc(out, func(a, b model.GatewayPorts) int { return compareRefs(a.Gateway, b.Gateway) })
	// Kept targets first, in model order, so that a new port never takes
	// one that a Service has.
	for i := range out {
		for k := range out[i].Ports {
			p := &out[i].Ports[k]
			if t, ok := current[out[i].Gateway][p.Port]; ok && t >= r.First && t <= r.Last && !used[t] {
				p.Target, used[t] = t, true
			}
		}
	}
	next := r.First
	for i := range out {
		ports := out[i].Ports[:0]
		for _, p := range out[i].Ports {
			for p.Target == 0 && next <= r.Last {
				if !used[next] {
					p.Target, used[next] = next, true
				}
				next++
			}
			if p.Target == 0 {
				b.problems.add(KindGateway, out[i].Gateway, "spec.listeners", reason.UnsupportedFeature, fmt.Sprintf(
					"port %d: every port of --gateway-port-range %d-%d is taken; its listeners are not served", p.Port, r.First, r.Last))
				continue
			}
			ports = append(ports, p)
		}
		out[i].Ports = ports
	}
	return slices.DeleteFunc(out, func(g model.GatewayPorts) bool { return len(g.Ports) == 0 })
}

// protocolConflicts returns, with ports of their own, why each listener
// port that HTTP and HTTPS listeners of one Gateway share is refused: an
// nginx port serves HTTP or HTTPS, not both, so those listeners are
// Conflicted, and the spec lets none of them win.
func (b *build) protocolConflicts(listeners []gatewayv1.Listener) map[gatewayv1.PortNumber]*rejection {
	if b.opts.GatewayPorts.Last == 0 {
		return nil
	}
	protocols := map[gatewayv1.PortNumber][]string{}
	names := map[gatewayv1.PortNumber][]string{}
	for _, l := range listeners {
		if l.Protocol != gatewayv1.HTTPProtocolType && l.Protocol != gatewayv1.HTTPSProtocolType {
			continue
		}
		if !slices.Contains(protocols[l.Port], string(l.Protocol)) {
			protocols[l.Port] = append(protocols[l.Port], string(l.Protocol))
		}
		names[l.Port] = append(names[l.Port], strconv.Quote(string(l.Name)))
	}
	out := map[gatewayv1.PortNumber]*rejection{}
	for port, p := range protocols {
		if len(p) > 1 {
			out[port] = &rejection{field: ".protocol", reason: reason.ProtocolConflict, message: fmt.Sprintf(
				"port %d has listeners %s of protocols %s, and a port serves one protocol; none of them is served",
				port, strings.Join(names[port], ", "), strings.Join(p, " and "))}
		}
	}
	return out
}

// gatewayServiceTargets returns the nginx port that each Gateway's Service
// in archway's namespace targets for each of its ports.
func (b *build) gatewayServiceTargets() map[model.Ref]map[int32]int32 {
	out := map[model.Ref]map[int32]int32{}
	for _, s := range b.snap.Services {
		ref, ok := GatewayOfService(s, b.opts.Namespace, b.opts.GatewayController)
		if !ok {
			continue
		}
		targets := map[int32]int32{}
		for _, p := range s.Spec.Ports {
			if p.TargetPort.IntVal > 0 {
				targets[p.Port] = p.TargetPort.IntVal
			}
		}
		out[ref] = targets
	}
	return out
}

// GatewayOfService returns the Gateway whose Service svc is, when it is in
// namespace (archway's) and the instance of controller manages it. Build
// reads it to keep ports; the status side, to keep the Services.
func GatewayOfService(svc *corev1.Service, namespace, controller string) (model.Ref, bool) {
	if svc.Namespace != namespace || svc.Annotations[GatewayControllerAnnotation] != controller {
		return model.Ref{}, false
	}
	ref, ok := parseGatewayAnnotation(svc.Annotations[GatewayAnnotation])
	return ref, ok && svc.Labels[GatewayServiceLabel] == GatewayServiceName(ref)
}

// parseGatewayAnnotation reads a GatewayAnnotation value.
func parseGatewayAnnotation(v string) (model.Ref, bool) {
	namespace, name, ok := strings.Cut(v, "/")
	return model.Ref{Namespace: namespace, Name: name}, ok && namespace != "" && name != ""
}
