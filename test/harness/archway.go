package harness

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// ArchwayOptions configure one archway process.
type ArchwayOptions struct {
	// Class is its --ingress-class.
	Class string
	// Controller is its --controller-class; ControllerClass by default.
	Controller string
	// Kubeconfig defaults to the one bound to exactly the chart's rules.
	Kubeconfig string
	// ElectionID is its Lease; by default each instance has its own, so
	// that instances of different tests never wait for each other.
	ElectionID string
	// Args are more flags.
	Args []string
	// Unready skips waiting for /readyz.
	Unready bool
	// Forbidden allows the API server's "forbidden" answers in the log.
	// Otherwise any one fails the test: a missing watch permission, for
	// one, still lets archway serve, through slow periodic relists.
	Forbidden bool
	// Timeout bounds the wait for /readyz (30s by default).
	Timeout time.Duration
	// Listen, when set, holds the ports that Args already give archway
	// (--http-port, --https-port, --metrics-address), as a chart renders
	// them for a pod on its node's network. By default the harness picks
	// free ports and adds those flags itself.
	Listen *Listen
}

// Listen is where archway serves: nginx's HTTP and HTTPS ports and the
// port of /metrics, /healthz and /readyz, all reachable on 127.0.0.1.
type Listen struct{ HTTP, HTTPS, Metrics int }

// metricsClient scrapes /metrics, which holds a series per Ingress that
// got traffic: a hundred megabytes at 10,000 Ingresses in a bench.
var metricsClient = &http.Client{Timeout: time.Minute}

// forbidden finds the API server's RBAC denials in client-go's logs.
var forbidden = regexp.MustCompile(`(?m)^.*is forbidden: User .*$`)

// Archway is a running archway process and the nginx it supervises.
type Archway struct {
	Proc       *Process
	RuntimeDir string // its --runtime-dir, where nginx.conf is
	HTTPPort   int
	HTTPSPort  int
	Metrics    string // host:port of /healthz, /readyz and /metrics
	Client     *http.Client
	// ended is set once the test stopped or killed the process itself.
	ended atomic.Bool
}

// StartArchway starts archway with its own ports and runtime folder and
// Waits until it is ready. When the test ends it sends SIGTERM and
// requires exit status 0; when the test failed it logs archway's output.
func (s *Suite) StartArchway(t testing.TB, opts ArchwayOptions) *Archway {
	t.Helper()
	if opts.Kubeconfig == "" {
		opts.Kubeconfig = s.ArchwayKubeconfig
	}
	n := s.nextArchway.Add(1)
	id := fmt.Sprintf("archway-%d-%s", n, opts.Class)
	if opts.ElectionID == "" {
		opts.ElectionID = id
	}
	runtimeDir := s.runtimeDir(id)
	listen := opts.Listen
	if listen == nil {
		ports, err := FreePorts(3)
		require.NoError(t, err)
		listen = &Listen{HTTP: ports[0], HTTPS: ports[1], Metrics: ports[2]}
	}
	a := &Archway{
		RuntimeDir: runtimeDir,
		HTTPPort:   listen.HTTP,
		HTTPSPort:  listen.HTTPS,
		Metrics:    "127.0.0.1:" + strconv.Itoa(listen.Metrics),
		// A kept-alive connection would stay with a worker of an old config.
		Client: &http.Client{
			Timeout:       2 * time.Second,
			Transport:     &http.Transport{DisableKeepAlives: true},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	args := []string{
		"--kubeconfig=" + opts.Kubeconfig,
		"--ingress-class=" + opts.Class,
		"--controller-class=" + cmp.Or(opts.Controller, ControllerClass),
		"--runtime-dir=" + runtimeDir,
		"--nginx-binary=" + s.NginxBin,
		"--election-id=" + opts.ElectionID,
	}
	if opts.Listen == nil {
		args = append(args, "--http-port="+strconv.Itoa(a.HTTPPort), "--https-port="+strconv.Itoa(a.HTTPSPort), "--metrics-address="+a.Metrics)
	}
	args = append(args, opts.Args...)
	env := []string{"POD_NAMESPACE=" + ControllerNamespace, "POD_NAME=" + id}
	var err error
	a.Proc, err = StartProcess(id, filepath.Join(s.Dir, id+".log"), env, s.ArchwayBin, args...)
	require.NoError(t, err)
	t.Cleanup(func() {
		var err error
		if !a.ended.Load() {
			err = a.Proc.Stop(30 * time.Second)
		}
		if err != nil || t.Failed() {
			t.Logf("%s output:\n%s", id, a.Proc.LogTail(150))
		}
		require.NoError(t, err, "archway must exit 0 on SIGTERM")
		if !opts.Forbidden {
			log, err := os.ReadFile(a.Proc.LogPath)
			require.NoError(t, err)
			require.Empty(t, forbidden.FindAllString(string(log), 5), "the API server denied archway a permission it used; see deploy/helm/archway/files")
		}
	})
	if !opts.Unready {
		timeout := cmp.Or(opts.Timeout, 30*time.Second)
		require.NoError(t, Eventually(timeout, 50*time.Millisecond, a.Ready), "%s never became ready", id)
	}
	return a
}

// Stop sends SIGTERM and requires a clean exit, as the cleanup would.
func (a *Archway) Stop(t testing.TB) {
	t.Helper()
	a.ended.Store(true)
	require.NoError(t, a.Proc.Stop(30*time.Second), "archway must exit 0 on SIGTERM")
}

// Kill ends archway with SIGKILL, as a crash or an OOM kill would.
func (a *Archway) Kill() {
	a.ended.Store(true)
	a.Proc.Kill()
}

// Ready returns nil once /readyz answers 200.
func (a *Archway) Ready() error {
	if a.Proc.Exited() {
		return fmt.Errorf("archway exited: %v", a.Proc.err)
	}
	resp, err := a.Client.Get("http://" + a.Metrics + "/readyz")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("/readyz: %s: %s", resp.Status, body)
	}
	return nil
}

// Answer is what nginx answered: the status and the X-Backend header that
// the echo backends set ("" when nginx answered itself).
type Answer struct {
	Status  int
	Backend string
}

// String is how failures show an Answer.
func (a Answer) String() string {
	if a.Backend == "" {
		return strconv.Itoa(a.Status)
	}
	return fmt.Sprintf("%d from %s", a.Status, a.Backend)
}

// Served is a 200 from the named backend; NotFound and Unavailable are
// nginx's own answers.
func Served(backend string) Answer { return Answer{Status: http.StatusOK, Backend: backend} }

var (
	NotFound    = Answer{Status: http.StatusNotFound}
	Unavailable = Answer{Status: http.StatusServiceUnavailable}
)

// Get sends GET path with Host host to archway's HTTP port.
func (a *Archway) Get(host, path string) (Answer, error) {
	req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(a.HTTPPort)+path, nil)
	if err != nil {
		return Answer{}, err
	}
	req.Host = host
	resp, err := a.Client.Do(req)
	if err != nil {
		return Answer{}, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return Answer{}, err
	}
	return Answer{Status: resp.StatusCode, Backend: resp.Header.Get("X-Backend")}, nil
}

// WaitFor polls until (host, path) answers want, then waits until nginx
// Retired the workers of older configs, and returns when the answer first
// came. After 20 seconds it fails with the last answer.
func (a *Archway) WaitFor(t testing.TB, host, path string, want Answer) time.Time {
	t.Helper()
	return a.WaitForWithin(t, 20*time.Second, host, path, want)
}

// WaitForWithin is WaitFor with another timeout.
func (a *Archway) WaitForWithin(t testing.TB, timeout time.Duration, host, path string, want Answer) time.Time {
	t.Helper()
	var last string
	err := Eventually(timeout, 10*time.Millisecond, func() error {
		got, err := a.Get(host, path)
		switch {
		case err != nil:
			last = err.Error()
		case got != want:
			last = got.String()
		default:
			return nil
		}
		if a.Proc.Exited() {
			return fmt.Errorf("archway exited: %v", a.Proc.err)
		}
		return fmt.Errorf("last answer: %s", last)
	})
	require.NoError(t, err, "GET http://%s%s: want %s", host, path, want)
	first := time.Now()
	a.OneGeneration(t)
	return first
}

// OneGeneration waits until the workers of older configs of the nginx
// archway runs stopped accepting connections (see OneGenerationOf).
func (a *Archway) OneGeneration(t testing.TB) {
	t.Helper()
	OneGenerationOf(t, a.Proc.Cmd.Process.Pid, "")
}

// OneGenerationOf waits until the nginx of runtime dir dir among the
// children of parent ("" for any; a test that runs archway in its own
// process may run several nginx at once) runs workers of one config only.
// Call it after an answer of a new config: that answer may have come from
// a new worker while old ones still accept, and what the test checks next
// must see the new config only.
func OneGenerationOf(t testing.TB, parent int, dir string) {
	t.Helper()
	require.NoError(t, Eventually(30*time.Second, 10*time.Millisecond, func() error { return nginxGenerations(parent, dir) }))
}

// Expect requires that (host, path) answers want now.
func (a *Archway) Expect(t testing.TB, host, path string, want Answer) {
	t.Helper()
	got, err := a.Get(host, path)
	require.NoError(t, err, "GET http://%s%s", host, path)
	require.Equal(t, want, got, "GET http://%s%s: want %s, got %s", host, path, want, got)
}

// Metric returns the value of the first sample of the named metric on
// archway's /metrics.
func (a *Archway) Metric(name string) (float64, error) {
	var value string
	err := a.scrape(func(sample, _, v string) bool {
		if sample == name {
			value = v
		}
		return value == ""
	})
	if err != nil {
		return 0, err
	}
	if value == "" {
		return 0, fmt.Errorf("no metric %s on /metrics", name)
	}
	return strconv.ParseFloat(value, 64)
}

// Series returns how many series of the named metric archway's /metrics
// has.
func (a *Archway) Series(name string) (int, error) {
	n := 0
	err := a.scrape(func(sample, _, _ string) bool {
		if sample == name {
			n++
		}
		return true
	})
	return n, err
}

// MetricBy returns the values of the named metric's samples on archway's
// /metrics by the value of their label key.
func (a *Archway) MetricBy(name, key string) (map[string]float64, error) {
	values := map[string]float64{}
	var parseErr error
	err := a.scrape(func(sample, labels, v string) bool {
		_, rest, found := strings.Cut(labels, key+`="`)
		if sample == name && found {
			value, _, _ := strings.Cut(rest, `"`)
			values[value], parseErr = strconv.ParseFloat(v, 64)
		}
		return parseErr == nil
	})
	return values, errors.Join(err, parseErr)
}

// scrape reads archway's /metrics and calls each with the metric name,
// labels (`{...}`, or "") and value of every sample, until each returns
// false.
func (a *Archway) scrape(each func(name, labels, value string) bool) error {
	resp, err := metricsClient.Get("http://" + a.Metrics + "/metrics")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/metrics: %s", resp.Status)
	}
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		line := lines.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name := line[:strings.IndexAny(line+" ", "{ ")]
		labels := ""
		if end := strings.LastIndexByte(line, '}'); strings.HasPrefix(line[len(name):], "{") && end > 0 {
			labels = line[len(name) : end+1]
		}
		fields := strings.Fields(line)
		if !each(name, labels, fields[len(fields)-1]) {
			return nil
		}
	}
	return lines.Err()
}
