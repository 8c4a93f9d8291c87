package source

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Source is implemented by kube.Source and dir.Source.
type Source interface {
	// Start begins watching and returns once the first Snapshot is complete
	// (informer caches synced, folder read). Watching stops when ctx ends.
	Start(ctx context.Context) error
	// Changed receives a value after anything in the next Snapshot may
	// differ from the last one. Sends never block; bursts collapse into one.
	Changed() <-chan struct{}
	// Snapshot returns the current state. An error means no usable state
	// could be read (for example the folder vanished); callers then keep
	// serving what they had.
	Snapshot() (Snapshot, error)
}

// Snapshot is the state of the world that archway configures nginx from.
type Snapshot struct {
	Ingresses      []*networkingv1.Ingress
	IngressClasses []*networkingv1.IngressClass
	Services       []*corev1.Service
	EndpointSlices []*discoveryv1.EndpointSlice
	Secrets        []*corev1.Secret
	// ConfigMap is the controller's ConfigMap, or nil when there is none.
	ConfigMap *corev1.ConfigMap
	// ConfigMaps are the other ConfigMaps archway reads: the TCP and UDP
	// services (kube source), every ConfigMap of the folder (dir source).
	ConfigMaps []*corev1.ConfigMap
	// The Gateway API objects (gateway.networking.k8s.io/v1): empty while
	// the cluster has no Gateway API CRDs.
	GatewayClasses  []*gatewayv1.GatewayClass
	Gateways        []*gatewayv1.Gateway
	HTTPRoutes      []*gatewayv1.HTTPRoute
	ReferenceGrants []*gatewayv1.ReferenceGrant
	// Namespaces, for their labels (a listener's allowedRoutes selector):
	// watched with the Gateway API kinds.
	Namespaces []*corev1.Namespace
	// LoadErrors are documents that could not be read (folder source only).
	// They were skipped; everything else is in the Snapshot.
	LoadErrors []LoadError
	// Obsolete are Ingresses in an API version that Kubernetes removed
	// (extensions/v1beta1, networking.k8s.io/v1beta1: folder source only).
	// archway does not serve them; build reports each.
	Obsolete []LoadError
}

// LoadError is one document that could not be read.
type LoadError struct {
	File string // path of the file
	Doc  int    // 0-based index of the document in the file; -1 for the whole file
	Err  error
}

func (e LoadError) Error() string {
	if e.Doc < 0 {
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("%s document %d: %v", e.File, e.Doc, e.Err)
}

// Notifier is the change signal shared by both implementations: a channel of
// capacity one that collapses bursts.
type Notifier struct{ ch chan struct{} }

// NewNotifier returns a ready Notifier.
func NewNotifier() *Notifier { return &Notifier{ch: make(chan struct{}, 1)} }

// Notify records that something changed, without blocking.
func (n *Notifier) Notify() {
	select {
	case n.ch <- struct{}{}:
	default:
	}
}

// Changed is the receiving side of the signal.
func (n *Notifier) Changed() <-chan struct{} { return n.ch }
