package status

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
)

// fastElection retries often, so that a released Lease is taken over at
// once, and keeps a lease long enough that expiry cannot be mistaken for a
// release.
func fastElection(client kubernetes.Interface, identity string) ElectionOptions {
	return ElectionOptions{Client: client, Namespace: "ingress", Name: "archway-leader", Identity: identity,
		LeaseDuration: 5 * time.Second, RenewDeadline: 4 * time.Second, RetryPeriod: 50 * time.Millisecond}
}

type candidate struct {
	elector *Elector
	cancel  context.CancelFunc
	done    chan struct{}

	mu      sync.Mutex
	changes []bool
}

func startCandidate(t *testing.T, client kubernetes.Interface, identity string) *candidate {
	c := &candidate{done: make(chan struct{})}
	elector, err := NewElector(fastElection(client, identity), func(leader bool) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.changes = append(c.changes, leader)
	})
	require.NoError(t, err)
	c.elector = elector
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go func() { defer close(c.done); elector.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-c.done })
	return c
}

func (c *candidate) seen() []bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]bool(nil), c.changes...)
}

// TestElectionFailover runs two candidates for one Lease: one leads; when
// its context ends it releases the Lease and the other takes over.
func TestElectionFailover(t *testing.T) {
	client := fake.NewClientset()
	a := startCandidate(t, client, "a")
	b := startCandidate(t, client, "b")
	require.Eventually(t, func() bool { return a.elector.IsLeader() != b.elector.IsLeader() },
		5*time.Second, 10*time.Millisecond, "exactly one leader")
	leader, follower, leaderID := a, b, "a"
	if b.elector.IsLeader() {
		leader, follower, leaderID = b, a, "b"
	}
	lease, err := client.CoordinationV1().Leases("ingress").Get(t.Context(), "archway-leader", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, leaderID, *lease.Spec.HolderIdentity)
	require.Equal(t, []bool{true}, leader.seen())
	require.Empty(t, follower.seen())

	start := time.Now()
	leader.cancel() // SIGTERM
	<-leader.done
	require.Eventually(t, follower.elector.IsLeader, 5*time.Second, 10*time.Millisecond)
	// Released, not expired: the follower took over well within the lease.
	require.Less(t, time.Since(start), 3*time.Second)
	require.False(t, leader.elector.IsLeader())
	require.Equal(t, []bool{true, false}, leader.seen())
	require.Equal(t, []bool{true}, follower.seen())
}

func TestNewElectorRejectsBadTimings(t *testing.T) {
	opts := fastElection(fake.NewClientset(), "a")
	opts.RenewDeadline = 6 * time.Second // longer than the lease
	_, err := NewElector(opts, func(bool) {})
	require.ErrorContains(t, err, "leader election for Lease ingress/archway-leader")
}

func TestIdentity(t *testing.T) {
	id, err := Identity("archway-7d9f-abcde")
	require.NoError(t, err)
	require.Equal(t, "archway-7d9f-abcde", id)

	first, err := Identity("")
	require.NoError(t, err)
	second, err := Identity("")
	require.NoError(t, err)
	require.NotEqual(t, first, second, "two processes on one host must differ")
	host, _, ok := strings.Cut(first, "_")
	require.True(t, ok)
	require.NotEmpty(t, host)
}
