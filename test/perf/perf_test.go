//go:build perf

package perf

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/archway-ingress/archway/internal/controller"
	"github.com/archway-ingress/archway/test/harness"
)

// changePause spaces the 200 endpoint and 100 Ingress changes, so that
// they come as a stream that the load runs through, not as one burst.
const changePause = 20 * time.Millisecond

// TestPerf measures archway at each size in ARCHWAY_PERF_SIZES; see the
// package documentation for what.
func TestPerf(t *testing.T) {
	s := env
	sizes := envInts(t, "ARCHWAY_PERF_SIZES", []int{100, 1_000, 10_000})
	// One number for every size, or one per size.
	samples := envInts(t, "ARCHWAY_PERF_SAMPLES", []int{20})
	out := newResults()
	backends := [2]harness.Backend{s.StartBackend(t, "a"), s.StartBackend(t, "b")}
	client := fastClient(t, s)
	for k, n := range sizes {
		t.Run(fmt.Sprintf("ingresses=%d", n), func(t *testing.T) {
			p := &perfRun{t: t, s: s, n: n, client: client, backends: backends, out: out}
			p.setUp()
			p.coldStart()
			p.createOneByOne(samples[min(k, len(samples)-1)])
			p.createRoutesOneByOne(samples[min(k, len(samples)-1)])
			p.bare()
			p.waf()
			p.accessLogCost()
			p.tracingCost()
			p.memory()
			p.endpointChurn()
			p.ingressChurn()
			p.burst()
		})
	}
}

// perfRun is one size's measurements. Its namespace is left in place at
// the end: deleting 3N objects would take longer than the measurements,
// and the cluster goes away after the run.
type perfRun struct {
	t         *testing.T
	s         *harness.Suite
	n         int
	client    kubernetes.Interface
	backends  [2]harness.Backend
	out       *results
	namespace string
	a         *harness.Archway
	createP99 time.Duration
}

func (p *perfRun) add(measurement, value string) { p.out.add(p.t, measurement, p.n, value) }

// setUp creates the namespace, the IngressClass, a Gateway and n apps.
func (p *perfRun) setUp() {
	p.namespace = fmt.Sprintf("perf-%d", p.n)
	require.NoError(p.t, harness.CreateNamespace(p.t.Context(), p.client, p.namespace))
	p.s.CreateIngressClass(p.t, p.namespace, harness.ControllerClass)
	p.createGateway()
	start := time.Now()
	createApps(p.t, p.client, p.namespace, p.namespace, "existing", 0, p.n, p.backends[0])
	p.t.Logf("created %d Ingresses, Services and EndpointSlices in %s", p.n, time.Since(start).Round(time.Millisecond))
}

// coldStart starts archway and times it to ready and to every Ingress
// answering 200.
func (p *perfRun) coldStart() {
	start := time.Now()
	p.a = p.s.StartArchway(p.t, harness.ArchwayOptions{Class: p.namespace, Unready: true,
		Args: []string{"--watch-namespace=" + p.namespace, "--publish-status-address=" + publishAddress, "--configmap=" + p.configMap(),
			"--gateway-api", "--gateway-controller-name=" + p.gatewayController(), "--profiling"}})
	require.NoError(p.t, harness.Eventually(10*time.Minute, 10*time.Millisecond, p.a.Ready), "archway never became ready")
	p.add("start to ready", seconds(time.Since(start)))
	var wg sync.WaitGroup
	errs := make(chan error, creators)
	for w := range creators {
		wg.Go(func() {
			for i := w; i < p.n; i += creators {
				if err := p.serves(host(i), 5*time.Minute); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(p.t, err)
	}
	p.add("start to all N serving", seconds(time.Since(start)))
}

// serves polls host until it answers 200 from a backend.
func (p *perfRun) serves(host string, timeout time.Duration) error {
	return harness.Eventually(timeout, 2*time.Millisecond, p.answers(host, "/", ""))
}

// settled waits until nginx runs only workers of its latest config: one
// generation of workers (worker_processes auto: one per CPU) accepts
// connections, the others shut down. Workers of one generation may start
// seconds apart at 10,000 servers, so their start times tell nothing.
func (p *perfRun) settled() {
	require.NoError(p.t, harness.Eventually(5*time.Minute, 10*time.Millisecond, func() error {
		_, workers, err := harness.NginxProcesses(p.a.Proc.Cmd.Process.Pid)
		if err == nil && (len(workers) == 0 || len(workers) > runtime.NumCPU()) {
			err = fmt.Errorf("nginx runs %d active workers", len(workers))
		}
		return err
	}))
}

// idle waits until nginx settled and archway finished its last reload,
// the whole endpoints push after it included (which, at 10,000 hosts with
// a certificate each, decodes megabytes in a worker): a reload timed
// meanwhile would share the CPUs with that push, or wait for that worker.
func (p *perfRun) idle() {
	p.settled()
	p.reloads()
}

// createOneByOne creates samples more Ingresses, one at a time, each once
// the previous one serves and nginx settled, and times each to its first
// 200.
func (p *perfRun) createOneByOne(samples int) {
	p.createP99 = p.timeCreates("Ingress", samples, func(i int) (string, time.Time) {
		name := fmt.Sprintf("extra-%d", i)
		host := name + ".perf.example"
		return host, p.s.CreateIngress(p.t, harness.WithClass(harness.NewIngress(p.namespace, name, harness.Route{
			Host: host, Path: "/", PathType: networkingv1.PathTypePrefix, Service: "app-0",
		}), p.namespace))
	})
}

// timeCreates creates samples objects of kind with create, which returns
// the host each serves and the time just before its creation, one at a
// time, each once the previous one serves and nginx settled; it adds their
// times to the first 200 as a row and returns the p99.
//
// It also splits each sample's time by archway's own metrics, read before
// the create and once archway finished the syncs it caused: archway's sync
// work (snapshot, build, render, write), the reload (SIGHUP to verified:
// the new workers serve and the old ones stopped accepting), and the rest
// (watch, hold-off, endpoints push, and the test's polling). The first 200
// may come before the old workers stopped accepting, so the rest is less
// what verify took after it, and may be below the 50 ms hold-off. The
// syncs of a sample are summed: each one is on the way to the 200.
func (p *perfRun) timeCreates(kind string, samples int, create func(i int) (string, time.Time)) time.Duration {
	var took, work, reload, rest []time.Duration
	var byPhase [len(workPhases)]time.Duration // summed over the samples
	before := p.syncTotals(0)
	first := before.syncs
	for i := range samples {
		p.settled()
		host, start := create(i)
		require.NoError(p.t, p.serves(host, 5*time.Minute))
		took = append(took, time.Since(start))
		after := p.syncTotals(before.syncs)
		work = append(work, 0)
		for k := range workPhases {
			byPhase[k] += after.work[k] - before.work[k]
			work[i] += after.work[k] - before.work[k]
		}
		reload = append(reload, after.reload-before.reload)
		rest = append(rest, took[i]-work[i]-reload[i])
		before = after
	}
	p99 := percentile(took, 99)
	what := "create one " + kind + " to its first 200"
	p.add(what+", p50 / p90 / p99",
		fmt.Sprintf("%s / %s / %s (%d samples)", seconds(percentile(took, 50)), seconds(percentile(took, 90)), seconds(p99), samples))
	p50p90 := func(ds []time.Duration) string {
		return seconds(percentile(ds, 50)) + " / " + seconds(percentile(ds, 90))
	}
	p.add(what+": archway's sync work (snapshot, build, render, write), p50 / p90",
		fmt.Sprintf("%s (%d syncs in %d samples, summed per sample)", p50p90(work), int(before.syncs-first), samples))
	p.add(what+": nginx reload (SIGHUP to verified: new workers serve, old ones retired), p50 / p90", p50p90(reload))
	p.add(what+": the rest (watch, hold-off, push, polling; less verify after the 200), p50 / p90", p50p90(rest))
	mean := make([]string, len(workPhases))
	for k, phase := range workPhases {
		mean[k] = phase + " " + seconds(byPhase[k]/time.Duration(samples))
	}
	p.t.Logf("%s at %d Ingresses: archway's sync work by phase, mean per sample: %s", what, p.n, strings.Join(mean, ", "))
	return p99
}

// workPhases are the phases of archway_sync_phase_seconds before the
// reload: archway's own work on the way to it.
var workPhases = [...]string{"snapshot", "build", "render", "write"}

// syncTotals are the sums of archway's sync metrics at one moment.
type syncTotals struct {
	syncs  float64
	work   [len(workPhases)]time.Duration
	reload time.Duration
}

// syncTotals reads archway's sync metrics once more than past syncs ran
// and they held still for a second: the sync that made a change live
// records its phases after nginx serves it.
func (p *perfRun) syncTotals(past float64) syncTotals {
	return heldStill(p.t, func() (syncTotals, error) {
		syncs, err := p.a.Metric("archway_sync_duration_seconds_count")
		if err == nil && syncs <= past {
			err = fmt.Errorf("%v syncs, not more than %v", syncs, past)
		}
		if err != nil {
			return syncTotals{}, err
		}
		phases, err := p.a.MetricBy("archway_sync_phase_seconds_sum", "phase")
		totals := syncTotals{syncs: syncs, reload: time.Duration(phases["reload"] * float64(time.Second))}
		for k, phase := range workPhases {
			totals.work[k] = time.Duration(phases[phase] * float64(time.Second))
		}
		return totals, err
	})
}

// heldStill returns what read returns once it returned it twice, a second
// apart, without an error.
func heldStill[T comparable](t testing.TB, read func() (T, error)) T {
	var last T
	seen := false
	require.NoError(t, harness.Eventually(time.Minute, time.Second, func() error {
		v, err := read()
		if err == nil && (!seen || v != last) {
			last, seen, err = v, true, fmt.Errorf("went to %v", v)
		}
		return err
	}))
	return last
}

// bare times nginx -t and a reload of the config archway wrote, and the
// ratio of create-to-200 to them.
func (p *perfRun) bare() {
	p.idle()
	servers, locations := blocks(p.t, p.a)
	p.add("server / location blocks in archway's nginx.conf", fmt.Sprintf("%d / %d", servers, locations))
	bare := bareNginx(p.t, p.a, p.s.NginxBin)
	p.add("bare nginx -t / reload of archway's config", seconds(bare.test)+" / "+seconds(bare.reload))
	p.add("create-to-200 p99 / (bare nginx -t + reload)", strconv.FormatFloat(p.createP99.Seconds()/(bare.test+bare.reload).Seconds(), 'f', 2, 64))
}

// memory records archway's and nginx's resident memory. It runs after
// every Ingress got traffic (coldStart), once archway is idle (no sync,
// reload or push under way: one would hold a whole model more), and reads
// RSS after a scrape of /metrics, as a monitored controller runs: once
// archway had no sync for controller.ReleaseAfter, it gives the scrape's
// garbage back before the scrape ends (and its sync loop gave the last
// sync's back), so the step waits that long first. It reads RSS
// memoryReads times a few seconds apart and records the last, and the log
// has them all, so that a figure taken mid-way shows.
//
// The row splits RSS into archway's private memory and the pages of its
// binary (clean, shared with the page cache, and tens of megabytes at
// any size: client-go registers every API group's types at start), and
// gives the Go heap after a collection (from --profiling's heap profile):
// the live objects, and the spans holding them, which a live object
// anywhere in a span keeps resident.
func (p *perfRun) memory() {
	p.idle()
	time.Sleep(controller.ReleaseAfter)
	var archway, nginxPSS, nginxRSS int64
	var series int
	for i := range memoryReads {
		if i > 0 {
			time.Sleep(memoryReadsApart)
		}
		// Each Ingress that got traffic holds request series (a counter and
		// two histograms each) for as long as it is served.
		var err error
		series, err = p.a.Series("nginx_ingress_controller_requests")
		require.NoError(p.t, err)
		archway, nginxPSS, nginxRSS = memory(p.t, p.a)
		p.t.Logf("memory read %d at %d Ingresses: controller RSS %s", i+1, p.n, megabytes(archway))
	}
	pid := p.a.Proc.Cmd.Process.Pid
	private, err := statusKB(pid, "RssAnon")
	require.NoError(p.t, err)
	binary, err := statusKB(pid, "RssFile")
	require.NoError(p.t, err)
	peak, err := statusKB(pid, "VmHWM")
	require.NoError(p.t, err)
	live, spans := goHeap(p.t, p.a)
	p.add("controller RSS = private + binary pages (Go heap after a collection: live / in spans; peak RSS; request series)",
		fmt.Sprintf("%s = %s + %s (%s / %s; %s; %d)", megabytes(archway), megabytes(private), megabytes(binary),
			megabytes(live), megabytes(spans), megabytes(peak), series))
	p.add("nginx memory, master and workers: proportional share (resident) summed", megabytes(nginxPSS)+" ("+megabytes(nginxRSS)+")")
}

// memoryReads are the reads of the memory step, memoryReadsApart apart.
const (
	memoryReads      = 3
	memoryReadsApart = 5 * time.Second
)

// underLoad runs both load generators against hosts while change runs
// and until done says that the last change is live, lets the load go on
// for a second more, and returns the reloads and what each generator saw.
func (p *perfRun) underLoad(hosts []string, change func(), done func() error) (reloads int, retrying, bare *load) {
	p.settled()
	before := p.reloads()
	ctx, cancel := context.WithCancel(p.t.Context())
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p.a.HTTPPort))
	retrying, waitRetrying := startLoad(ctx, addr, hosts, true)
	bare, waitBare := startLoad(ctx, addr, hosts, false)
	time.Sleep(time.Second) // the load runs before the changes start
	change()
	require.NoError(p.t, harness.Eventually(10*time.Minute, 5*time.Millisecond, done))
	p.settled()
	time.Sleep(time.Second)
	cancel()
	waitRetrying()
	waitBare()
	return p.reloads() - before, retrying, bare
}

// reloads returns archway's count of reloads once it held still for a
// second: archway counts a reload only after nginx retired old workers.
func (p *perfRun) reloads() int {
	return int(heldStill(p.t, func() (float64, error) { return p.a.Metric("nginx_ingress_controller_success") }))
}

// answers returns nil once host's path answers 200 from backend, or from
// any backend when backend is "".
func (p *perfRun) answers(host, path, backend string) func() error {
	return func() error {
		got, err := p.a.Get(host, path)
		if err == nil && (got.Status != 200 || got.Backend == "" || backend != "" && got.Backend != backend) {
			err = fmt.Errorf("%s%s answered %s", host, path, got)
		}
		return err
	}
}

// loadHosts are the hosts of apps from to to (excluded).
func loadHosts(from, to int) []string {
	var hosts []string
	for i := from; i < to; i++ {
		hosts = append(hosts, host(i))
	}
	return hosts
}

// endpointChurn moves the endpoints of ten apps between the two backends
// 200 times, under load on those apps.
func (p *perfRun) endpointChurn() {
	const changes = 200
	apps := min(10, p.n)
	target := func(k int) harness.Backend { return p.backends[(k/apps+1)%2] }
	reloads, retrying, bare := p.underLoad(loadHosts(0, apps), func() {
		for k := range changes {
			require.NoError(p.t, moveEndpoint(p.t.Context(), p.client, p.namespace, k%apps, target(k)))
			time.Sleep(changePause)
		}
	}, p.answers(host((changes-1)%apps), "/", target(changes-1).Name))
	p.add("200 endpoint changes under load: reloads", strconv.Itoa(reloads))
	p.add("200 endpoint changes: failed requests, retrying client", retrying.String())
	p.add("200 endpoint changes: failed requests, non-retrying client", bare.String())
}

// ingressChurn creates 50 Ingresses and then gives each a second path,
// under load on apps that do not change.
func (p *perfRun) ingressChurn() {
	from := min(10, p.n-1)
	churn := func(k int) *networkingv1.Ingress {
		name := fmt.Sprintf("churn-%d", k)
		routes := []harness.Route{{Host: name + ".perf.example", Path: "/", PathType: networkingv1.PathTypePrefix, Service: "app-0"}}
		return harness.WithClass(harness.NewIngress(p.namespace, name, routes...), p.namespace)
	}
	reloads, retrying, bare := p.underLoad(loadHosts(from, min(from+10, p.n)), func() {
		ingresses := p.client.NetworkingV1().Ingresses(p.namespace)
		for k := range 100 {
			if k < 50 {
				_, err := ingresses.Create(p.t.Context(), churn(k), metav1.CreateOptions{})
				require.NoError(p.t, err)
			} else {
				harness.UpdateIngressWith(p.t, p.client, p.namespace, churn(k-50).Name, func(ing *networkingv1.Ingress) {
					paths := &ing.Spec.Rules[0].HTTP.Paths
					*paths = append(*paths, networkingv1.HTTPIngressPath{Path: "/v2", PathType: (*paths)[0].PathType, Backend: (*paths)[0].Backend})
				})
			}
			time.Sleep(changePause)
		}
	}, p.answers("churn-49.perf.example", "/v2/", ""))
	p.add("100 Ingress changes under load: reloads", strconv.Itoa(reloads))
	p.add("100 Ingress changes: failed requests, retrying client", retrying.String())
	p.add("100 Ingress changes: failed requests, non-retrying client", bare.String())
}
