package status

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/source"
)

// WriterOptions configure a Writer.
type WriterOptions struct {
	Client  kubernetes.Interface
	Publish Publish
	// Workers bounds the concurrent status updates; 0 means 10.
	Workers int
	// RetryDelay is the first wait before a pass with failed writes is
	// retried; it doubles up to a minute. 0 means one second.
	RetryDelay time.Duration
	// Gateway, when its Client is set, has the Writer's passes write the
	// status of the Gateway API objects too (gateway.go).
	Gateway GatewayOptions
	// NoStatus (--update-status=false) writes no status: the passes only
	// keep the Gateways' Services (Gateway.Services).
	NoStatus bool
	// Logger receives the Writer's logs; nil discards them.
	Logger *slog.Logger
}

// Writer keeps status.loadBalancer.ingress of the Ingresses equal to
// archway's addresses, while it is the leader. Every pass compares the whole
// latest Snapshot, so a pass after gaining leadership or after a change of
// the publish Service is a full one.
type Writer struct {
	opts   WriterOptions
	leader atomic.Bool
	wake   chan struct{}

	mu      sync.Mutex
	synced  bool
	snap    source.Snapshot
	served  map[model.Ref]bool
	gateway builder.GatewayReport
	// written holds the writes that the snapshot does not show yet, by
	// Ingress UID. archway's status writes cause no sync (see package
	// kube), so the snapshot may long keep the version a write replaced.
	written map[types.UID]written

	// The publish Service's own informer; nil with fixed addresses.
	factory  informers.SharedInformerFactory
	services corelisters.ServiceLister
	informer cache.SharedIndexInformer
}

// NewWriter returns a Writer; Run starts it, SetLeader lets it write.
func NewWriter(opts WriterOptions) *Writer {
	if opts.Workers <= 0 {
		opts.Workers = 10
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	w := &Writer{opts: opts, wake: make(chan struct{}, 1)}
	if svc := opts.Publish.Service; svc.Name != "" {
		// One Service, watched on its own: it may live outside the watched
		// namespaces, and its changes must re-run a pass without a sync.
		w.factory = informers.NewSharedInformerFactoryWithOptions(opts.Client, 0,
			informers.WithNamespace(svc.Namespace),
			informers.WithTweakListOptions(func(o *metav1.ListOptions) {
				o.FieldSelector = fields.OneTermEqualSelector("metadata.name", svc.Name).String()
			}))
		services := w.factory.Core().V1().Services()
		w.services, w.informer = services.Lister(), services.Informer()
		// The handler only signals; a failure to register is impossible
		// before the informer starts.
		_, _ = w.informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(any) { w.signal() },
			UpdateFunc: func(any, any) { w.signal() },
			DeleteFunc: func(any) { w.signal() },
		})
	}
	return w
}

// Synced hands over the outcome of a sync; the latest one wins. It never
// blocks.
func (w *Writer) Synced(snap source.Snapshot, report builder.Report) {
	served := make(map[model.Ref]bool, len(report.Served))
	for _, ref := range report.Served {
		served[ref] = true
	}
	w.mu.Lock()
	w.synced, w.snap, w.served, w.gateway = true, snap, served, report.Gateway
	w.mu.Unlock()
	w.signal()
}

// SetLeader turns writing on or off; gaining leadership starts a pass.
func (w *Writer) SetLeader(leader bool) {
	if was := w.leader.Swap(leader); leader && !was {
		w.signal()
	}
}

func (w *Writer) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run makes a pass after every signal until ctx ends; passes with failed
// writes are retried with backoff.
func (w *Writer) Run(ctx context.Context) {
	if w.factory != nil {
		w.factory.Start(ctx.Done())
		defer w.factory.Shutdown()
		if !cache.WaitForCacheSync(ctx.Done(), w.informer.HasSynced) {
			return
		}
	}
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	backoff := w.opts.RetryDelay
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-retry.C:
		}
		retry.Stop()
		if w.pass(ctx) || ctx.Err() != nil {
			backoff = w.opts.RetryDelay
			continue
		}
		w.opts.Logger.Warn("some Ingress statuses were not written", "retry_in", backoff)
		retry.Reset(backoff)
		backoff = min(2*backoff, time.Minute)
	}
}

// update is one Ingress whose status needs a write.
type update struct {
	ing    *networkingv1.Ingress // from the informer cache: read only
	served bool
	// version and current are the Ingress's resource version and status:
	// ing's own, or what archway's last write to it left.
	version string
	current []networkingv1.IngressLoadBalancerIngress
}

// written is what a status write left: the resource versions before and
// after it, and the addresses it wrote.
type written struct {
	before, after string
	addresses     []networkingv1.IngressLoadBalancerIngress
}

// latest returns the update for ing as archway last left it, and drops the
// record of a write once the snapshot holds a newer version than the one
// the write replaced.
func (w *Writer) latest(ing *networkingv1.Ingress, served bool) update {
	u := update{ing: ing, served: served, version: ing.ResourceVersion, current: ing.Status.LoadBalancer.Ingress}
	w.mu.Lock()
	defer w.mu.Unlock()
	last, ok := w.written[ing.UID]
	switch {
	case !ok:
	case last.before == ing.ResourceVersion:
		u.version, u.current = last.after, last.addresses
	default:
		delete(w.written, ing.UID)
	}
	return u
}

// forget drops the records of writes to Ingresses that are gone.
func (w *Writer) forget(present map[types.UID]bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for uid := range w.written {
		if !present[uid] {
			delete(w.written, uid)
		}
	}
}

// wrote records a successful write of addresses over the version u saw.
// Versions are opaque, and only the API server's are known to change.
func (w *Writer) wrote(u update, result *networkingv1.Ingress, addresses []networkingv1.IngressLoadBalancerIngress) {
	if u.ing.ResourceVersion == "" || result == nil || result.ResourceVersion == "" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.written == nil {
		w.written = make(map[types.UID]written)
	}
	w.written[u.ing.UID] = written{before: u.ing.ResourceVersion, after: result.ResourceVersion, addresses: addresses}
}

// pass writes every status that differs from what it should be, and
// reports whether all writes succeeded.
func (w *Writer) pass(ctx context.Context) bool {
	if !w.leader.Load() {
		return true
	}
	w.mu.Lock()
	synced, snap, served, gateway := w.synced, w.snap, w.served, w.gateway
	w.mu.Unlock()
	if !synced {
		return true
	}
	ours, err := w.addresses()
	if err != nil {
		// Keep what is published; the Service's next event re-runs a pass.
		w.opts.Logger.Warn("Ingress status not updated", "error", err)
		return true
	}
	var updates []update
	present := make(map[types.UID]bool, len(snap.Ingresses))
	// Without publish settings (a Writer for the Gateways' Services
	// alone) archway has no address of its own for Ingresses.
	ingresses := snap.Ingresses
	if w.opts.NoStatus || !w.opts.Publish.Enabled() {
		ingresses = nil
	}
	for _, ing := range ingresses {
		present[ing.UID] = true
		u := w.latest(ing, served[model.Ref{Namespace: ing.Namespace, Name: ing.Name}])
		if _, ok := desired(u.current, u.served, ours); ok {
			updates = append(updates, u)
		}
	}
	w.forget(present)
	gatewayFailed := 0
	if w.opts.Gateway.Client != nil {
		gatewayFailed = gatewayStatus{w.opts.Gateway}.write(ctx, snap, gateway, ours, !w.opts.NoStatus)
	}
	if len(updates) == 0 {
		return gatewayFailed == 0
	}
	failed := w.writeAll(ctx, updates, ours)
	w.opts.Logger.Info("Ingress status updated", "written", len(updates)-failed, "failed", failed,
		"addresses", addressStrings(ours))
	return failed == 0 && gatewayFailed == 0
}

// addresses are archway's current addresses, normalized.
func (w *Writer) addresses() ([]networkingv1.IngressLoadBalancerIngress, error) {
	ref := w.opts.Publish.Service
	if ref.Name == "" {
		return w.opts.Publish.Addresses, nil
	}
	svc, err := w.services.Services(ref.Namespace).Get(ref.Name)
	if err != nil {
		return nil, fmt.Errorf("publish Service %s: %w", ref, err)
	}
	return serviceAddresses(svc), nil
}

// desired says what an Ingress's status should become, and whether that
// differs from what it is: a served Ingress gets archway's addresses; an
// unserved one loses them only when its status is exactly them.
func desired(current []networkingv1.IngressLoadBalancerIngress, served bool, ours []networkingv1.IngressLoadBalancerIngress) ([]networkingv1.IngressLoadBalancerIngress, bool) {
	switch {
	case served && !sameAddresses(current, ours):
		return slices.Clone(ours), true
	case !served && len(ours) > 0 && sameAddresses(current, ours):
		return nil, true
	default:
		return nil, false
	}
}

// writeAll runs the updates on a bounded number of workers and returns how
// many failed.
func (w *Writer) writeAll(ctx context.Context, updates []update, ours []networkingv1.IngressLoadBalancerIngress) int {
	work := make(chan update)
	var failed atomic.Int64
	var wg sync.WaitGroup
	for range min(w.opts.Workers, len(updates)) {
		wg.Go(func() {
			for u := range work {
				if err := w.write(ctx, u, ours); err != nil {
					failed.Add(1)
					w.opts.Logger.Warn("Ingress status update failed", "ingress", u.ing.Namespace+"/"+u.ing.Name, "error", err)
				}
			}
		})
	}
feed:
	for _, u := range updates {
		select {
		case work <- u:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	return int(failed.Load())
}

// write updates one Ingress's status. A conflict means the cached copy was
// stale: the decision is made again on the current object, once.
func (w *Writer) write(ctx context.Context, u update, ours []networkingv1.IngressLoadBalancerIngress) error {
	if !w.leader.Load() {
		return nil // leadership ended during the pass
	}
	ing := u.ing.DeepCopy()
	ing.ResourceVersion = u.version
	want, _ := desired(u.current, u.served, ours)
	ing.Status.LoadBalancer.Ingress = want
	result, err := w.updateStatus(ctx, ing)
	if apierrors.IsConflict(err) {
		var fresh *networkingv1.Ingress
		fresh, err = w.current(ctx, ing.Namespace, ing.Name)
		if err != nil || fresh == nil {
			return err
		}
		var ok bool
		if want, ok = desired(fresh.Status.LoadBalancer.Ingress, u.served, ours); !ok {
			return nil
		}
		fresh.Status.LoadBalancer.Ingress = want
		result, err = w.updateStatus(ctx, fresh)
	}
	if err == nil {
		w.wrote(u, result, want)
	}
	return err
}

// current reads an Ingress from the API server; nil when it is gone. It
// lists by name rather than gets: archway's RBAC grants list and watch on
// Ingresses, not get.
func (w *Writer) current(ctx context.Context, namespace, name string) (*networkingv1.Ingress, error) {
	list, err := w.opts.Client.NetworkingV1().Ingresses(namespace).List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("metadata.name", name).String(),
	})
	if err != nil {
		return nil, fmt.Errorf("read after conflict: %w", err)
	}
	for i := range list.Items {
		if list.Items[i].Name == name {
			return &list.Items[i], nil
		}
	}
	return nil, nil
}

// updateStatus writes ing's status and returns the written Ingress; nil
// when the Ingress is gone.
func (w *Writer) updateStatus(ctx context.Context, ing *networkingv1.Ingress) (*networkingv1.Ingress, error) {
	result, err := w.opts.Client.NetworkingV1().Ingresses(ing.Namespace).UpdateStatus(ctx, ing, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil // deleted meanwhile: nothing to publish
	}
	w.opts.Logger.Debug("Ingress status written", "ingress", ing.Namespace+"/"+ing.Name, "error", err)
	return result, err
}

func addressStrings(addresses []networkingv1.IngressLoadBalancerIngress) []string {
	out := make([]string, 0, len(addresses))
	for _, a := range addresses {
		out = append(out, strings.Trim(a.IP+"/"+a.Hostname, "/"))
	}
	return out
}
