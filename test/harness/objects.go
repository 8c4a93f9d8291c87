package harness

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
)

// ControllerClass is the spec.controller of the IngressClasses archway
// serves in these tests (its --controller-class).
const ControllerClass = "archway.dev/ingress-controller"

// ServicePort is the one port of every test Service: "http" (80), whose
// named target port the EndpointSlices resolve to BackendPort.
const ServicePort = "http"

var nonLabel = regexp.MustCompile(`[^a-z0-9]+`)

// NewNamespace creates a namespace named after the test and deletes it,
// with everything the tests put in it, when the test ends. Tests also use
// the name for their ingress class, so both are unique.
func (s *Suite) NewNamespace(t testing.TB) string {
	t.Helper()
	name := strings.Trim(nonLabel.ReplaceAllString(strings.ToLower(strings.TrimPrefix(t.Name(), "Test")), "-"), "-")
	name = strings.TrimRight("e2e-"+name[:min(len(name), 50)], "-")
	s.NewNamespaceNamed(t, name)
	return name
}

// NewNamespaceNamed creates the namespace name and deletes it, with
// everything the tests put in it, when the test ends.
func (s *Suite) NewNamespaceNamed(t testing.TB, name string) {
	t.Helper()
	require.NoError(t, CreateNamespace(t.Context(), s.Cluster.Admin, name))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		require.NoError(t, s.deleteNamespace(ctx, name))
	})
}

// CreateNamespace creates the namespace name.
func CreateNamespace(ctx context.Context, client kubernetes.Interface, name string) error {
	_, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("create namespace %s: %w", name, err)
	}
	return nil
}

// DeleteNamespace deletes what the tests create in a namespace, then the
// namespace. With no controller-manager to empty and finalize it, the test
// does both: the objects first, or they would outlive their namespace.
func DeleteNamespace(ctx context.Context, client kubernetes.Interface, name string) error {
	all := metav1.ListOptions{}
	for kind, deleteAll := range map[string]func() error{
		"Ingresses": func() error {
			return client.NetworkingV1().Ingresses(name).DeleteCollection(ctx, metav1.DeleteOptions{}, all)
		},
		"Services": func() error { return deleteServices(ctx, client, name) },
		"EndpointSlices": func() error {
			return client.DiscoveryV1().EndpointSlices(name).DeleteCollection(ctx, metav1.DeleteOptions{}, all)
		},
		"Events": func() error { return client.CoreV1().Events(name).DeleteCollection(ctx, metav1.DeleteOptions{}, all) },
	} {
		if err := deleteAll(); err != nil {
			return fmt.Errorf("delete %s in %s: %w", kind, name, err)
		}
	}
	namespaces := client.CoreV1().Namespaces()
	if err := namespaces.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
		return fmt.Errorf("delete namespace %s: %w", name, err)
	}
	ns, err := namespaces.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get namespace %s: %w", name, err)
	}
	ns.Spec.Finalizers = nil
	if _, err := namespaces.Finalize(ctx, ns, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("finalize namespace %s: %w", name, err)
	}
	return nil
}

// deleteServices deletes Services one by one: the API has no
// DeleteCollection for them.
func deleteServices(ctx context.Context, client kubernetes.Interface, namespace string) error {
	list, err := client.CoreV1().Services(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, svc := range list.Items {
		if err := client.CoreV1().Services(namespace).Delete(ctx, svc.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}

// CreateIngressClass creates a cluster-wide IngressClass, deleted at the end.
func (s *Suite) CreateIngressClass(t testing.TB, name, controller string) {
	t.Helper()
	classes := s.Cluster.Admin.NetworkingV1().IngressClasses()
	_, err := classes.Create(t.Context(), &networkingv1.IngressClass{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       networkingv1.IngressClassSpec{Controller: controller},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, classes.Delete(ctx, name, metav1.DeleteOptions{}))
	})
}

// CreateService creates a ClusterIP Service with the port servicePort (80,
// target port "web") and an EndpointSlice with the backends, ready or not.
// It returns the EndpointSlice, for SetReady.
func (s *Suite) CreateService(t testing.TB, namespace, name string, ready bool, backends ...Backend) *discoveryv1.EndpointSlice {
	t.Helper()
	_, err := s.Cluster.Admin.CoreV1().Services(namespace).Create(t.Context(), &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{
			Name: ServicePort, Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromString("web"),
		}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Name:   name + "-e2e",
			Labels: map[string]string{discoveryv1.LabelServiceName: name, discoveryv1.LabelManagedBy: "archway-e2e"},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To(ServicePort), Port: ptr.To[int32](BackendPort), Protocol: ptr.To(corev1.ProtocolTCP)}},
	}
	for _, b := range backends {
		slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{
			Addresses: []string{b.IP}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(ready)},
		})
	}
	slice, err = s.Cluster.Admin.DiscoveryV1().EndpointSlices(namespace).Create(t.Context(), slice, metav1.CreateOptions{})
	require.NoError(t, err)
	return slice
}

// SetReady sets the ready condition of the slice's endpoints: ready[i] for
// endpoint i. It returns the updated slice.
func (s *Suite) SetReady(t testing.TB, slice *discoveryv1.EndpointSlice, ready ...bool) *discoveryv1.EndpointSlice {
	t.Helper()
	require.Len(t, ready, len(slice.Endpoints))
	slice = slice.DeepCopy()
	for i := range slice.Endpoints {
		slice.Endpoints[i].Conditions.Ready = ptr.To(ready[i])
	}
	slice, err := s.Cluster.Admin.DiscoveryV1().EndpointSlices(slice.Namespace).Update(t.Context(), slice, metav1.UpdateOptions{})
	require.NoError(t, err)
	return slice
}

// Route is one path of an Ingress rule. The backend is Service's port
// ServicePort by name, unless PortNumber or PortName is set.
type Route struct {
	Host, Path string
	PathType   networkingv1.PathType
	Service    string
	PortNumber int32
	PortName   string
}

// NewIngress builds an Ingress with one rule per host, in the order the
// hosts first appear in routes. Class selection is left to the caller.
func NewIngress(namespace, name string, routes ...Route) *networkingv1.Ingress {
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	rules := map[string]*networkingv1.HTTPIngressRuleValue{}
	for _, r := range routes {
		if rules[r.Host] == nil {
			ing.Spec.Rules = append(ing.Spec.Rules, networkingv1.IngressRule{
				Host: r.Host, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{}},
			})
			rules[r.Host] = ing.Spec.Rules[len(ing.Spec.Rules)-1].HTTP
		}
		rules[r.Host].Paths = append(rules[r.Host].Paths, networkingv1.HTTPIngressPath{
			Path: r.Path, PathType: ptr.To(r.PathType), Backend: ServiceBackend(r.Service, r.PortNumber, r.PortName),
		})
	}
	return ing
}

// ServiceBackend is the backend of a Service port, by number, or by
// name (ServicePort when neither is given).
func ServiceBackend(service string, number int32, name string) networkingv1.IngressBackend {
	port := networkingv1.ServiceBackendPort{Number: number, Name: name}
	if number == 0 && name == "" {
		port.Name = ServicePort
	}
	return networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: service, Port: port}}
}

// WithClass sets spec.ingressClassName.
func WithClass(ing *networkingv1.Ingress, class string) *networkingv1.Ingress {
	ing.Spec.IngressClassName = ptr.To(class)
	return ing
}

// CreateIngress creates ing and returns the time just before the call, from
// which the tests measure how long archway takes to serve it.
func (s *Suite) CreateIngress(t testing.TB, ing *networkingv1.Ingress) time.Time {
	t.Helper()
	start := time.Now()
	_, err := s.Cluster.Admin.NetworkingV1().Ingresses(ing.Namespace).Create(t.Context(), ing, metav1.CreateOptions{})
	require.NoError(t, err)
	return start
}

// UpdateIngress gets an Ingress, changes it and updates it.
func (s *Suite) UpdateIngress(t testing.TB, namespace, name string, change func(*networkingv1.Ingress)) {
	t.Helper()
	UpdateIngressWith(t, s.Cluster.Admin, namespace, name, change)
}

// UpdateIngressWith gets an Ingress through client, changes it and updates
// it, from the latest version again after a conflict: archway writes the
// status of the Ingresses it serves meanwhile.
func UpdateIngressWith(t testing.TB, client kubernetes.Interface, namespace, name string, change func(*networkingv1.Ingress)) {
	t.Helper()
	ingresses := client.NetworkingV1().Ingresses(namespace)
	require.NoError(t, retry.RetryOnConflict(retry.DefaultRetry, func() error {
		ing, err := ingresses.Get(t.Context(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		change(ing)
		_, err = ingresses.Update(t.Context(), ing, metav1.UpdateOptions{})
		return err
	}))
}

// DeleteIngress deletes an Ingress.
func (s *Suite) DeleteIngress(t testing.TB, namespace, name string) {
	t.Helper()
	require.NoError(t, s.Cluster.Admin.NetworkingV1().Ingresses(namespace).Delete(t.Context(), name, metav1.DeleteOptions{}))
}
