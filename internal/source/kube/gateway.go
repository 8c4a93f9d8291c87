package kube

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"
	gatewayinformers "sigs.k8s.io/gateway-api/pkg/client/informers/externalversions"
	gatewaylisters "sigs.k8s.io/gateway-api/pkg/client/listers/apis/v1"

	"github.com/archway-ingress/archway/internal/source"
)

// GatewayOptions turn on the Gateway API kinds.
type GatewayOptions struct {
	Client gatewayclient.Interface
	// Require makes Start fail when the cluster lacks the Gateway API CRDs
	// (--gateway-api). Without it, archway watches them once they appear.
	Require bool
	// Poll is how often discovery is asked whether the CRDs appeared; 0
	// means DefaultGatewayPoll.
	Poll time.Duration
}

// DefaultGatewayPoll is how often archway looks for the Gateway API CRDs
// while they are missing.
const DefaultGatewayPoll = 30 * time.Second

// gatewayResources are the resources of gateway.networking.k8s.io/v1
// archway watches: all must be served before it starts.
var gatewayResources = []string{"gatewayclasses", "gateways", "httproutes", "referencegrants"}

// gatewayWatch starts the Gateway API informers once the CRDs exist.
type gatewayWatch struct {
	opts      GatewayOptions
	namespace string
	discovery discovery.DiscoveryInterface
	// core lists the Namespaces, whose labels listeners' allowedRoutes
	// selectors match.
	core     kubernetes.Interface
	notifier *source.Notifier
	logger   *slog.Logger
	listers  atomic.Pointer[gatewayListers] // nil until the caches are filled
}

type gatewayListers struct {
	classes  gatewaylisters.GatewayClassLister
	gateways gatewaylisters.GatewayLister
	routes   gatewaylisters.HTTPRouteLister
	grants   gatewaylisters.ReferenceGrantLister
	// namespaces are all Namespaces, or the watched one alone.
	namespaces corelisters.NamespaceLister
}

// start watches at once when the CRDs are served; else it fails with
// Require, or looks again every Poll in the background until ctx ends.
func (w *gatewayWatch) start(ctx context.Context) error {
	found, err := w.served()
	switch {
	case found:
		return w.watch(ctx)
	case w.opts.Require:
		return fmt.Errorf("--gateway-api: the cluster does not serve %s %v (install the Gateway API standard CRDs): %w",
			gatewayv1.GroupVersion, gatewayResources, err)
	}
	w.logger.Info("Gateway API CRDs not installed; watching for them", "poll", w.poll(), "why", err)
	go w.waitForCRDs(ctx)
	return nil
}

func (w *gatewayWatch) poll() time.Duration {
	if w.opts.Poll > 0 {
		return w.opts.Poll
	}
	return DefaultGatewayPoll
}

func (w *gatewayWatch) waitForCRDs(ctx context.Context) {
	ticker := time.NewTicker(w.poll())
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		if found, _ := w.served(); !found {
			continue
		}
		if err := w.watch(ctx); err != nil {
			w.logger.Error("Gateway API CRDs found but not watched", "err", err)
			return
		}
		w.notifier.Notify()
		return
	}
}

// served reports whether the API server serves every resource archway
// watches, and otherwise what is missing.
func (w *gatewayWatch) served() (bool, error) {
	list, err := w.discovery.ServerResourcesForGroupVersion(gatewayv1.GroupVersion.String())
	if apierrors.IsNotFound(err) || (err == nil && list == nil) {
		return false, errors.New("group version not found")
	}
	if err != nil {
		return false, err
	}
	for _, name := range gatewayResources {
		if !slices.ContainsFunc(list.APIResources, func(r metav1.APIResource) bool { return r.Name == name }) {
			return false, fmt.Errorf("resource %s not found", name)
		}
	}
	return true, nil
}

// watch starts the informers and returns once their caches are filled.
func (w *gatewayWatch) watch(ctx context.Context) error {
	transform := gatewayinformers.WithTransform(slim)
	namespaced := gatewayinformers.NewSharedInformerFactoryWithOptions(w.opts.Client, 0,
		gatewayinformers.WithNamespace(w.namespace), transform)
	cluster := gatewayinformers.NewSharedInformerFactoryWithOptions(w.opts.Client, 0, transform)
	classes := cluster.Gateway().V1().GatewayClasses()
	gateways := namespaced.Gateway().V1().Gateways()
	routes := namespaced.Gateway().V1().HTTPRoutes()
	grants := namespaced.Gateway().V1().ReferenceGrants()
	coreOptions := []informers.SharedInformerOption{informers.WithTransform(slim)}
	if w.namespace != "" {
		coreOptions = append(coreOptions, byName(w.namespace))
	}
	core := informers.NewSharedInformerFactoryWithOptions(w.core, 0, coreOptions...)
	namespaces := core.Core().V1().Namespaces()
	handler := changeHandler(everyChange{w.notifier})
	for _, informer := range []cache.SharedIndexInformer{
		classes.Informer(), gateways.Informer(), routes.Informer(), grants.Informer(), namespaces.Informer(),
	} {
		if _, err := informer.AddEventHandler(handler); err != nil {
			return fmt.Errorf("add informer event handler: %w", err)
		}
	}
	for _, f := range []gatewayinformers.SharedInformerFactory{namespaced, cluster} {
		f.StartWithContext(ctx)
		if err := f.WaitForCacheSyncWithContext(ctx).AsError(); err != nil {
			return fmt.Errorf("fill Gateway API informer caches: %w", err)
		}
	}
	core.StartWithContext(ctx)
	if err := core.WaitForCacheSyncWithContext(ctx).AsError(); err != nil {
		return fmt.Errorf("fill the Namespace informer cache: %w", err)
	}
	w.listers.Store(&gatewayListers{
		classes: classes.Lister(), gateways: gateways.Lister(), routes: routes.Lister(), grants: grants.Lister(),
		namespaces: namespaces.Lister(),
	})
	w.logger.Info("watching the Gateway API")
	return nil
}

// list adds the cached Gateway API objects to snap: none before the CRDs
// are watched.
func (w *gatewayWatch) list(snap *source.Snapshot) error {
	l := w.listers.Load()
	if l == nil {
		return nil
	}
	return errors.Join(
		listAll(&snap.GatewayClasses, l.classes),
		listAll(&snap.Gateways, l.gateways),
		listAll(&snap.HTTPRoutes, l.routes),
		listAll(&snap.ReferenceGrants, l.grants),
		listAll(&snap.Namespaces, l.namespaces),
	)
}

// onlyGatewayStatus reports whether an update of a Gateway API object
// left its generation (the API server counts spec changes in it) and
// annotations as they were: archway's own status writes are such updates.
// A fake client sets no generation, which proves nothing.
func onlyGatewayStatus(oldObj, newObj any) bool {
	o, ok1 := oldObj.(metav1.Object)
	n, ok2 := newObj.(metav1.Object)
	if !ok1 || !ok2 || o.GetGeneration() == 0 || o.GetGeneration() != n.GetGeneration() {
		return false
	}
	switch oldObj.(type) {
	case *gatewayv1.GatewayClass, *gatewayv1.Gateway, *gatewayv1.HTTPRoute:
		return maps.Equal(o.GetAnnotations(), n.GetAnnotations())
	}
	return false
}

// sameNamespaceLabels reports whether an update of a Namespace left its
// labels, all that archway reads of it, as they were.
func sameNamespaceLabels(oldObj, newObj any) bool {
	o, ok1 := oldObj.(*corev1.Namespace)
	n, ok2 := newObj.(*corev1.Namespace)
	if ok1 && ok2 {
		return maps.Equal(o.Labels, n.Labels)
	}
	return false
}
