package e2e

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"

	"github.com/archway-ingress/archway/test/harness"
)

// lbAddresses is an Ingress's status.loadBalancer.ingress.
type lbAddresses = []networkingv1.IngressLoadBalancerIngress

// hostIngress is an Ingress of class serving host name+".example", path
// "/", from service.
func hostIngress(namespace, name, class, service string) *networkingv1.Ingress {
	return harness.WithClass(harness.NewIngress(namespace, name,
		harness.Route{Host: name + ".example", Path: "/", PathType: networkingv1.PathTypePrefix, Service: service},
	), class)
}

func (s *suite) getIngress(t *testing.T, namespace, name string) *networkingv1.Ingress {
	t.Helper()
	ing, err := s.Cluster.Admin.NetworkingV1().Ingresses(namespace).Get(t.Context(), name, metav1.GetOptions{})
	require.NoError(t, err)
	return ing
}

// setIngressStatus writes addresses into an Ingress's status, as another
// controller would, and returns the Ingress as written.
func (s *suite) setIngressStatus(t *testing.T, namespace, name string, addresses lbAddresses) *networkingv1.Ingress {
	t.Helper()
	ing := s.getIngress(t, namespace, name)
	ing.Status.LoadBalancer.Ingress = addresses
	ing, err := s.Cluster.Admin.NetworkingV1().Ingresses(namespace).UpdateStatus(t.Context(), ing, metav1.UpdateOptions{})
	require.NoError(t, err)
	return ing
}

// sameStatus compares load balancer addresses in any order.
func sameStatus(got, want lbAddresses) bool {
	order := func(a, b networkingv1.IngressLoadBalancerIngress) int {
		return cmp.Or(cmp.Compare(a.IP, b.IP), cmp.Compare(a.Hostname, b.Hostname))
	}
	got, want = slices.SortedFunc(slices.Values(got), order), slices.SortedFunc(slices.Values(want), order)
	return equality.Semantic.DeepEqual(got, want) || len(got) == 0 && len(want) == 0
}

// waitStatus waits until the Ingress's status holds exactly want (nil for
// none) and returns when it first did.
func (s *suite) waitStatus(t *testing.T, namespace, name string, want lbAddresses) time.Time {
	t.Helper()
	at, err := s.untilStatus(t.Context(), namespace, name, want, 20*time.Second)
	require.NoError(t, err)
	return at
}

// untilStatus watches the Ingress until its status holds exactly want and
// returns when that change arrived. It needs no testing.T, so it can run
// on a goroutine of its own.
func (s *suite) untilStatus(ctx context.Context, namespace, name string, want lbAddresses, timeout time.Duration) (time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ingresses := s.Cluster.Admin.NetworkingV1().Ingresses(namespace)
	byName := fields.OneTermEqualSelector("metadata.name", name).String()
	var last lbAddresses
	matches := func(ing *networkingv1.Ingress) bool {
		last = ing.Status.LoadBalancer.Ingress
		return ing.Name == name && sameStatus(last, want)
	}
	fail := func(err error) (time.Time, error) {
		return time.Time{}, fmt.Errorf("status of Ingress %s/%s: want %s, last %s: %w", namespace, name, addressList(want), addressList(last), err)
	}
	// List, then watch from there; list again whenever the watch ends.
	for {
		list, err := ingresses.List(ctx, metav1.ListOptions{FieldSelector: byName})
		if err != nil {
			return fail(err)
		}
		for i := range list.Items {
			if matches(&list.Items[i]) {
				return time.Now(), nil
			}
		}
		watcher, err := ingresses.Watch(ctx, metav1.ListOptions{FieldSelector: byName, ResourceVersion: list.ResourceVersion})
		if err != nil {
			return fail(err)
		}
		for e := range watcher.ResultChan() {
			if ing, ok := e.Object.(*networkingv1.Ingress); ok && e.Type != watch.Deleted && matches(ing) {
				watcher.Stop()
				return time.Now(), nil
			}
		}
		watcher.Stop()
		if ctx.Err() != nil {
			return fail(ctx.Err())
		}
	}
}

func addressList(addresses lbAddresses) string {
	out := make([]string, 0, len(addresses))
	for _, a := range addresses {
		out = append(out, fmt.Sprintf("{ip:%q hostname:%q}", a.IP, a.Hostname))
	}
	return "[" + strings.Join(out, " ") + "]"
}

// requireUntouched requires that nobody wrote the Ingress since before was
// read: same resourceVersion, same status.
func (s *suite) requireUntouched(t *testing.T, before *networkingv1.Ingress) {
	t.Helper()
	now := s.getIngress(t, before.Namespace, before.Name)
	require.Equal(t, before.Status, now.Status, "Ingress %s/%s: status changed", before.Namespace, before.Name)
	require.Equal(t, before.ResourceVersion, now.ResourceVersion, "Ingress %s/%s was written", before.Namespace, before.Name)
}

// leaseHolder returns the holder of the Lease name in archway's namespace,
// "" when it has none.
func (s *suite) leaseHolder(ctx context.Context, name string) (string, error) {
	lease, err := s.Cluster.Admin.CoordinationV1().Leases(harness.ControllerNamespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("Lease %s/%s: %w", harness.ControllerNamespace, name, err)
	}
	return ptr.Deref(lease.Spec.HolderIdentity, ""), nil
}

func (s *suite) lease(t *testing.T, name string) *coordinationv1.Lease {
	t.Helper()
	lease, err := s.Cluster.Admin.CoordinationV1().Leases(harness.ControllerNamespace).Get(t.Context(), name, metav1.GetOptions{})
	require.NoError(t, err)
	return lease
}

// deleteLeaseAtEnd deletes the Lease name when the test ends. Register it
// before starting the archways that hold it, so it runs after they stopped.
func (s *suite) deleteLeaseAtEnd(t *testing.T, name string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := s.Cluster.Admin.CoordinationV1().Leases(harness.ControllerNamespace).Delete(ctx, name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete Lease %s: %v", name, err)
		}
	})
}

// ingressEvents lists the core/v1 Events about an Ingress.
func (s *suite) ingressEvents(ctx context.Context, namespace, name string) ([]corev1.Event, error) {
	list, err := s.Cluster.Admin.CoreV1().Events(namespace).List(ctx, metav1.ListOptions{
		FieldSelector: fields.Set{"involvedObject.kind": "Ingress", "involvedObject.name": name}.String(),
	})
	if err != nil {
		return nil, fmt.Errorf("list Events of Ingress %s/%s: %w", namespace, name, err)
	}
	return list.Items, nil
}

// leads reports whether archway says it holds the Lease (archway_leader).
func (a *archway) leads() (bool, error) {
	v, err := a.Metric("archway_leader")
	return v == 1, err
}
