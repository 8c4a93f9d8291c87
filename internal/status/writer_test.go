package status

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/source"
)

var (
	ours   = []lbi{{IP: "192.0.2.10"}, {Hostname: "lb.example.com"}}
	theirs = []lbi{{IP: "198.51.100.20"}}
)

func ingress(name string, status ...lbi) *networkingv1.Ingress {
	return &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: name, UID: types.UID("uid-" + name)},
		Status:     networkingv1.IngressStatus{LoadBalancer: networkingv1.IngressLoadBalancerStatus{Ingress: status}},
	}
}

// snapshot reads the Ingresses as the informer cache would hold them.
func snapshot(t *testing.T, client *fake.Clientset) source.Snapshot {
	list, err := client.NetworkingV1().Ingresses("").List(t.Context(), metav1.ListOptions{})
	require.NoError(t, err)
	var snap source.Snapshot
	for i := range list.Items {
		snap.Ingresses = append(snap.Ingresses, &list.Items[i])
	}
	return snap
}

func served(names ...string) builder.Report {
	var report builder.Report
	for _, n := range names {
		report.Served = append(report.Served, model.Ref{Namespace: "web", Name: n})
	}
	return report
}

func statusOf(t *testing.T, client *fake.Clientset, name string) []lbi {
	ing, err := client.NetworkingV1().Ingresses("web").Get(context.Background(), name, metav1.GetOptions{})
	require.NoError(t, err)
	return ing.Status.LoadBalancer.Ingress
}

// statusUpdates names the Ingresses whose status was updated, in order.
func statusUpdates(client *fake.Clientset) []string {
	var names []string
	for _, a := range client.Actions() {
		if u, ok := a.(k8stesting.UpdateAction); ok && a.GetResource().Resource == "ingresses" && a.GetSubresource() == "status" {
			names = append(names, u.GetObject().(*networkingv1.Ingress).Name)
		}
	}
	return names
}

// runWriter runs w until the test ends.
func runWriter(t *testing.T, w *Writer) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { w.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// TestWriterPass checks one pass with fixed addresses: what is written, and
// that nothing else is.
func TestWriterPass(t *testing.T) {
	tests := map[string]struct {
		ingress *networkingv1.Ingress
		served  bool
		want    []lbi
		written bool
	}{
		"served gets archway's addresses":       {ingress: ingress("a"), served: true, want: ours, written: true},
		"served with another address is fixed":  {ingress: ingress("a", theirs...), served: true, want: ours, written: true},
		"served and already equal: no write":    {ingress: ingress("a", ours[1], ours[0]), served: true, want: []lbi{ours[1], ours[0]}},
		"unserved with exactly ours loses them": {ingress: ingress("a", ours...), want: nil, written: true},
		"unserved with another address":         {ingress: ingress("a", theirs...), want: theirs},
		"unserved with ours and another":        {ingress: ingress("a", append(slices.Clone(ours), theirs...)...), want: append(slices.Clone(ours), theirs...)},
		"unserved with only part of ours":       {ingress: ingress("a", ours[0]), want: []lbi{ours[0]}},
		"unserved without status":               {ingress: ingress("a"), want: nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			client := fake.NewClientset(tc.ingress)
			w := NewWriter(WriterOptions{Client: client, Publish: Publish{Addresses: ours}})
			w.SetLeader(true)
			report := served()
			if tc.served {
				report = served("a")
			}
			w.Synced(snapshot(t, client), report)
			require.True(t, w.pass(t.Context()))
			require.Equal(t, tc.want, statusOf(t, client, "a"))
			if tc.written {
				require.Equal(t, []string{"a"}, statusUpdates(client))
			} else {
				require.Empty(t, statusUpdates(client))
			}
		})
	}
}

// TestWriterNeverMutatesCache checks that the Snapshot's objects are left
// as they were.
func TestWriterNeverMutatesCache(t *testing.T) {
	client := fake.NewClientset(ingress("a"), ingress("b", ours...))
	w := NewWriter(WriterOptions{Client: client, Publish: Publish{Addresses: ours}})
	w.SetLeader(true)
	snap := snapshot(t, client)
	before := []*networkingv1.Ingress{snap.Ingresses[0].DeepCopy(), snap.Ingresses[1].DeepCopy()}
	w.Synced(snap, served("a"))
	require.True(t, w.pass(t.Context()))
	require.ElementsMatch(t, []string{"a", "b"}, statusUpdates(client))
	require.Equal(t, before, snap.Ingresses)
}

// TestWriterLeaderGating checks that only the leader writes, and that
// gaining leadership starts a pass without another sync.
func TestWriterLeaderGating(t *testing.T) {
	client := fake.NewClientset(ingress("a"))
	w := NewWriter(WriterOptions{Client: client, Publish: Publish{Addresses: ours}})
	w.Synced(snapshot(t, client), served("a"))
	require.True(t, w.pass(t.Context()))
	require.Empty(t, statusUpdates(client), "not the leader")

	runWriter(t, w)
	w.SetLeader(true)
	require.Eventually(t, func() bool { return len(statusUpdates(client)) == 1 }, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, ours, statusOf(t, client, "a"))

	w.SetLeader(false)
	w.Synced(snapshot(t, client), served()) // would remove ours
	require.True(t, w.pass(t.Context()))
	require.Equal(t, ours, statusOf(t, client, "a"))
	require.Len(t, statusUpdates(client), 1, "no writes after leadership ended")
}

// TestWriterFollowsService checks the publish Service's address kinds and
// that each change of the Service re-runs a pass without a sync.
func TestWriterFollowsService(t *testing.T) {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ingress", Name: "archway"},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: "10.96.0.10"},
	}
	client := fake.NewClientset(ingress("a"), ingress("b", theirs...))
	w := NewWriter(WriterOptions{Client: client, Publish: Publish{Service: model.Ref{Namespace: "ingress", Name: "archway"}}})
	w.SetLeader(true)
	w.Synced(snapshot(t, client), served("a"))
	runWriter(t, w)

	// No Service yet: nothing is written until it appears.
	require.True(t, w.pass(t.Context()))
	require.Empty(t, statusUpdates(client))
	services := client.CoreV1().Services("ingress")
	_, err := services.Create(t.Context(), svc, metav1.CreateOptions{})
	require.NoError(t, err)
	eventually(t, client, "a", []lbi{{IP: "10.96.0.10"}})

	// Each step changes the Service from where the previous one left it.
	for _, step := range []struct {
		name   string
		change func(*corev1.Service)
		want   []lbi
	}{
		{"external IPs", func(s *corev1.Service) {
			s.Spec.Type, s.Spec.ExternalIPs = corev1.ServiceTypeNodePort, []string{"192.0.2.30"}
		}, []lbi{{IP: "192.0.2.30"}}},
		{"load balancer ip", func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeLoadBalancer
			s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "203.0.113.7"}}
		}, []lbi{{IP: "203.0.113.7"}}},
		{"load balancer hostname", func(s *corev1.Service) {
			s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{Hostname: "elb.example.com"}}
		}, []lbi{{Hostname: "elb.example.com"}}},
	} {
		t.Log(step.name)
		current, err := services.Get(t.Context(), "archway", metav1.GetOptions{})
		require.NoError(t, err)
		step.change(current)
		_, err = services.Update(t.Context(), current, metav1.UpdateOptions{})
		require.NoError(t, err)
		eventually(t, client, "a", step.want)
	}
	require.Equal(t, theirs, statusOf(t, client, "b"))
	require.NotContains(t, statusUpdates(client), "b")
}

func eventually(t *testing.T, client *fake.Clientset, name string, want []lbi) {
	t.Helper()
	require.Eventually(t, func() bool {
		ing, err := client.NetworkingV1().Ingresses("web").Get(context.Background(), name, metav1.GetOptions{})
		return err == nil && slices.EqualFunc(ing.Status.LoadBalancer.Ingress, want, sameAddress)
	}, 5*time.Second, 10*time.Millisecond, "status of %s", name)
}

// TestWriterRetries checks that a conflict is resolved on the current
// object, and that other failures are retried by a later pass.
func TestWriterRetries(t *testing.T) {
	tests := map[string]struct {
		err      error
		failures int
	}{
		"conflict":        {err: apierrors.NewConflict(schema.GroupResource{Group: "networking.k8s.io", Resource: "ingresses"}, "a", errors.New("changed")), failures: 1},
		"server failures": {err: apierrors.NewInternalError(errors.New("etcd hiccup")), failures: 3},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			client := fake.NewClientset(ingress("a"))
			failures := tc.failures
			client.PrependReactor("update", "ingresses", func(a k8stesting.Action) (bool, runtime.Object, error) {
				if a.GetSubresource() != "status" || failures == 0 {
					return false, nil, nil
				}
				failures-- // reactors run under the fake's lock
				return true, nil, tc.err
			})
			w := NewWriter(WriterOptions{Client: client, Publish: Publish{Addresses: ours}, RetryDelay: 10 * time.Millisecond})
			w.SetLeader(true)
			w.Synced(snapshot(t, client), served("a"))
			runWriter(t, w)
			eventually(t, client, "a", ours)
			require.Len(t, statusUpdates(client), tc.failures+1)
		})
	}
}

// TestWriterManyIngresses checks that a pass over many Ingresses writes
// each one exactly once.
func TestWriterManyIngresses(t *testing.T) {
	var objects []runtime.Object
	var names []string
	for i := range 200 {
		name := fmt.Sprintf("ing-%03d", i)
		objects = append(objects, ingress(name))
		names = append(names, name)
	}
	client := fake.NewClientset(objects...)
	w := NewWriter(WriterOptions{Client: client, Publish: Publish{Addresses: ours}, Workers: 8})
	w.SetLeader(true)
	w.Synced(snapshot(t, client), served(names...))
	require.True(t, w.pass(t.Context()))
	require.ElementsMatch(t, names, statusUpdates(client))
	for _, n := range names {
		require.Equal(t, ours, statusOf(t, client, n))
	}
}

// TestWriterRemembersItsWrites checks that passes over a snapshot that
// still holds the versions archway replaced write nothing again, and that a
// newer version in the snapshot is judged on its own.
func TestWriterRemembersItsWrites(t *testing.T) {
	stale := ingress("a")
	stale.ResourceVersion = "5"
	client := fake.NewClientset(stale)
	version := 5
	client.PrependReactor("update", "ingresses", func(a k8stesting.Action) (bool, runtime.Object, error) {
		ing := a.(k8stesting.UpdateAction).GetObject().(*networkingv1.Ingress).DeepCopy()
		version++
		ing.ResourceVersion = fmt.Sprint(version) // as the API server does
		return true, ing, nil
	})
	w := NewWriter(WriterOptions{Client: client, Publish: Publish{Addresses: ours}})
	w.SetLeader(true)
	snap := source.Snapshot{Ingresses: []*networkingv1.Ingress{stale}}
	w.Synced(snap, served("a"))
	require.True(t, w.pass(t.Context()))
	require.True(t, w.pass(t.Context()))
	require.Equal(t, []string{"a"}, statusUpdates(client), "the second pass knows the first one's write")

	// Unserved now: the write starts from the version archway left.
	w.Synced(snap, served())
	require.True(t, w.pass(t.Context()))
	updates := client.Actions()
	last := updates[len(updates)-1].(k8stesting.UpdateAction).GetObject().(*networkingv1.Ingress)
	require.Equal(t, "6", last.ResourceVersion)
	require.Empty(t, last.Status.LoadBalancer.Ingress)

	// Someone else wrote since: their version is judged as it is.
	theirVersion := ingress("a", theirs...)
	theirVersion.ResourceVersion = "9"
	w.Synced(source.Snapshot{Ingresses: []*networkingv1.Ingress{theirVersion}}, served())
	require.True(t, w.pass(t.Context()))
	require.Len(t, statusUpdates(client), 2, "an unserved Ingress with another address is left alone")

	// A write's record lasts only as long as its Ingress.
	w.Synced(snap, served("a"))
	require.True(t, w.pass(t.Context()))
	require.Len(t, w.written, 1)
	w.Synced(source.Snapshot{}, served())
	require.True(t, w.pass(t.Context()))
	require.Empty(t, w.written, "the record of a deleted Ingress's write is dropped")
}
