package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/utils/ptr"

	"github.com/archway-ingress/archway/test/harness"
)

// The election timings of TestLeaderFailover: short, so that a dead
// leader is replaced in seconds.
const (
	leaseDuration = 3 * time.Second
	renewDeadline = 2 * time.Second
	retryPeriod   = 500 * time.Millisecond
)

// replica is one archway of a replicated deployment and the address it
// publishes. Real replicas publish the same address; here each has its
// own, so the status shows which replica wrote it.
type replica struct {
	*archway
	address lbAddresses
}

// TestLeaderFailover runs replicas of one instance: all serve traffic,
// only the holder of the Lease writes status. A leader killed with SIGKILL
// is replaced once its Lease expires; a leader stopped with SIGTERM
// releases the Lease, so the next one takes over at once. Each new leader
// rewrites every status and writes the status of new Ingresses.
func TestLeaderFailover(t *testing.T) {
	t.Parallel()
	s := env
	ns := s.classNamespace(t)
	s.CreateService(t, ns, "app", true, s.StartBackend(t, "app"))
	electionID := ns
	s.deleteLeaseAtEnd(t, electionID)
	start := func(address string) replica {
		return replica{archway: s.startArchway(t, harness.ArchwayOptions{Class: ns, ElectionID: electionID, Args: []string{
			"--publish-status-address=" + address,
			"--election-lease-duration=" + leaseDuration.String(),
			"--election-renew-deadline=" + renewDeadline.String(),
			"--election-retry-period=" + retryPeriod.String(),
		}}), address: lbAddresses{{IP: address}}}
	}
	replicas := []replica{start("192.0.2.1"), start("192.0.2.2")}

	s.CreateIngress(t, hostIngress(ns, "before", ns, "app"))
	for _, r := range replicas {
		r.WaitFor(t, "before.example", "/", harness.Served("app"))
	}
	leader, follower := s.waitLeader(t, electionID, replicas...)
	s.waitStatus(t, ns, "before", leader.address)
	leads, err := follower.leads()
	require.NoError(t, err)
	require.False(t, leads, "the follower says it leads")
	log, err := os.ReadFile(follower.Proc.LogPath)
	require.NoError(t, err)
	require.NotContains(t, string(log), "Ingress status updated", "the follower wrote status")

	t.Run("a killed leader is replaced once its Lease expires", func(t *testing.T) {
		killed := time.Now()
		leader.Kill()
		next, _ := s.waitLeader(t, electionID, follower)
		took := s.acquired(t, electionID).Sub(killed)
		t.Logf("leader killed with SIGKILL: %s took the Lease over after %s (lease duration %s, retry period %s)",
			next.Proc.Name, took.Round(time.Millisecond), leaseDuration, retryPeriod)
		// client-go's follower counts the lease duration from when it last
		// saw the Lease change, and looks every retry period jittered by up
		// to 2.2 times: so up to one such period before the kill and one
		// after the expiry, plus the API calls.
		require.Less(t, took, leaseDuration+5*retryPeriod)
		s.waitStatus(t, ns, "before", follower.address)

		created := s.CreateIngress(t, hostIngress(ns, "after-kill", ns, "app"))
		first := follower.WaitFor(t, "after-kill.example", "/", harness.Served("app"))
		written := s.waitStatus(t, ns, "after-kill", follower.address)
		t.Logf("new leader: create-to-200 %s, create-to-status %s", first.Sub(created).Round(time.Millisecond), written.Sub(created).Round(time.Millisecond))
		// The dead leader's nginx went with it.
		require.NoError(t, harness.Eventually(10*time.Second, 50*time.Millisecond, func() error {
			if got, err := leader.Get("before.example", "/"); err == nil {
				return fmt.Errorf("the killed replica's nginx still answers %s", got)
			}
			return nil
		}))
	})

	t.Run("a stopped leader releases its Lease", func(t *testing.T) {
		third := start("192.0.2.3")
		third.WaitFor(t, "after-kill.example", "/", harness.Served("app"))
		lease := s.lease(t, electionID)
		require.Equal(t, follower.Proc.Name, ptr.Deref(lease.Spec.HolderIdentity, ""))
		// Had the Lease to expire, no one could take it before this.
		expires := lease.Spec.RenewTime.Add(leaseDuration)
		stopped := time.Now()
		follower.Stop(t)
		holder := ptr.Deref(s.lease(t, electionID).Spec.HolderIdentity, "")
		require.NotEqual(t, follower.Proc.Name, holder, "the Lease still names the replica that stopped")
		next, _ := s.waitLeader(t, electionID, third)
		acquired := s.acquired(t, electionID)
		t.Logf("leader stopped with SIGTERM: %s took the Lease over after %s",
			next.Proc.Name, acquired.Sub(stopped).Round(time.Millisecond))
		require.True(t, acquired.Before(expires), "the next leader took the Lease at %s, once it expired at %s: it was not released", acquired, expires)
		s.waitStatus(t, ns, "before", third.address)
		s.waitStatus(t, ns, "after-kill", third.address)
	})
}

// acquired is when the Lease's holder took it, by the holder's clock (the
// test's: every process runs on this machine).
func (s *suite) acquired(t *testing.T, lease string) time.Time {
	t.Helper()
	at := s.lease(t, lease).Spec.AcquireTime
	require.NotNil(t, at)
	return at.Time
}

// waitLeader waits until one of the candidates holds the Lease and says
// so on /metrics, and returns it and the first of the others.
func (s *suite) waitLeader(t *testing.T, lease string, candidates ...replica) (leader, other replica) {
	t.Helper()
	err := harness.Eventually(20*time.Second, 50*time.Millisecond, func() error {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		holder, err := s.leaseHolder(ctx, lease)
		if err != nil {
			return err
		}
		var names []string
		for i, c := range candidates {
			names = append(names, c.Proc.Name)
			if c.Proc.Name != holder {
				continue
			}
			if leads, err := c.leads(); err != nil || !leads {
				return fmt.Errorf("%s holds the Lease but does not say it leads (%v)", holder, err)
			}
			leader = c
			if len(candidates) > 1 {
				other = candidates[(i+1)%len(candidates)]
			}
			return nil
		}
		return fmt.Errorf("the Lease is held by %q, not by one of %s", holder, strings.Join(names, ", "))
	})
	require.NoError(t, err)
	return leader, other
}
