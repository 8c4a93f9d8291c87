package status

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/archway-ingress/archway/internal/builder"
)

// TestPublisher runs the whole cluster-facing side on a fake clientset: it
// wins the Lease, then writes status (unless turned off) and one Event per
// problem, and releases the Lease when its context ends.
func TestPublisher(t *testing.T) {
	tests := map[string]struct {
		updateStatus bool
		wantA, wantB []lbi
	}{
		"status on":  {updateStatus: true, wantA: ours, wantB: nil},
		"status off": {updateStatus: false, wantA: nil, wantB: ours},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			client := fake.NewClientset(ingress("a"), ingress("b", ours...))
			p, err := New(Options{Client: client, UpdateStatus: tc.updateStatus,
				Publish: Publish{Addresses: ours}, Election: fastElection(nil, "replica-1")})
			require.NoError(t, err)
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			wg.Go(func() { p.Run(ctx) })
			defer func() { cancel(); wg.Wait() }()

			report := served("a")
			report.Problems = []builder.Problem{badPath}
			for range 3 { // repeated syncs with the same problem
				p.Synced(snapshot(t, client), report)
			}
			require.Eventually(t, p.IsLeader, 5*time.Second, 10*time.Millisecond)
			var events []corev1.Event
			require.Eventually(t, func() bool {
				list, err := client.CoreV1().Events("web").List(context.Background(), metav1.ListOptions{})
				require.NoError(t, err)
				events = list.Items
				return len(events) > 0
			}, 5*time.Second, 10*time.Millisecond)
			require.Len(t, events, 1)
			e := events[0]
			require.Equal(t, corev1.ObjectReference{Kind: "Ingress", APIVersion: "networking.k8s.io/v1",
				Namespace: "web", Name: "a", UID: "uid-a"}, e.InvolvedObject)
			require.Equal(t, corev1.EventTypeWarning, e.Type)
			require.Equal(t, "InvalidPath", e.Reason)
			require.Equal(t, `spec.rules[0].http.paths[0].path: path "/a b" has a space`, e.Message)
			require.Equal(t, "archway", e.Source.Component)
			require.EqualValues(t, 1, e.Count)

			if tc.updateStatus {
				eventually(t, client, "a", tc.wantA)
				eventually(t, client, "b", tc.wantB)
			} else {
				require.Empty(t, statusUpdates(client))
				require.Equal(t, tc.wantA, statusOf(t, client, "a"))
				require.Equal(t, tc.wantB, statusOf(t, client, "b"))
			}

			cancel()
			wg.Wait()
			require.False(t, p.IsLeader())
			lease, err := client.CoordinationV1().Leases("ingress").Get(t.Context(), "archway-leader", metav1.GetOptions{})
			require.NoError(t, err)
			require.Empty(t, *lease.Spec.HolderIdentity, "released on shutdown")
		})
	}
}
