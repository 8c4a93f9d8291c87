package source

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

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
		if err := s.addDocument(raw); err != nil {
			s.LoadErrors = append(s.LoadErrors, LoadError{File: file, Doc: doc, Err: err})
		}
		doc++
	}
}

func (s *Snapshot) addDocument(raw []byte) error {
	obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(raw, nil, nil)
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
			if err := s.addDocument(item.Raw); err != nil {
				errs = append(errs, fmt.Errorf("items[%d]: %w", i, err))
			}
		}
		return errors.Join(errs...)
	case *networkingv1.Ingress:
		defaultNamespace(&o.Namespace)
		s.Ingresses = append(s.Ingresses, o)
	case *networkingv1.IngressClass:
		s.IngressClasses = append(s.IngressClasses, o)
	case *corev1.Service:
		defaultNamespace(&o.Namespace)
		s.Services = append(s.Services, o)
	case *discoveryv1.EndpointSlice:
		defaultNamespace(&o.Namespace)
		s.EndpointSlices = append(s.EndpointSlices, o)
	case *corev1.Secret:
		defaultNamespace(&o.Namespace)
		s.Secrets = append(s.Secrets, o)
	case *corev1.ConfigMap:
		// The folder source has no --configmap to match; the last
		// ConfigMap in the folder is the controller's.
		defaultNamespace(&o.Namespace)
		s.ConfigMap = o
	}
	return nil
}

// Add appends o's objects and load errors to s; o's ConfigMap, if any,
// replaces s's, as a later document does.
func (s *Snapshot) Add(o Snapshot) {
	s.Ingresses = append(s.Ingresses, o.Ingresses...)
	s.IngressClasses = append(s.IngressClasses, o.IngressClasses...)
	s.Services = append(s.Services, o.Services...)
	s.EndpointSlices = append(s.EndpointSlices, o.EndpointSlices...)
	s.Secrets = append(s.Secrets, o.Secrets...)
	if o.ConfigMap != nil {
		s.ConfigMap = o.ConfigMap
	}
	s.LoadErrors = append(s.LoadErrors, o.LoadErrors...)
}

func defaultNamespace(ns *string) {
	if *ns == "" {
		*ns = "default"
	}
}
