//go:build perf

package perf

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/test/harness"
)

// publishAddress is what archway writes into Ingress status (its
// --publish-status-address): a documentation address, never dialled.
const publishAddress = "192.0.2.10"

// burstSize is how many apps the burst creates at once, and burstTimeout
// how long it may take before the run fails: minutes, far above the 30 s
// target, since only an Ingress that is never served is a failure.
const (
	burstSize    = 1_000
	burstTimeout = 15 * time.Minute
)

// burst creates burstSize more apps at once and times, from the first
// create, all of their Ingresses answering 200 and all carrying archway's
// status address. Each app is a new Service, EndpointSlice and Ingress, as
// when 1,000 apps are deployed: every Ingress brings a backend nginx has
// not seen, whose endpoints archway must push before it serves.
func (p *perfRun) burst() {
	p.settled()
	p.existingStatuses()
	before := p.reloads()

	ctx, cancel := context.WithCancel(p.t.Context())
	var wg sync.WaitGroup
	// A failed create ends the test here: stop the pollers first.
	defer wg.Wait()
	defer cancel()
	// until is harness.Eventually that gives up quietly once ctx ends.
	until := func(interval time.Duration, f func() error) error {
		return harness.Eventually(burstTimeout, interval, func() error {
			if ctx.Err() != nil {
				return nil
			}
			return f()
		})
	}

	errs := make(chan error, creators+1)
	served := make([]time.Duration, creators) // per poller, when its last host served
	var withStatus time.Duration
	start := time.Now()
	for w := range creators {
		wg.Go(func() {
			for i := p.n + w; i < p.n+burstSize; i += creators {
				if err := until(50*time.Millisecond, p.answers(host(i), "/", "")); err != nil {
					errs <- err
					return
				}
			}
			served[w] = time.Since(start)
		})
	}
	wg.Go(func() {
		err := until(250*time.Millisecond, func() error {
			done, total, err := p.statuses(ctx, batchLabel+"=burst")
			if err == nil && done < burstSize {
				err = fmt.Errorf("%d of %d burst Ingresses (%d created) carry archway's status", done, burstSize, total)
			}
			return err
		})
		withStatus = time.Since(start)
		if err != nil {
			errs <- err
		}
	})
	createApps(p.t, p.client, p.namespace, p.namespace, "burst", p.n, p.n+burstSize, p.backends[0])
	created := time.Since(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(p.t, err)
	}
	p.settled()
	p.add("burst of 1,000 new Ingresses: first create to all serving",
		fmt.Sprintf("%s (creating 1,000 apps took %s; %d reloads)", seconds(slices.Max(served)), seconds(created), p.reloads()-before))
	p.add("burst of 1,000 new Ingresses: first create to all with status", seconds(withStatus))
}

// existingStatuses waits until every Ingress already in the namespace
// carries archway's status, so that the burst's statuses do not queue
// behind those of the cold start (archway writes them at --kube-api-qps).
func (p *perfRun) existingStatuses() {
	start := time.Now()
	require.NoError(p.t, harness.Eventually(burstTimeout, time.Second, func() error {
		done, total, err := p.statuses(p.t.Context(), "")
		if err == nil && done < total {
			err = fmt.Errorf("%d of %d Ingresses carry archway's status", done, total)
		}
		return err
	}), "archway never wrote the status of every Ingress")
	p.t.Logf("every Ingress carried archway's status %s after the burst step began", time.Since(start).Round(time.Millisecond))
}

// statuses lists, in one call, the namespace's Ingresses that selector
// selects, and counts those whose status is exactly archway's address.
func (p *perfRun) statuses(ctx context.Context, selector string) (done, total int, err error) {
	list, err := p.client.NetworkingV1().Ingresses(p.namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return 0, 0, fmt.Errorf("list Ingresses: %w", err)
	}
	for _, ing := range list.Items {
		if lb := ing.Status.LoadBalancer.Ingress; len(lb) == 1 && lb[0].IP == publishAddress && lb[0].Hostname == "" {
			done++
		}
	}
	return done, len(list.Items), nil
}
