package builder

import (
	"slices"
	"strings"

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
// endpointSlices: changed holds every version that differs between the two
// lists (added, deleted, and both versions of a modified one).
// EndpointSlices feed nothing but the endpoints of backends, TCP and UDP
// services and passthrough hosts, and the problems of EndpointSlices:
// Reendpoint reads again the Service ports that the Build read of the
// Services that changed slices name, and leaves every other decision as it
// was.
func Reendpoint(cfg model.Config, report Report, endpointSlices, changed []*discoveryv1.EndpointSlice, opts Options) (model.Config, Report) {
	serviceOf := func(s *discoveryv1.EndpointSlice) (model.Ref, bool) {
		name := s.Labels[discoveryv1.LabelServiceName]
		return model.Ref{Namespace: s.Namespace, Name: name}, name != ""
	}
	// The Services whose slices changed, with their slices now, and the
	// changed slices, whose problems may be gone: the reads give those of
	// the others again.
	affected := map[model.Ref][]*discoveryv1.EndpointSlice{}
	stale := map[model.Ref]bool{}
	for _, s := range changed {
		if svc, ok := serviceOf(s); ok {
			affected[svc] = nil
		}
		stale[model.Ref{Namespace: s.Namespace, Name: s.Name}] = true
	}
	for _, s := range endpointSlices {
		if svc, ok := serviceOf(s); ok {
			if list, ok := affected[svc]; ok {
				affected[svc] = append(list, s)
			}
		}
	}
	var found problems
	cfg.Backends = slices.Clone(cfg.Backends)
	cfg.Streams = slices.Clone(cfg.Streams)
	if cfg.Passthrough != nil {
		cfg.Passthrough = &model.Passthrough{Hosts: slices.Clone(cfg.Passthrough.Hosts)}
	}
	for _, read := range report.endpoints {
		svcSlices, ok := affected[read.service]
		if !ok {
			continue
		}
		eps := endpoints(svcSlices, read.port, opts.LoopbackEndpoints, &found)
		if at := read.target.in(cfg); at != nil {
			*at = eps
		}
	}
	for _, p := range report.Problems {
		if p.Kind != KindEndpointSlice || !stale[p.Object] {
			found = append(found, p)
		}
	}
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
