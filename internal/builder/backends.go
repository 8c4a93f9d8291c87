package builder

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// resolver turns Ingress backends into model Backends, each built once and
// shared by every route that names the same Service port the same way.
type resolver struct {
	// services indexes the Services, with their EndpointSlices, by name:
	// one lookup finds everything a backend needs.
	services map[model.Ref]*serviceEntry
	// built indexes backends, the Backends made so far, by name.
	built    map[string]int
	backends []model.Backend
	// sources holds where the endpoints of each of backends come from;
	// they are read only once every backend is known (see used).
	sources []endpointSource
	// reads records the endpoints used reads, for Reendpoint.
	reads    endpointReads
	problems *problems
	// loopback allows loopback endpoint addresses (Options.LoopbackEndpoints).
	loopback bool
	// last is the latest backend an Ingress named and its name: the paths
	// of an Ingress usually share one, which then skips the lookups.
	last struct {
		namespace string
		service   networkingv1.IngressServiceBackend
		name      string
	}
	// lastBackend is the latest Backend that backend returned, by its
	// Service and port as written: the paths of an Ingress usually share
	// one, which then skips the lookup by name.
	lastBackend struct {
		entry         *serviceEntry
		written, name string
	}
}

// serviceEntry is one name of the Services. A name held by count > 1
// Services has no svc: which copy is meant cannot be known (see index).
type serviceEntry struct {
	ref    model.Ref
	svc    *corev1.Service
	count  int
	slices []*discoveryv1.EndpointSlice
}

// endpointSource is the Service port whose EndpointSlices give a Backend
// its endpoints; a nil entry means the Backend has endpoints of its own.
type endpointSource struct {
	entry *serviceEntry
	port  string // the Service port's name
}

func newResolver(services []*corev1.Service, endpointSlices []*discoveryv1.EndpointSlice, p *problems) *resolver {
	r := &resolver{
		services: make(map[model.Ref]*serviceEntry, len(services)),
		built:    make(map[string]int, len(services)),
		backends: make([]model.Backend, 0, len(services)),
		sources:  make([]endpointSource, 0, len(services)),
		problems: p,
	}
	// The entries share one array: one allocation, not one per Service.
	entries := make([]serviceEntry, 0, len(services))
	for _, s := range services {
		ref := model.Ref{Namespace: s.Namespace, Name: s.Name}
		if e := r.services[ref]; e != nil {
			e.svc, e.count = nil, e.count+1
			continue
		}
		entries = append(entries, serviceEntry{ref: ref, svc: s, count: 1})
		r.services[ref] = &entries[len(entries)-1]
	}
	for i, s := range endpointSlices {
		svc := s.Labels[discoveryv1.LabelServiceName]
		e := r.services[model.Ref{Namespace: s.Namespace, Name: svc}]
		if svc == "" || e == nil {
			continue // no Service reads it
		}
		if e.slices != nil {
			e.slices = append(e.slices, s)
		} else {
			// Most Services have one slice: share the input's array.
			// Its capacity of one makes a second append copy, so the
			// input is never written.
			e.slices = endpointSlices[i : i+1 : i+1]
		}
	}
	return r
}

// ingressBackend resolves the backend of a path or a spec.defaultBackend of
// an Ingress in namespace. On a rejection the name is "": answer 503.
func (r *resolver) ingressBackend(namespace string, be networkingv1.IngressBackend) (string, *rejection) {
	if l := &r.last; l.name != "" && be.Resource == nil && be.Service != nil && l.namespace == namespace && l.service == *be.Service {
		return l.name, nil
	}
	name, rej := r.chosen(r.ingressServicePort(namespace, be))
	if rej == nil {
		r.last.namespace, r.last.service, r.last.name = namespace, *be.Service, name
	}
	return name, rej
}

// servicePortChoice is the Service port that an Ingress backend names, or
// why it names none (see ingressServicePort).
type servicePortChoice struct {
	entry *serviceEntry
	// port is the Service port's name, which its EndpointSlices use;
	// written is the port as the backend wrote it (see servicePort).
	port, written string
	rej           *rejection
}

// chosen returns the name of the Backend of the Service port c, building
// it on first use; on a rejection the name is "".
func (r *resolver) chosen(c servicePortChoice) (string, *rejection) {
	if c.rej != nil {
		return "", c.rej
	}
	return r.backend(c.entry, c.port, c.written), nil
}

// ingressServicePort finds the Service and the port of it that an Ingress
// backend names. It only reads the resolver's Services, so it may run
// beside the build (see prepareIngresses).
func (r *resolver) ingressServicePort(namespace string, be networkingv1.IngressBackend) servicePortChoice {
	if be.Resource != nil {
		return servicePortChoice{rej: &rejection{field: "resource", reason: reason.UnsupportedBackend,
			message: "resource backends are not supported"}}
	}
	if be.Service == nil {
		return servicePortChoice{rej: &rejection{field: "service", reason: reason.ServiceNotFound,
			message: "the backend names no Service"}}
	}
	ref := model.Ref{Namespace: namespace, Name: be.Service.Name}
	e, rej := r.lookup(ref)
	if rej != nil {
		rej.field = "service." + rej.field
		return servicePortChoice{rej: rej}
	}
	port, written, rej := servicePort(e.svc, ref, be.Service.Port)
	return servicePortChoice{entry: e, port: port.Name, written: written, rej: rej}
}

// servicePort finds the port of svc (named ref) that an Ingress backend
// names, and the port as written: a number, or an IANA name, which always
// holds a letter, so the two never collide. The rejection's field is
// under "service".
func servicePort(svc *corev1.Service, ref model.Ref, port networkingv1.ServiceBackendPort) (corev1.ServicePort, string, *rejection) {
	written := port.Name
	switch {
	case port.Number < 0 || port.Number > 65535:
		return corev1.ServicePort{}, "", &rejection{field: "service.port.number", reason: reason.ServicePortNotFound,
			message: fmt.Sprintf("port %d is out of range", port.Number)}
	case port.Number != 0:
		written = strconv.Itoa(int(port.Number))
	default:
		if err := checkPortName(port.Name); err != nil {
			return corev1.ServicePort{}, "", &rejection{field: "service.port.name", reason: reason.ServicePortNotFound, message: err.Error()}
		}
	}
	i := slices.IndexFunc(svc.Spec.Ports, func(sp corev1.ServicePort) bool {
		if port.Number != 0 {
			return sp.Port == port.Number
		}
		return sp.Name == port.Name
	})
	if i < 0 {
		return corev1.ServicePort{}, "", &rejection{field: "service.port", reason: reason.ServicePortNotFound,
			message: fmt.Sprintf("Service %s has no port %s", ref, written)}
	}
	return svc.Spec.Ports[i], written, nil
}

// defaultService resolves --default-backend-service ("namespace/name") on
// the Service's first port. Problems are the Service's; "" means 404.
func (r *resolver) defaultService(value string) string {
	namespace, name, ok := strings.Cut(value, "/")
	if !ok {
		r.problems.add(KindService, model.Ref{Name: value}, "", reason.ServiceNotFound,
			fmt.Sprintf("--default-backend-service %q is not namespace/name", value))
		return ""
	}
	ref := model.Ref{Namespace: namespace, Name: name}
	e, rej := r.lookup(ref)
	if rej == nil && len(e.svc.Spec.Ports) == 0 {
		rej = &rejection{field: "spec.ports", reason: reason.ServicePortNotFound,
			message: fmt.Sprintf("Service %s has no ports", ref)}
	}
	if rej != nil {
		field := rej.field
		if field == "name" {
			field = "" // the object itself is the problem
		}
		r.problems.add(KindService, ref, field, rej.reason, "--default-backend-service: "+rej.message)
		return ""
	}
	port := e.svc.Spec.Ports[0]
	return r.backend(e, port.Name, strconv.Itoa(int(port.Port)))
}

// lookup finds a Service that can back a route. The rejection's field is
// "name".
func (r *resolver) lookup(ref model.Ref) (*serviceEntry, *rejection) {
	if err := checkRef(ref.Namespace, ref.Name); err != nil {
		return nil, &rejection{field: "name", reason: reason.ServiceNotFound, message: err.Error()}
	}
	e := r.services[ref]
	switch {
	case e == nil:
		return nil, &rejection{field: "name", reason: reason.ServiceNotFound,
			message: fmt.Sprintf("Service %s not found", ref)}
	case e.count > 1:
		return nil, &rejection{field: "name", reason: reason.DuplicateObject,
			message: fmt.Sprintf("%d Services are named %s; none of them is used", e.count, ref)}
	case e.svc.Spec.Type == corev1.ServiceTypeExternalName:
		return nil, &rejection{field: "name", reason: reason.UnsupportedBackend,
			message: fmt.Sprintf("Service %s is of type ExternalName, which is not supported", ref)}
	}
	return e, nil
}

// backend returns the name of the Backend for one Service port (port is
// its name), building it on first use. The name is "<namespace>_<service>_<port>" with the port as
// written (a number, or a name made of [a-z0-9-]), so "_" keeps it unique.
func (r *resolver) backend(e *serviceEntry, port, written string) string {
	if l := &r.lastBackend; l.entry == e && l.written == written {
		return l.name
	}
	// The name is looked up from a stack buffer: most routes share a
	// Backend, so only the first use of a name allocates it.
	var buf [128]byte
	key := append(append(append(append(append(buf[:0], e.ref.Namespace...), '_'), e.ref.Name...), '_'), written...)
	name := ""
	if i, ok := r.built[string(key)]; ok {
		name = r.backends[i].Name
	} else {
		name = r.add(model.Backend{Name: string(key), Service: e.ref, Port: written}, endpointSource{e, port})
	}
	r.lastBackend.entry, r.lastBackend.written, r.lastBackend.name = e, written, name
	return name
}

// add records a new Backend and where its endpoints come from, and returns
// its name.
func (r *resolver) add(be model.Backend, src endpointSource) string {
	r.built[be.Name] = len(r.backends)
	r.backends = append(r.backends, be)
	r.sources = append(r.sources, src)
	return be.Name
}

// used gives the Backends built their endpoints, reporting problems to p,
// and returns them sorted by name; only referenced backends are ever
// built. It sorts them in place: no backend can be resolved after it. It
// touches nothing but the resolver, so it may run beside the routes' work.
func (r *resolver) used(p *problems) []model.Backend {
	r.reads = slices.Grow(r.reads, len(r.sources))
	for i, src := range r.sources {
		if src.entry != nil {
			r.backends[i].Endpoints = r.reads.read(src.entry, src.port, endpointTarget{kind: toBackend, name: r.backends[i].Name}, r.loopback, p)
		}
	}
	slices.SortFunc(r.backends, func(a, b model.Backend) int { return strings.Compare(a.Name, b.Name) })
	return r.backends
}
