package builder

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/archway-ingress/archway/internal/model"
)

// endpointRead is one Service port whose endpoints Build read, and what
// took them: a backend, a TCP or UDP service, or a passthrough host.
type endpointRead struct {
	service model.Ref
	port    string // the Service port's name
	target  endpointTarget
}

// endpointTarget names what took an endpointRead's endpoints: the backend
// or passthrough host called name, or the stream server of protocol and
// port.
type endpointTarget struct {
	kind     targetKind
	name     string
	protocol model.Protocol
	port     int
}

type targetKind uint8

const (
	toBackend targetKind = iota
	toStream
	toPassthrough
)

// read returns the endpoints of the Service port e, port (see endpoints)
// and records the read for target.
func (r *endpointReads) read(e *serviceEntry, port string, target endpointTarget, loopback bool, p *problems) []model.Endpoint {
	*r = append(*r, endpointRead{service: e.ref, port: port, target: target})
	return endpoints(e.slices, port, loopback, p)
}

// endpointReads are the reads of one Build, for Reendpoint.
type endpointReads []endpointRead

// Reendpoint returns what Build would return for a Snapshot that differs
// from the one that gave cfg and report only in its EndpointSlices, now
// endpointSlices, with services its Services. EndpointSlices feed nothing
// but the endpoints of backends, TCP and UDP services and passthrough
// hosts, and the problems of EndpointSlices: Reendpoint reads again the
// Service ports the Build read, and leaves every other decision as it was.
func Reendpoint(cfg model.Config, report Report, services []*corev1.Service, endpointSlices []*discoveryv1.EndpointSlice, opts Options) (model.Config, Report) {
	var found problems
	index := newResolver(services, endpointSlices, &found)
	cfg.Backends = slices.Clone(cfg.Backends)
	cfg.Streams = slices.Clone(cfg.Streams)
	if cfg.Passthrough != nil {
		cfg.Passthrough = &model.Passthrough{Hosts: slices.Clone(cfg.Passthrough.Hosts)}
	}
	for _, read := range report.endpoints {
		e := index.services[read.service]
		if e == nil {
			continue // Build read it: the Services are the same
		}
		eps := endpoints(e.slices, read.port, opts.LoopbackEndpoints, &found)
		if at := read.target.in(cfg); at != nil {
			*at = eps
		}
	}
	found = append(found, slices.DeleteFunc(slices.Clone(report.Problems), func(p Problem) bool { return p.Kind == KindEndpointSlice })...)
	report.Problems = found.sorted()
	return cfg, report
}

// in returns where the target's endpoints are in cfg; nil when cfg has
// no such target (a passthrough host without --enable-ssl-passthrough).
func (t endpointTarget) in(cfg model.Config) *[]model.Endpoint {
	switch t.kind {
	case toBackend:
		if i, ok := slices.BinarySearchFunc(cfg.Backends, t.name, func(b model.Backend, name string) int { return strings.Compare(b.Name, name) }); ok {
			return &cfg.Backends[i].Endpoints
		}
	case toStream:
		if i := slices.IndexFunc(cfg.Streams, func(s model.StreamServer) bool { return s.Protocol == t.protocol && s.Port == t.port }); i >= 0 {
			return &cfg.Streams[i].Endpoints
		}
	case toPassthrough:
		if cfg.Passthrough == nil {
			return nil
		}
		if i, ok := slices.BinarySearchFunc(cfg.Passthrough.Hosts, t.name, func(h model.PassthroughHost, host string) int { return strings.Compare(h.Host, host) }); ok {
			return &cfg.Passthrough.Hosts[i].Endpoints
		}
	}
	return nil
}
