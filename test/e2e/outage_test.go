package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/test/harness"
)

// outage is how long TestAPIServerOutage keeps the API server down: long
// enough for client-go's watches to fail and back off several times.
const outage = 12 * time.Second

// TestAPIServerOutage kills kube-apiserver under a serving archway: nginx
// keeps serving the last config, archway neither exits nor spins nor turns
// unready, and once the API server is back a new Ingress is served.
//
// It is not parallel: Go runs the sequential tests before it releases the
// parallel ones, so no other test sees the outage.
func TestAPIServerOutage(t *testing.T) {
	s := env
	ns := s.classNamespace(t)
	s.CreateService(t, ns, "app", true, s.StartBackend(t, "app"))
	// A starting API server denies requests until its RBAC caches are
	// filled; archway's retries then meet "forbidden" for a moment.
	a := s.startArchway(t, harness.ArchwayOptions{Class: ns, Forbidden: true})
	ingress := func(name string) *networkingv1.Ingress {
		return harness.WithClass(harness.NewIngress(ns, name, harness.Route{Host: name + ".example", Path: "/", PathType: networkingv1.PathTypePrefix, Service: "app"}), ns)
	}
	s.CreateIngress(t, ingress("before"))
	a.WaitFor(t, "before.example", "/", harness.Served("app"))

	before, err := harness.ReadStat(a.Proc.Cmd.Process.Pid)
	require.NoError(t, err)
	s.Cluster.KillAPIServer()
	t.Cleanup(func() {
		// A failure below must not leave the API server down for the
		// tests that follow.
		if s.Cluster.APIServer.Exited() {
			require.NoError(t, s.Cluster.StartAPIServer())
			require.NoError(t, s.Cluster.WaitAPIServerReady())
		}
	})
	down := time.Now()
	for time.Since(down) < outage {
		a.Expect(t, "before.example", "/", harness.Served("app"))
		require.False(t, a.Proc.Exited(), "archway exited while the API server was down")
		time.Sleep(100 * time.Millisecond)
	}
	require.NoError(t, a.Ready(), "archway turned unready while the API server was down")
	after, err := harness.ReadStat(a.Proc.Cmd.Process.Pid)
	require.NoError(t, err)
	cpu := after.CPU - before.CPU
	t.Logf("archway used %s of CPU during the %s outage", cpu, outage)
	// Not a speed assertion: a retry loop without backoff would burn most
	// of a core for the whole outage.
	require.Less(t, cpu, outage/4, "archway spins while the API server is down")

	require.NoError(t, s.Cluster.StartAPIServer())
	require.NoError(t, s.Cluster.WaitAPIServerReady())
	created := s.CreateIngress(t, ingress("after"))
	// client-go's reflectors retry with a backoff that grew during the
	// outage; they reconnect within its 30-second cap.
	first := a.WaitForWithin(t, 60*time.Second, "after.example", "/", harness.Served("app"))
	t.Logf("API server back after %s down; an Ingress created once it was ready served after %s",
		created.Sub(down).Round(time.Millisecond), first.Sub(created).Round(time.Millisecond))
	a.Expect(t, "before.example", "/", harness.Served("app"))
}
