package controller

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/archway-ingress/archway/internal/source"
	"github.com/archway-ingress/archway/internal/testutil"
)

// endpointWorld is a cluster whose EndpointSlices a test changes at
// random. Its Services' endpoints feed every kind of reader: backends of
// Ingresses by port number and by name, a service-upstream twin, a
// balancing twin, a TCP service and a passthrough host. A host's
// certificate is renewed now and then in the same sync.
type endpointWorld struct {
	t      *testing.T
	ings   []*networkingv1.Ingress
	slices []*discoveryv1.EndpointSlice
	base   source.Snapshot
}

var endpointServices = []string{"web", "api", "db", "tls"}

func newEndpointWorld(t *testing.T) *endpointWorld {
	w := &endpointWorld{t: t}
	var services []*corev1.Service
	for _, name := range endpointServices {
		svc := service(name)
		svc.Spec.ClusterIP = "10.96.0.10"
		svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{Name: "grpc", Port: 9000})
		services = append(services, svc)
	}
	byName := func(ing *networkingv1.Ingress, svc, port string) *networkingv1.Ingress {
		ing.Spec.Rules[0].HTTP.Paths[0].Backend.Service = &networkingv1.IngressServiceBackend{Name: svc, Port: networkingv1.ServiceBackendPort{Name: port}}
		return ing
	}
	w.ings = []*networkingv1.Ingress{
		ingress("web", "web.example.com"),
		byName(ingress("api", "api.example.com"), "api", "grpc"),
		withAnnotations(ingress("upstream", "up.example.com"), map[string]string{"nginx.ingress.kubernetes.io/service-upstream": "true"}),
		withAnnotations(byName(ingress("hashed", "hash.example.com"), "api", "http"), map[string]string{"nginx.ingress.kubernetes.io/upstream-hash-by": "$request_uri"}),
		withAnnotations(byName(ingress("passed", "tls.example.com"), "tls", "http"), map[string]string{"nginx.ingress.kubernetes.io/ssl-passthrough": "true"}),
		tlsIngress("secure", "secure.example.com", "secure-tls"),
	}
	for i, name := range endpointServices {
		for k := range 2 {
			w.slices = append(w.slices, w.slice(name, fmt.Sprintf("%s-%d", name, k), byte(10*i+k)))
		}
	}
	w.base = source.Snapshot{IngressClasses: archwayClass(), Services: services,
		Secrets: []*corev1.Secret{testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"default.example.com"}}).Secret("default", "default-tls"),
			w.secureSecret()},
		ConfigMaps: []*corev1.ConfigMap{{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "tcp"},
			Data: map[string]string{"5432": "default/db:http", "5433": "default/db:9000"}}}}
	return w
}

// secureSecret returns a new certificate of host secure.example.com.
func (w *endpointWorld) secureSecret() *corev1.Secret {
	return testutil.NewCert(w.t, testutil.CertOptions{Hosts: []string{"secure.example.com"}}).Secret("default", "secure-tls")
}

// slice returns an EndpointSlice of Service svc with two ready endpoints
// on both its ports.
func (w *endpointWorld) slice(svc, name string, n byte) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name,
			Labels: map[string]string{discoveryv1.LabelServiceName: svc}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080)}, {Name: ptr.To("grpc"), Port: ptr.To[int32](9090)}},
		Endpoints: []discoveryv1.Endpoint{
			{Addresses: []string{fmt.Sprintf("10.0.%d.1", n)}},
			{Addresses: []string{fmt.Sprintf("10.0.%d.2", n)}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}},
		},
	}
}

// snapshot lists the objects, EndpointSlices in a random order as
// informers do.
func (w *endpointWorld) snapshot(rng *rand.Rand) source.Snapshot {
	snap := w.base
	snap.Ingresses = w.ings
	snap.EndpointSlices = slices.Clone(w.slices)
	rng.Shuffle(len(snap.EndpointSlices), func(i, j int) {
		snap.EndpointSlices[i], snap.EndpointSlices[j] = snap.EndpointSlices[j], snap.EndpointSlices[i]
	})
	return snap
}

// change makes one change at random and says whether it only changed
// EndpointSlices, which a sync takes without a Build.
func (w *endpointWorld) change(rng *rand.Rand) (endpointsOnly bool) {
	if rng.IntN(8) == 0 {
		i := rng.IntN(len(w.ings))
		w.ings = slices.Clone(w.ings)
		w.ings[i] = w.ings[i].DeepCopy() // the same Ingress, a new object
		return false
	}
	if rng.IntN(6) == 0 { // renewed in place, in the same sync
		w.base.Secrets = []*corev1.Secret{w.base.Secrets[0], w.secureSecret()}
	}
	w.slices = slices.Clone(w.slices)
	if rng.IntN(8) == 0 || len(w.slices) == 0 { // a new slice
		svc := endpointServices[rng.IntN(len(endpointServices))]
		w.slices = append(w.slices, w.slice(svc, fmt.Sprintf("%s-new-%d", svc, rng.IntN(1000)), byte(100+rng.IntN(100))))
		return true
	}
	i := rng.IntN(len(w.slices))
	s := w.slices[i].DeepCopy()
	w.slices[i] = s
	for len(s.Endpoints) < 2 { // some changes below need two
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{fmt.Sprintf("10.2.0.%d", len(s.Endpoints)+1)}})
	}
	switch rng.IntN(10) {
	case 0:
		w.slices = slices.Delete(w.slices, i, i+1)
	case 1: // to another Service
		s.Labels[discoveryv1.LabelServiceName] = endpointServices[rng.IntN(len(endpointServices))]
	case 2: // addresses the proxy must refuse
		s.Endpoints[0].Addresses = []string{[]string{"127.0.0.1", "169.254.169.254", "fd00::1", "not-an-ip"}[rng.IntN(4)]}
	case 3:
		s.Ports[rng.IntN(2)].Port = ptr.To([]int32{0, 70000, 8081}[rng.IntN(3)])
	case 4:
		s.Endpoints[rng.IntN(2)].Conditions.Ready = ptr.To(rng.IntN(2) == 0)
	case 5: // the same address as another slice's
		s.Endpoints[0].Addresses = []string{"10.0.0.1"}
	case 6:
		s.Endpoints = s.Endpoints[:rng.IntN(len(s.Endpoints)+1)]
	default:
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{fmt.Sprintf("10.1.%d.%d", rng.IntN(3), rng.IntN(250)+1)}})
	}
	return true
}

// TestEndpointChangeEqualsBuild changes EndpointSlices (and now and then
// an Ingress or a certificate) at random and compares, after each change, the config a
// sync makes without a Build with the one Build and Render make: model,
// report and Output must be equal. Every change of EndpointSlices alone
// must take the path without a Build.
func TestEndpointChangeEqualsBuild(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 15))
			w := newEndpointWorld(t)
			src := &memorySource{Notifier: source.NewNotifier(), snap: w.snapshot(rng)}
			c := benchController(t, src, &diffingApplier{})
			c.opts.Build.DefaultCertificate = "default/default-tls"
			c.opts.Build.SSLPassthrough = true
			c.opts.Build.TCPServices = "default/tcp"
			require.NoError(t, c.sync(t.Context()))
			require.NotNil(t, c.last.Passthrough)
			require.Len(t, c.last.Streams, 2)
			fast := syncWithoutBuild(t, c, src, 60, func() (source.Snapshot, bool) {
				endpointsOnly := w.change(rng)
				return w.snapshot(rng), endpointsOnly
			})
			require.NotZero(t, fast)
		})
	}
}
