package builder

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/archway-ingress/archway/internal/model"
)

// Backends shared by every route to a Service port get twins when an
// Ingress asks for something of its own: its Service's cluster IP
// (service-upstream) or its own balancing. A twin's name is the
// backend's, then "." and a suffix; "." never appears in other backend
// names.
const clusterIPSuffix = ".cluster-ip"

// twin returns the name of the backend name+suffix, building it from the
// named one with change on first use. The twin's endpoints come from where
// the named one's do, unless change gives it its own.
func (r *resolver) twin(name, suffix string, change func(*model.Backend)) string {
	twin := name + suffix
	if _, ok := r.built[twin]; !ok {
		i := r.built[name]
		be, src := r.backends[i], r.sources[i]
		be.Name = twin
		change(&be)
		if be.Endpoints != nil {
			src = endpointSource{}
		}
		r.add(be, src)
	}
	return twin
}

// clusterIP returns the service-upstream twin of the named backend: the
// same Service port, with the Service's cluster IP as its one endpoint, so
// kube-proxy picks the pod. A headless Service has no cluster IP; its
// backend is returned unchanged.
func (r *resolver) clusterIP(name string) string {
	i, ok := r.built[name]
	if !ok {
		return name
	}
	be := r.backends[i]
	svc := r.services[be.Service].svc
	addr, err := netip.ParseAddr(svc.Spec.ClusterIP)
	if err != nil {
		return name
	}
	for _, sp := range svc.Spec.Ports {
		if be.Port == sp.Name || be.Port == strconv.Itoa(int(sp.Port)) {
			return r.twin(name, clusterIPSuffix, func(b *model.Backend) {
				b.Endpoints = []model.Endpoint{{Address: addr.String(), Port: sp.Port}}
			})
		}
	}
	return name
}

// balanced returns the twin of the named backend with balancing b.
func (r *resolver) balanced(name string, b model.Balancing) string {
	if _, ok := r.built[name]; !ok {
		return name
	}
	sum := sha256.Sum256(fmt.Append(nil, b.Algorithm, b.HashBy, b.Cookie != nil, derefCookie(b.Cookie)))
	return r.twin(name, "."+hex.EncodeToString(sum[:6]), func(be *model.Backend) { be.Balancing = b })
}

func derefCookie(c *model.CookieAffinity) model.CookieAffinity {
	if c == nil {
		return model.CookieAffinity{}
	}
	return *c
}
