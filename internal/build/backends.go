package build

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/model"
)

// resolver turns Ingress backends into model Backends, each built once and
// shared by every route that names the same Service port the same way.
type resolver struct {
	services    map[model.Ref]*corev1.Service
	dupServices map[model.Ref]int
	// slices are the EndpointSlices of each Service.
	slices map[model.Ref][]*discoveryv1.EndpointSlice
	// built indexes backends, the Backends made so far, by name.
	built    map[string]int
	backends []model.Backend
	problems *problems
	// last is the latest backend an Ingress named and its name: the paths
	// of an Ingress usually share one, which then skips the lookups.
	last struct {
		namespace string
		service   networkingv1.IngressServiceBackend
		name      string
	}
}

func newResolver(services []*corev1.Service, endpointSlices []*discoveryv1.EndpointSlice, p *problems) *resolver {
	r := &resolver{
		slices:   make(map[model.Ref][]*discoveryv1.EndpointSlice, len(services)),
		built:    make(map[string]int, len(services)),
		backends: make([]model.Backend, 0, len(services)),
		problems: p,
	}
	r.services, r.dupServices = index(services, func(s *corev1.Service) model.Ref {
		return model.Ref{Namespace: s.Namespace, Name: s.Name}
	})
	for i, s := range endpointSlices {
		if svc := s.Labels[discoveryv1.LabelServiceName]; svc != "" {
			ref := model.Ref{Namespace: s.Namespace, Name: svc}
			if have := r.slices[ref]; have != nil {
				r.slices[ref] = append(have, s)
			} else {
				// Most Services have one slice: share the input's array.
				// Its capacity of one makes a second append copy, so the
				// input is never written.
				r.slices[ref] = endpointSlices[i : i+1 : i+1]
			}
		}
	}
	return r
}

// ingressBackend resolves the backend of a path or a spec.defaultBackend of
// an Ingress in namespace. On a rejection the name is "": answer 503.
func (r *resolver) ingressBackend(namespace string, be networkingv1.IngressBackend) (string, *rejection) {
	if be.Resource != nil {
		return "", &rejection{field: "resource", reason: ReasonUnsupportedBackend,
			message: "resource backends are not supported"}
	}
	if be.Service == nil {
		return "", &rejection{field: "service", reason: ReasonServiceNotFound,
			message: "the backend names no Service"}
	}
	if l := &r.last; l.name != "" && l.namespace == namespace && l.service == *be.Service {
		return l.name, nil
	}
	ref := model.Ref{Namespace: namespace, Name: be.Service.Name}
	svc, rej := r.lookup(ref)
	if rej != nil {
		rej.field = "service." + rej.field
		return "", rej
	}
	// The port as written names the Backend: a number, or an IANA name,
	// which always holds a letter, so the two never collide.
	port := be.Service.Port
	written := port.Name
	switch {
	case port.Number < 0 || port.Number > 65535:
		return "", &rejection{field: "service.port.number", reason: ReasonServicePortNotFound,
			message: fmt.Sprintf("port %d is out of range", port.Number)}
	case port.Number != 0:
		written = strconv.Itoa(int(port.Number))
	default:
		if err := checkPortName(port.Name); err != nil {
			return "", &rejection{field: "service.port.name", reason: ReasonServicePortNotFound, message: err.Error()}
		}
	}
	i := slices.IndexFunc(svc.Spec.Ports, func(sp corev1.ServicePort) bool {
		if port.Number != 0 {
			return sp.Port == port.Number
		}
		return sp.Name == port.Name
	})
	if i < 0 {
		return "", &rejection{field: "service.port", reason: ReasonServicePortNotFound,
			message: fmt.Sprintf("Service %s has no port %s", ref, written)}
	}
	name := r.backend(ref, svc.Spec.Ports[i], written)
	r.last.namespace, r.last.service, r.last.name = namespace, *be.Service, name
	return name, nil
}

// defaultService resolves --default-backend-service ("namespace/name") on
// the Service's first port. Problems are the Service's; "" means 404.
func (r *resolver) defaultService(value string) string {
	namespace, name, ok := strings.Cut(value, "/")
	if !ok {
		r.problems.add(KindService, model.Ref{Name: value}, "", ReasonServiceNotFound,
			fmt.Sprintf("--default-backend-service %q is not namespace/name", value))
		return ""
	}
	ref := model.Ref{Namespace: namespace, Name: name}
	svc, rej := r.lookup(ref)
	if rej == nil && len(svc.Spec.Ports) == 0 {
		rej = &rejection{field: "spec.ports", reason: ReasonServicePortNotFound,
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
	port := svc.Spec.Ports[0]
	return r.backend(ref, port, strconv.Itoa(int(port.Port)))
}

// lookup finds a Service that can back a route. The rejection's field is
// "name".
func (r *resolver) lookup(ref model.Ref) (*corev1.Service, *rejection) {
	if err := checkRef(ref.Namespace, ref.Name); err != nil {
		return nil, &rejection{field: "name", reason: ReasonServiceNotFound, message: err.Error()}
	}
	if n := r.dupServices[ref]; n > 0 {
		return nil, &rejection{field: "name", reason: ReasonDuplicateObject,
			message: fmt.Sprintf("%d Services are named %s; none of them is used", n, ref)}
	}
	svc := r.services[ref]
	if svc == nil {
		return nil, &rejection{field: "name", reason: ReasonServiceNotFound,
			message: fmt.Sprintf("Service %s not found", ref)}
	}
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return nil, &rejection{field: "name", reason: ReasonUnsupportedBackend,
			message: fmt.Sprintf("Service %s is of type ExternalName, which is not supported", ref)}
	}
	return svc, nil
}

// backend returns the name of the Backend for one Service port, building it
// on first use. The name is "<namespace>_<service>_<port>" with the port as
// written (a number, or a name made of [a-z0-9-]), so "_" keeps it unique.
func (r *resolver) backend(ref model.Ref, port corev1.ServicePort, written string) string {
	// The name is looked up from a stack buffer: most routes share a
	// Backend, so only the first use of a name allocates it.
	var buf [128]byte
	key := append(append(append(append(append(buf[:0], ref.Namespace...), '_'), ref.Name...), '_'), written...)
	if i, ok := r.built[string(key)]; ok {
		return r.backends[i].Name
	}
	return r.add(model.Backend{
		Name:      string(key),
		Service:   ref,
		Port:      written,
		Endpoints: r.endpoints(ref, port.Name),
	})
}

// add records a new Backend and returns its name.
func (r *resolver) add(be model.Backend) string {
	r.built[be.Name] = len(r.backends)
	r.backends = append(r.backends, be)
	return be.Name
}

// used returns the Backends built, sorted by name; only referenced
// backends are ever built. It sorts them in place: no backend can be
// resolved after it.
func (r *resolver) used() []model.Backend {
	slices.SortFunc(r.backends, func(a, b model.Backend) int { return strings.Compare(a.Name, b.Name) })
	return r.backends
}
