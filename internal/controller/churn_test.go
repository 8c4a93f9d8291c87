package controller

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestEndpointChurnCausesNoReload moves a Service's endpoints 50 times
// while a client keeps sending requests: nginx takes every change at
// runtime, so there is no reload and no failed request.
func TestEndpointChurnCausesNoReload(t *testing.T) {
	c := startCluster(t)
	a, b, d := backend(t, "a"), backend(t, "b"), backend(t, "d")
	c.create(service("web"))
	c.create(endpointSlice("web", a)) // stays: the Service never runs dry
	c.create(ingress("site", "site.example.com"))
	c.serves("site.example.com", "/", http.StatusOK, "a")
	// nginx serves a config before the sync that applied it has counted
	// its reload: wait for the counters to settle.
	reloads, pushes := c.settled()

	load := startLoad(t, c.port, "site.example.com")
	slices := c.client.DiscoveryV1().EndpointSlices("default")
	ctx := context.Background()
	const changes = 50
	for i := range changes {
		// A second slice comes with b, moves to d, and goes.
		slice := endpointSlice("web", b)
		slice.Name = "web-churn"
		var err error
		switch i % 3 {
		case 0:
			_, err = slices.Create(ctx, slice, metav1.CreateOptions{})
		case 1:
			*slice.Ports[0].Port = d
			slice.ResourceVersion = strconv.Itoa(i)
			_, err = slices.Update(ctx, slice, metav1.UpdateOptions{})
		case 2:
			err = slices.Delete(ctx, slice.Name, metav1.DeleteOptions{})
		}
		require.NoError(t, err)
		// Longer than the hold-off now and then, so that changes are not
		// all coalesced into one push.
		time.Sleep(time.Duration(40+80*(i%2)) * time.Millisecond)
	}
	// The last change (i = 49) moved the slice to d: wait until traffic
	// reaches d again, then a little more.
	last := load.seen("d")
	require.Eventually(t, func() bool { return load.seen("d") > last }, nginxWait, 20*time.Millisecond)
	time.Sleep(200 * time.Millisecond)
	sent, failures := load.stop()

	t.Logf("%d endpoint changes: %.0f pushes, %.0f reloads, %d requests, %d failed",
		changes, c.pushes("success")-pushes, c.reloads()-reloads, sent, len(failures))
	require.Zero(t, c.reloads()-reloads, "endpoint changes must not reload nginx")
	require.Empty(t, failures)
	require.Greater(t, c.pushes("success")-pushes, 5.0, "changes were taken one push at a time, roughly")
	require.Zero(t, c.pushes("failure"))
	require.Positive(t, load.seen("a"))
	require.Positive(t, load.seen("b"), "traffic followed the endpoints")
}

// settled returns the reloads and successful pushes once neither changed
// for longer than the sync loop's MaxDelay.
func (c *cluster) settled() (float64, float64) {
	c.t.Helper()
	reloads, pushes := c.reloads(), c.pushes("success")
	for range 20 {
		time.Sleep(700 * time.Millisecond)
		r, p := c.reloads(), c.pushes("success")
		if r == reloads && p == pushes {
			return r, p
		}
		reloads, pushes = r, p
	}
	c.t.Fatal("the controller never settled")
	return 0, 0
}

func (c *cluster) pushes(outcome string) float64 {
	c.t.Helper()
	return pushesMetric(c.t, c.registry, outcome)
}

// load is a client that sends requests one after another until stopped,
// counting answers per backend and keeping every failure.
type load struct {
	mu       sync.Mutex
	answers  map[string]int
	failures []string
	sent     int
	cancel   context.CancelFunc
	done     chan struct{}
}

func startLoad(t *testing.T, port int, host string) *load {
	ctx, cancel := context.WithCancel(context.Background())
	l := &load{answers: map[string]int{}, cancel: cancel, done: make(chan struct{})}
	client := &http.Client{Timeout: 5 * time.Second}
	t.Cleanup(func() { l.stop() })
	go func() {
		defer close(l.done)
		for ctx.Err() == nil {
			body, err := getBody(client, port, host)
			l.mu.Lock()
			l.sent++
			if err != nil {
				l.failures = append(l.failures, err.Error())
			} else {
				l.answers[body]++
			}
			l.mu.Unlock()
		}
	}()
	return l
}

func getBody(client *http.Client, port int, host string) (string, error) {
	req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(port)+"/", nil)
	if err != nil {
		return "", err
	}
	req.Host = host
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d: %s", resp.StatusCode, body)
	}
	return string(body), nil
}

func (l *load) seen(name string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.answers[name]
}

// stop ends the load and returns how many requests it sent and which
// failed.
func (l *load) stop() (int, []string) {
	l.cancel()
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sent, l.failures
}
