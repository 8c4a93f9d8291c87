//go:build perf

package perf

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/test/harness"
)

// nginxTimes are what nginx itself needs for a config: `nginx -t` of it,
// a reload with it unchanged, and the CPU time that reload took (the
// master's parse and fork, and the new workers' start): unlike the
// reload's time, hardly changed by other work on the machine.
type nginxTimes struct{ test, reload, reloadCPU time.Duration }

// bareNginx times nginx on the config archway wrote: `nginx -t` of it,
// and a reload of archway's nginx with it unchanged (bareReload). Each is
// the median of five.
func bareNginx(t testing.TB, a *harness.Archway, binary string) nginxTimes {
	t.Helper()
	conf := filepath.Join(a.RuntimeDir, "nginx.conf")
	var tests, reloads, cpus []time.Duration
	for range 5 {
		start := time.Now()
		out, err := exec.Command(binary, "-t", "-q", "-p", a.RuntimeDir, "-c", conf, "-e", "stderr").CombinedOutput()
		require.NoError(t, err, "nginx -t: %s", out)
		tests = append(tests, time.Since(start))
		took, cpu := bareReload(t, a)
		reloads, cpus = append(reloads, took), append(cpus, cpu)
	}
	return nginxTimes{test: percentile(tests, 50), reload: percentile(reloads, 50), reloadCPU: percentile(cpus, 50)}
}

// alternateReloads times reloads of archway's nginx with each of two
// configs in turn, five times each, and gives the medians: the two run
// within the same seconds, so drift of the machine's other work between
// them cancels out. archway's own config is left in place, and nginx
// serving it, as archway checks it only when it reloads.
func alternateReloads(t testing.TB, a *harness.Archway, other []byte) (withOther, withOwn nginxTimes) {
	t.Helper()
	conf := filepath.Join(a.RuntimeDir, "nginx.conf")
	own, err := os.ReadFile(conf)
	require.NoError(t, err)
	var reloads, cpus [2][]time.Duration
	for range 5 {
		for i, config := range [][]byte{other, own} {
			require.NoError(t, os.WriteFile(conf, config, 0o644))
			took, cpu := bareReload(t, a)
			reloads[i], cpus[i] = append(reloads[i], took), append(cpus[i], cpu)
		}
	}
	times := func(i int) nginxTimes {
		return nginxTimes{reload: percentile(reloads[i], 50), reloadCPU: percentile(cpus[i], 50)}
	}
	return times(0), times(1)
}

// bareReload reloads archway's nginx with the config on disk, and gives the
// time from SIGHUP until only new workers accept connections (what archway
// waits for too), and the CPU time the master and the new workers spent.
func bareReload(t testing.TB, a *harness.Archway) (took, cpu time.Duration) {
	t.Helper()
	master, old, err := harness.NginxProcesses(a.Proc.Cmd.Process.Pid)
	require.NoError(t, err)
	before, err := cpuTime(master)
	require.NoError(t, err)
	start := time.Now()
	require.NoError(t, syscall.Kill(master, syscall.SIGHUP))
	var workers []int
	require.NoError(t, harness.Eventually(5*time.Minute, 2*time.Millisecond, func() error {
		_, workers, err = harness.NginxProcesses(a.Proc.Cmd.Process.Pid)
		switch {
		case err != nil:
			return err
		case len(workers) == 0 || slices.ContainsFunc(workers, func(pid int) bool { return slices.Contains(old, pid) }):
			return errors.New("workers of the previous config still accept connections")
		}
		return nil
	}))
	took = time.Since(start)
	after, err := cpuTime(master)
	require.NoError(t, err)
	cpu = after - before
	for _, w := range workers {
		if used, err := cpuTime(w); err == nil { // a worker may exit meanwhile
			cpu += used
		}
	}
	return took, cpu
}

// cpuTime is the user and system CPU time that process pid used so far.
func cpuTime(pid int) (time.Duration, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command name, which may hold spaces: the
	// state, ..., utime and stime (the 14th and 15th fields of the line),
	// in ticks of 1/100 s.
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / 100, nil
}

// blocks counts the server and location blocks of the config archway
// wrote: nginx's Lua module builds a context for each at every parse.
func blocks(t testing.TB, a *harness.Archway) (servers, locations int) {
	t.Helper()
	conf, err := os.ReadFile(filepath.Join(a.RuntimeDir, "nginx.conf"))
	require.NoError(t, err)
	for line := range strings.SplitSeq(string(conf), "\n") {
		switch line = strings.TrimSpace(line); {
		case line == "server {":
			servers++
		case strings.HasPrefix(line, "location "):
			locations++
		}
	}
	return servers, locations
}

// rssKB is the resident memory of a process, in kB.
func rssKB(pid int) (int64, error) { return statusKB(pid, "VmRSS") }

// statusKB reads one kB field of /proc/PID/status, such as VmRSS or VmHWM
// (the peak resident memory).
func statusKB(pid int, field string) (int64, error) {
	return procKB(fmt.Sprintf("/proc/%d/status", pid), field)
}

// pssKB is a process's proportional share of resident memory, in kB:
// pages it shares with n processes count 1/n each.
func pssKB(pid int) (int64, error) { return procKB(fmt.Sprintf("/proc/%d/smaps_rollup", pid), "Pss") }

// procKB reads the "field: N kB" line of a /proc file.
func procKB(path, field string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		if rest, ok := strings.CutPrefix(lines.Text(), field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("%s: no %s", path, field)
}

// goHeap returns the Go heap of archway, in kB, right after a collection
// (which the heap profile runs with gc=1): the live objects (HeapAlloc)
// and the spans that hold them (HeapInuse). archway must run with
// --profiling.
func goHeap(t testing.TB, a *harness.Archway) (live, spans int64) {
	t.Helper()
	resp, err := a.Client.Get("http://" + a.Metrics + "/debug/pprof/heap?gc=1&debug=1")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "archway serves its heap profile with --profiling")
	stats := map[string]int64{}
	lines := bufio.NewScanner(resp.Body)
	lines.Buffer(nil, 1<<20)
	for lines.Scan() {
		// The runtime.MemStats lines at the end: "# HeapAlloc = 65117520".
		if name, value, ok := strings.Cut(strings.TrimPrefix(lines.Text(), "# "), " = "); ok {
			if n, err := strconv.ParseInt(value, 10, 64); err == nil {
				stats[name] = n
			}
		}
	}
	require.NoError(t, lines.Err())
	require.Contains(t, stats, "HeapAlloc")
	require.Contains(t, stats, "HeapInuse")
	return stats["HeapAlloc"] / 1024, stats["HeapInuse"] / 1024
}

// memory returns archway's resident memory, and nginx's master and
// workers' summed two ways: their proportional shares (what they really
// take: workers share most of the config with the master they were forked
// from) and their resident memory (which counts shared pages once per
// process). Workers of an earlier config that are shutting down after a
// reload are waited for, up to a minute, and left out if they outlive it:
// each holds a whole config for that moment only, and counting one or not
// (the TLS rows measure right after reloads) moved the sum at 10,000 hosts
// by a worker's 20 MB.
func memory(t testing.TB, a *harness.Archway) (archway, nginxPSS, nginxRSS int64) {
	t.Helper()
	pid := a.Proc.Cmd.Process.Pid
	archway, err := rssKB(pid)
	require.NoError(t, err)
	var master int
	var procs map[int]string
	var old []int
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		master, _, err = harness.NginxProcesses(pid)
		require.NoError(t, err)
		procs, err = harness.Children(master)
		require.NoError(t, err)
		if old = harness.ShuttingDown(procs); len(old) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(old) > 0 {
		t.Logf("nginx memory leaves out workers %v, still shutting down after a minute", old)
	}
	for _, p := range append(slices.Collect(maps.Keys(procs)), master) {
		if slices.Contains(old, p) {
			continue
		}
		// A process may exit meanwhile.
		if kb, err := rssKB(p); err == nil {
			nginxRSS += kb
		}
		if kb, err := pssKB(p); err == nil {
			nginxPSS += kb
		}
	}
	return archway, nginxPSS, nginxRSS
}
