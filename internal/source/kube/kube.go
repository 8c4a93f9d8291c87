package kube

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	networkinglisters "k8s.io/client-go/listers/networking/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/archway-ingress/archway/internal/source"
)

// Options configure a Source.
type Options struct {
	// Namespace restricts the namespaced kinds to one namespace; "" watches
	// all namespaces.
	Namespace string
	// ConfigMap is the controller's ConfigMap as "namespace/name"; "" for
	// none.
	ConfigMap string
	// Others are more ConfigMaps ("namespace/name") for
	// Snapshot.ConfigMaps: the TCP and UDP services.
	Others []string
	// Gateway, when set, adds the Gateway API kinds (gateway.go).
	Gateway *GatewayOptions
	// ConfigMapRefs, when set, names the ConfigMaps ("namespace/name")
	// that a Snapshot's objects refer to (header ConfigMaps): those of
	// the watched namespace are added to the Snapshot's ConfigMaps, and
	// a change of one signals. ConfigMaps no Snapshot refers to cause no
	// sync.
	ConfigMapRefs func(source.Snapshot) []string
	// Logger receives the Source's logs; nil discards them.
	Logger *slog.Logger
}

// Source watches a cluster through shared informers.
type Source struct {
	logger    *slog.Logger
	notifier  *source.Notifier
	factories []informers.SharedInformerFactory
	informers []cache.SharedIndexInformer
	err       error // a malformed Options.ConfigMap, reported by Start

	ingresses      networkinglisters.IngressLister
	ingressClasses networkinglisters.IngressClassLister
	services       corelisters.ServiceLister
	endpointSlices discoverylisters.EndpointSliceLister
	secrets        corelisters.SecretLister
	configMaps     corelisters.ConfigMapNamespaceLister // nil without a ConfigMap
	configMapName  string
	others         []namedConfigMap
	gateway        *gatewayWatch // nil without Options.Gateway
	filled         atomic.Bool   // Start filled the caches
	// referable are the watched namespace's ConfigMaps, which refs picks
	// from; referred is the set of "namespace/name" the last Snapshot
	// referred to, which the ConfigMap informer's handler reads.
	referable corelisters.ConfigMapLister
	refs      func(source.Snapshot) []string
	referred  atomic.Pointer[map[string]bool]
	handlers  map[cache.SharedIndexInformer]cache.ResourceEventHandler
}

var _ source.Source = (*Source)(nil)

// New prepares the informers; nothing is read before Start.
func New(client kubernetes.Interface, opts Options) *Source {
	s := &Source{logger: opts.Logger, notifier: source.NewNotifier()}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	transform := informers.WithTransform(slim)
	watched := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(opts.Namespace), transform)
	cluster := informers.NewSharedInformerFactoryWithOptions(client, 0, transform)
	withoutReleases := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(opts.Namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.FieldSelector = secretSelector }), transform)
	s.factories = []informers.SharedInformerFactory{watched, cluster, withoutReleases}

	ingresses := watched.Networking().V1().Ingresses()
	services := watched.Core().V1().Services()
	endpointSlices := watched.Discovery().V1().EndpointSlices()
	secrets := withoutReleases.Core().V1().Secrets()
	ingressClasses := cluster.Networking().V1().IngressClasses()
	s.ingresses, s.services, s.endpointSlices, s.secrets, s.ingressClasses =
		ingresses.Lister(), services.Lister(), endpointSlices.Lister(), secrets.Lister(), ingressClasses.Lister()
	s.informers = []cache.SharedIndexInformer{
		ingresses.Informer(), services.Informer(), endpointSlices.Informer(), secrets.Informer(), ingressClasses.Informer(),
	}
	if opts.Gateway != nil {
		s.gateway = &gatewayWatch{opts: *opts.Gateway, namespace: opts.Namespace, discovery: client.Discovery(), core: client,
			notifier: s.notifier, logger: s.logger}
	}

	if opts.ConfigMapRefs != nil {
		configMaps := watched.Core().V1().ConfigMaps()
		informer := configMaps.Informer() // a new value at each call
		s.referable, s.refs = configMaps.Lister(), opts.ConfigMapRefs
		s.referred.Store(&map[string]bool{})
		s.informers = append(s.informers, informer)
		s.handlers = map[cache.SharedIndexInformer]cache.ResourceEventHandler{informer: changeHandler(referredNotifier{s})}
	}
	for _, name := range opts.Others {
		other, err := s.watchConfigMap(client, name, transform)
		if err != nil {
			s.err = err
			return s
		}
		s.others = append(s.others, other)
	}
	if opts.ConfigMap == "" {
		return s
	}
	own, err := s.watchConfigMap(client, opts.ConfigMap, transform)
	if err != nil {
		s.err = err
		return s
	}
	s.configMaps, s.configMapName = own.lister, own.name
	return s
}

// namedConfigMap is a ConfigMap watched alone, by name.
type namedConfigMap struct {
	lister corelisters.ConfigMapNamespaceLister
	name   string
}

// watchConfigMap adds an informer of the one ConfigMap "namespace/name".
func (s *Source) watchConfigMap(client kubernetes.Interface, value string, transform informers.SharedInformerOption) (namedConfigMap, error) {
	namespace, name, ok := strings.Cut(value, "/")
	if !ok || namespace == "" || name == "" || strings.Contains(name, "/") {
		return namedConfigMap{}, fmt.Errorf("configmap %q: want namespace/name", value)
	}
	own := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(namespace), byName(name), transform)
	configMaps := own.Core().V1().ConfigMaps()
	s.factories = append(s.factories, own)
	s.informers = append(s.informers, configMaps.Informer())
	return namedConfigMap{lister: configMaps.Lister().ConfigMaps(namespace), name: name}, nil
}

// byName makes informers list and watch the objects of that name alone.
func byName(name string) informers.SharedInformerOption {
	return informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("metadata.name", name).String()
	})
}

// secretSelector keeps Helm's release Secrets, often the largest objects
// of a namespace and never a certificate or a password file, out of the
// cache.
var secretSelector = fields.OneTermNotEqualSelector("type", "helm.sh/release.v1").String()

// lastApplied is kubectl's copy of an object's previous manifest.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// slim runs before an object enters a cache and drops what archway never
// reads and what is often the largest part of an object: managedFields,
// kubectl's last-applied copy, and where each endpoint runs. At thousands
// of objects this is most of the caches' memory. Transforms may modify the
// object they are given.
func slim(obj any) (any, error) {
	m, ok := obj.(metav1.Object)
	if !ok {
		return obj, nil
	}
	m.SetManagedFields(nil)
	if _, ok := m.GetAnnotations()[lastApplied]; ok {
		annotations := maps.Clone(m.GetAnnotations())
		delete(annotations, lastApplied)
		m.SetAnnotations(annotations)
	}
	if slice, ok := obj.(*discoveryv1.EndpointSlice); ok {
		for i := range slice.Endpoints {
			ep := &slice.Endpoints[i]
			ep.TargetRef, ep.NodeName, ep.Zone, ep.Hints, ep.DeprecatedTopology = nil, nil, nil, nil, nil
		}
	}
	return obj, nil
}

// Changed implements source.Source.
func (s *Source) Changed() <-chan struct{} { return s.notifier.Changed() }

// Start starts the informers and returns once their caches are filled, or
// with an error when ctx ends first. The informers stop when ctx ends.
func (s *Source) Start(ctx context.Context) error {
	if s.err != nil {
		return s.err
	}
	handler := changeHandler(everyChange{s.notifier})
	for _, informer := range s.informers {
		h, ok := s.handlers[informer]
		if !ok {
			h = handler
		}
		if _, err := informer.AddEventHandler(h); err != nil {
			return fmt.Errorf("add informer event handler: %w", err)
		}
	}
	for _, f := range s.factories {
		f.StartWithContext(ctx)
	}
	for _, f := range s.factories {
		if err := f.WaitForCacheSyncWithContext(ctx).AsError(); err != nil {
			return fmt.Errorf("fill informer caches: %w", err)
		}
	}
	if s.gateway != nil {
		if err := s.gateway.start(ctx); err != nil {
			return err
		}
	}
	s.filled.Store(true)
	s.logger.Info("informer caches filled")
	return nil
}

// IngressClass returns the cached IngressClass of that name, nil when
// there is none, and an error until Start has filled the caches (the
// admission webhook's class lookup).
func (s *Source) IngressClass(name string) (*networkingv1.IngressClass, error) {
	if !s.filled.Load() {
		return nil, errors.New("the informer caches are not filled yet")
	}
	class, err := s.ingressClasses.Get(name)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	return class, err
}

// ConfigMap returns the controller's ConfigMap from the cache, nil when
// there is none (or no Options.ConfigMap).
func (s *Source) ConfigMap() (*corev1.ConfigMap, error) {
	if s.configMaps == nil {
		return nil, nil
	}
	cm, err := s.configMaps.Get(s.configMapName)
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("get ConfigMap %q: %w", s.configMapName, err)
	}
	return cm, nil
}

// notifier is told of an object's change.
type notifier interface{ NotifyOf(obj any) }

// everyChange signals every change.
type everyChange struct{ *source.Notifier }

func (n everyChange) NotifyOf(any) { n.Notify() }

// referredNotifier signals the changes of the ConfigMaps that the last
// Snapshot referred to (or would have, had they existed).
type referredNotifier struct{ s *Source }

func (n referredNotifier) NotifyOf(obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	if m, ok := obj.(metav1.Object); ok && (*n.s.referred.Load())[m.GetNamespace()+"/"+m.GetName()] {
		n.s.notifier.Notify()
	}
}

// changeHandler signals every add, update and delete after the initial
// listing, except updates that carry a ResourceVersion seen before.
func changeHandler(n notifier) cache.ResourceEventHandler {
	return cache.ResourceEventHandlerDetailedFuncs{
		AddFunc: func(obj any, initial bool) {
			if !initial {
				n.NotifyOf(obj)
			}
		},
		UpdateFunc: func(oldObj, newObj any) {
			if !sameVersion(oldObj, newObj) && !onlyIngressStatus(oldObj, newObj) && !onlyGatewayStatus(oldObj, newObj) &&
				!sameNamespaceLabels(oldObj, newObj) {
				n.NotifyOf(newObj)
			}
		},
		DeleteFunc: func(obj any) { n.NotifyOf(obj) },
	}
}

// sameVersion reports whether two versions of an object are known to be
// equal. The API server always sets a ResourceVersion; an empty one (a fake
// client) proves nothing, so it counts as a change.
func sameVersion(oldObj, newObj any) bool {
	o, ok1 := oldObj.(metav1.Object)
	n, ok2 := newObj.(metav1.Object)
	return ok1 && ok2 && o.GetResourceVersion() != "" && o.GetResourceVersion() == n.GetResourceVersion()
}

// onlyIngressStatus reports whether an update changed an Ingress's status
// or labels, and nothing Build reads (spec, annotations; name, namespace
// and creation time never change). archway's own status writes are such updates: a
// sync for each would cost a build and render per written Ingress.
func onlyIngressStatus(oldObj, newObj any) bool {
	o, ok1 := oldObj.(*networkingv1.Ingress)
	n, ok2 := newObj.(*networkingv1.Ingress)
	return ok1 && ok2 && maps.Equal(o.Annotations, n.Annotations) && equality.Semantic.DeepEqual(o.Spec, n.Spec)
}

// Snapshot lists the informer caches. Listing a cache does not fail in
// client-go today; should it ever, the error keeps the last config serving
// rather than an empty one.
func (s *Source) Snapshot() (source.Snapshot, error) {
	var snap source.Snapshot
	errs := []error{
		listAll(&snap.Ingresses, s.ingresses),
		listAll(&snap.IngressClasses, s.ingressClasses),
		listAll(&snap.Services, s.services),
		listAll(&snap.EndpointSlices, s.endpointSlices),
		listAll(&snap.Secrets, s.secrets),
	}
	if s.gateway != nil {
		errs = append(errs, s.gateway.list(&snap))
	}
	cm, err := s.ConfigMap()
	snap.ConfigMap, errs = cm, append(errs, err)
	for _, other := range s.others {
		switch cm, err := other.lister.Get(other.name); {
		case err == nil:
			snap.ConfigMaps = append(snap.ConfigMaps, cm)
		case !apierrors.IsNotFound(err):
			errs = append(errs, fmt.Errorf("get ConfigMap %q: %w", other.name, err))
		}
	}
	errs = append(errs, s.addReferred(&snap))
	if err := errors.Join(errs...); err != nil {
		return source.Snapshot{}, fmt.Errorf("list informer caches: %w", err)
	}
	return snap, nil
}

// addReferred adds the cached ConfigMaps that snap refers to (see
// Options.ConfigMapRefs) and that it does not hold yet, and records the
// references for the change handler.
func (s *Source) addReferred(snap *source.Snapshot) error {
	if s.refs == nil {
		return nil
	}
	referred := map[string]bool{}
	held := map[string]bool{}
	for _, cm := range append(slices.Clone(snap.ConfigMaps), snap.ConfigMap) {
		if cm != nil {
			held[cm.Namespace+"/"+cm.Name] = true
		}
	}
	var errs []error
	for _, ref := range s.refs(*snap) {
		referred[ref] = true
		namespace, name, _ := strings.Cut(ref, "/")
		if held[ref] {
			continue
		}
		switch cm, err := s.referable.ConfigMaps(namespace).Get(name); {
		case err == nil:
			snap.ConfigMaps = append(snap.ConfigMaps, cm)
		case !apierrors.IsNotFound(err):
			errs = append(errs, fmt.Errorf("get ConfigMap %q: %w", ref, err))
		}
	}
	s.referred.Store(&referred)
	return errors.Join(errs...)
}

type lister[T any] interface {
	List(labels.Selector) ([]T, error)
}

func listAll[T any](dst *[]T, l lister[T]) error {
	var err error
	*dst, err = l.List(labels.Everything())
	return err
}
