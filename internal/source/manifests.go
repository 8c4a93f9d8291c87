package source

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	extensionsv1beta1 "k8s.io/api/extensions/v1beta1"
	networkingv1 "k8s.io/api/networking/v1"
	networkingv1beta1 "k8s.io/api/networking/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"
)

// decoder reads client-go's kinds and the Gateway API's v1 kinds.
var decoder = func() runtime.Decoder {
	s := runtime.NewScheme()
	if err := errors.Join(scheme.AddToScheme(s), gatewayv1.Install(s)); err != nil {
		panic(err)
	}
	return serializer.NewCodecFactory(s).UniversalDeserializer()
}()

// AddManifests decodes every document of one YAML or JSON file (multi-document
// YAML and v1 Lists included) and adds the objects of the kinds a Snapshot
// holds. Documents of other known kinds (a Deployment, say) and of kinds this
// program does not know (custom resources) are ignored. A document that does
// not parse is recorded in LoadErrors with its index and skipped; the others
// are still added. Namespaced objects without a namespace get "default".
func (s *Snapshot) AddManifests(file string, data []byte) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for doc := 0; ; {
		text, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			s.LoadErrors = append(s.LoadErrors, LoadError{File: file, Doc: doc, Err: err})
			return
		}
		raw, err := yaml.YAMLToJSON(text)
		if err != nil {
			s.LoadErrors = append(s.LoadErrors, LoadError{File: file, Doc: doc, Err: err})
			doc++
			continue
		}
		if trimmed := bytes.TrimSpace(raw); len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
			continue // an empty document between two separators
		}
		if err := s.addDocument(file, doc, raw); err != nil {
			s.LoadErrors = append(s.LoadErrors, LoadError{File: file, Doc: doc, Err: err})
		}
		doc++
	}
}

func (s *Snapshot) addDocument(file string, doc int, raw []byte) error {
	obj, _, err := decoder.Decode(raw, nil, nil)
	if runtime.IsNotRegisteredError(err) {
		return nil
	}
	if err != nil {
		return err
	}
	switch o := obj.(type) {
	case *corev1.List:
		var errs []error
		for i, item := range o.Items {
			if err := s.addDocument(file, doc, item.Raw); err != nil {
				errs = append(errs, fmt.Errorf("items[%d]: %w", i, err))
			}
		}
		return errors.Join(errs...)
	case *networkingv1.Ingress:
		addNamespaced(&s.Ingresses, o)
	case *networkingv1beta1.Ingress:
		s.addObsolete(file, doc, "networking.k8s.io/v1beta1", o)
	case *extensionsv1beta1.Ingress:
		s.addObsolete(file, doc, "extensions/v1beta1", o)
	case *networkingv1.IngressClass:
		s.IngressClasses = append(s.IngressClasses, o)
	case *corev1.Service:
		addNamespaced(&s.Services, o)
	case *discoveryv1.EndpointSlice:
		addNamespaced(&s.EndpointSlices, o)
	case *corev1.Secret:
		addNamespaced(&s.Secrets, o)
	case *corev1.ConfigMap:
		// The folder source has no --configmap to match; the last
		// ConfigMap in the folder is the controller's (unless builder
		// finds it is a TCP or UDP services ConfigMap).
		addNamespaced(&s.ConfigMaps, o)
		s.ConfigMap = o
	case *gatewayv1.GatewayClass:
		s.GatewayClasses = append(s.GatewayClasses, o)
	case *gatewayv1.Gateway:
		addNamespaced(&s.Gateways, o)
	case *gatewayv1.HTTPRoute:
		addNamespaced(&s.HTTPRoutes, o)
	case *gatewayv1.ReferenceGrant:
		addNamespaced(&s.ReferenceGrants, o)
	case *corev1.Namespace:
		s.Namespaces = append(s.Namespaces, o)
	}
	return nil
}

// addObsolete records an Ingress of a removed API version: manifests
// written before Kubernetes 1.22 still carry them, and skipping one
// without a word would leave its hosts unserved with no hint why.
func (s *Snapshot) addObsolete(file string, doc int, apiVersion string, o metav1.Object) {
	s.Obsolete = append(s.Obsolete, LoadError{File: file, Doc: doc, Err: fmt.Errorf(
		"Ingress %s/%s is %s, which Kubernetes removed in 1.22; archway reads networking.k8s.io/v1 only and does not serve it: convert it (spec.rules[].http.paths[] need pathType and backend.service.name/port)",
		namespaceOrDefault(o), o.GetName(), apiVersion)})
}

// Add appends o's objects and load errors to s; o's ConfigMap, if any,
// replaces s's, as a later document does.
func (s *Snapshot) Add(o Snapshot) {
	s.Ingresses = append(s.Ingresses, o.Ingresses...)
	s.IngressClasses = append(s.IngressClasses, o.IngressClasses...)
	s.Services = append(s.Services, o.Services...)
	s.EndpointSlices = append(s.EndpointSlices, o.EndpointSlices...)
	s.Secrets = append(s.Secrets, o.Secrets...)
	s.ConfigMaps = append(s.ConfigMaps, o.ConfigMaps...)
	s.GatewayClasses = append(s.GatewayClasses, o.GatewayClasses...)
	s.Gateways = append(s.Gateways, o.Gateways...)
	s.HTTPRoutes = append(s.HTTPRoutes, o.HTTPRoutes...)
	s.ReferenceGrants = append(s.ReferenceGrants, o.ReferenceGrants...)
	s.Namespaces = append(s.Namespaces, o.Namespaces...)
	if o.ConfigMap != nil {
		s.ConfigMap = o.ConfigMap
	}
	s.LoadErrors = append(s.LoadErrors, o.LoadErrors...)
	s.Obsolete = append(s.Obsolete, o.Obsolete...)
}

// addNamespaced appends a namespaced object to its list, in "default"
// when the manifest names no namespace, as kubectl apply would put it.
func addNamespaced[T metav1.Object](list *[]T, o T) {
	o.SetNamespace(namespaceOrDefault(o))
	*list = append(*list, o)
}

func namespaceOrDefault(o metav1.Object) string {
	return cmp.Or(o.GetNamespace(), "default")
}
