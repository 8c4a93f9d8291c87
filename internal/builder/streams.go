package builder

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// streamServices is one of the ConfigMaps that list the TCP and UDP
// services, in ingress-nginx's syntax: each key is the port nginx listens
// on, each value "<namespace>/<service>:<port>[:PROXY][:PROXY]".
type streamServices struct {
	protocol model.Protocol
	name     string // "namespace/name", from Options
}

// addStreams reads the entries of --tcp-services-configmap and
// --udp-services-configmap into Config.Streams. An entry that is malformed,
// names a missing Service or port, or claims a port already taken is
// skipped alone and reported.
func (b *build) addStreams() {
	taken := map[model.Protocol]map[int]string{model.TCP: {}, model.UDP: {}}
	for _, r := range b.opts.ReservedPorts {
		taken[model.TCP][r.Port] = r.Use
	}
	for _, list := range []streamServices{{model.TCP, b.opts.TCPServices}, {model.UDP, b.opts.UDPServices}} {
		cm := b.configMapNamed(list.name)
		if cm == nil {
			continue
		}
		ref := model.Ref{Namespace: cm.Namespace, Name: cm.Name}
		for _, key := range slices.Sorted(maps.Keys(cm.Data)) {
			s, err := b.streamServer(list.protocol, key, cm.Data[key], taken[list.protocol])
			if err != nil {
				b.problems = append(b.problems, Problem{Kind: KindConfigMap, Object: ref, Field: "data." + key, Key: key,
					Reason: err.reason, Message: err.message + "; the entry is not served"})
				continue
			}
			taken[list.protocol][s.Port] = fmt.Sprintf("the %s entry of %s", key, ref)
			b.cfg.Streams = append(b.cfg.Streams, s)
		}
	}
	slices.SortFunc(b.cfg.Streams, func(a, c model.StreamServer) int {
		return cmp.Or(cmp.Compare(a.Protocol, c.Protocol), cmp.Compare(a.Port, c.Port))
	})
}

// streamServer reads one entry; taken maps the ports in use to their users.
func (b *build) streamServer(protocol model.Protocol, key, value string, taken map[int]string) (model.StreamServer, *rejection) {
	s := model.StreamServer{Protocol: protocol}
	port, err := strconv.Atoi(key)
	if err != nil || port < 1 || port > 65535 || strconv.Itoa(port) != key {
		return s, &rejection{reason: reason.InvalidStreamService, message: fmt.Sprintf("port %q is not a number from 1 to 65535", shorten(key))}
	}
	if use, ok := taken[port]; ok {
		return s, &rejection{reason: reason.StreamPortConflict, message: fmt.Sprintf("%s port %d is taken by %s", protocol, port, use)}
	}
	s.Port = port
	parts := strings.Split(value, ":")
	namespace, name, ok := strings.Cut(parts[0], "/")
	if !ok || len(parts) < 2 || len(parts) > 4 {
		return s, &rejection{reason: reason.InvalidStreamService,
			message: fmt.Sprintf("value %q is not <namespace>/<service>:<port>[:PROXY][:PROXY]", shorten(value))}
	}
	for _, suffix := range parts[2:] {
		if suffix != "PROXY" {
			return s, &rejection{reason: reason.InvalidStreamService, message: fmt.Sprintf("suffix %q is not PROXY", shorten(suffix))}
		}
		if protocol == model.UDP {
			return s, &rejection{reason: reason.InvalidStreamService, message: "the PROXY protocol is for TCP services only"}
		}
	}
	// The first PROXY decodes the load balancer's header, the second sends
	// one to the backend, as in ingress-nginx.
	s.DecodeProxyProtocol, s.SendProxyProtocol = len(parts) > 2, len(parts) > 3
	s.Service = model.Ref{Namespace: namespace, Name: name}
	e, rej := b.backends.lookup(s.Service)
	if rej != nil {
		return s, &rejection{reason: reason.InvalidStreamService, message: rej.message}
	}
	servicePort, ok := streamServicePort(e.svc, parts[1], protocol)
	if !ok {
		return s, &rejection{reason: reason.InvalidStreamService,
			message: fmt.Sprintf("Service %s has no %s port %q", s.Service, protocol, shorten(parts[1]))}
	}
	s.ServicePort = parts[1]
	s.Endpoints = b.endpointReads.read(e, servicePort.Name, endpointTarget{kind: toStream, protocol: protocol, port: port}, b.opts.LoopbackEndpoints, &b.problems)
	return s, nil
}

// streamServicePort finds the Service's port of the protocol by number or
// name.
func streamServicePort(svc *corev1.Service, written string, protocol model.Protocol) (corev1.ServicePort, bool) {
	i := slices.IndexFunc(svc.Spec.Ports, func(sp corev1.ServicePort) bool {
		return (strconv.Itoa(int(sp.Port)) == written || sp.Name == written) && string(cmp.Or(sp.Protocol, corev1.ProtocolTCP)) == string(protocol)
	})
	if i < 0 {
		return corev1.ServicePort{}, false
	}
	return svc.Spec.Ports[i], true
}

// configMapNamed returns the ConfigMap named "namespace/name" (""
// for none) among the Snapshot's, nil when it is missing.
func (b *build) configMapNamed(name string) *corev1.ConfigMap {
	for _, cm := range b.snap.ConfigMaps {
		if name != "" && cm.Namespace+"/"+cm.Name == name {
			return cm
		}
	}
	return nil
}

// controllerConfigMap is the one Options.ConfigMap names (--configmap,
// which picks it among a folder's ConfigMaps); without a name, the
// Snapshot's ConfigMap, unless it is one of the stream services ConfigMaps
// (the folder source takes the last ConfigMap it reads as the
// controller's): then the last other one.
func (b *build) controllerConfigMap() *corev1.ConfigMap {
	if name := b.opts.ConfigMap; name != "" {
		if cm := b.snap.ConfigMap; cm != nil && cm.Namespace+"/"+cm.Name == name {
			return cm
		}
		return b.configMapNamed(name)
	}
	isStream := func(cm *corev1.ConfigMap) bool {
		name := cm.Namespace + "/" + cm.Name
		return name == b.opts.TCPServices || name == b.opts.UDPServices
	}
	if cm := b.snap.ConfigMap; cm == nil || !isStream(cm) {
		return cm
	}
	for _, cm := range slices.Backward(b.snap.ConfigMaps) {
		if !isStream(cm) {
			return cm
		}
	}
	return nil
}
