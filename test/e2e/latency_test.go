package e2e

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/test/harness"
)

// TestIngressLatency measures, for a few Ingresses created one after the
// other, the time from the create call to the first 200 through nginx and
// to archway's address in the Ingress's status. It logs p50 and max and
// asserts no speed: that is for the benchmarks.
func TestIngressLatency(t *testing.T) {
	t.Parallel()
	s := env
	ns := s.classNamespace(t)
	s.CreateService(t, ns, "app", true, s.StartBackend(t, "app"))
	a := s.startArchway(t, harness.ArchwayOptions{Class: ns, Args: []string{"--publish-status-address=192.0.2.10"}})
	ours := lbAddresses{{IP: "192.0.2.10"}}

	const samples = 5
	var toServe, toStatus []time.Duration
	for i := range samples {
		name := "sample-" + strconv.Itoa(i)
		type result struct {
			at  time.Time
			err error
		}
		// Watch the status from before the create call, on the side.
		written := make(chan result, 1)
		go func() {
			at, err := s.untilStatus(t.Context(), ns, name, ours, 20*time.Second)
			written <- result{at, err}
		}()
		created := s.CreateIngress(t, hostIngress(ns, name, ns, "app"))
		first := a.WaitFor(t, name+".example", "/", harness.Served("app"))
		status := <-written
		require.NoError(t, status.err)
		toServe = append(toServe, first.Sub(created))
		toStatus = append(toStatus, status.at.Sub(created))
	}
	t.Logf("create-to-200 over %d Ingresses: %s", samples, summary(toServe))
	t.Logf("create-to-status over %d Ingresses: %s", samples, summary(toStatus))
}

// summary gives the p50 and max of durations.
func summary(d []time.Duration) string {
	d = slices.Sorted(slices.Values(d))
	return "p50 " + d[len(d)/2].Round(time.Millisecond).String() + ", max " + d[len(d)-1].Round(time.Millisecond).String()
}
