//go:build perf

package perf

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// results appends rows "measurement<TAB>size<TAB>value" to the file named by
// ARCHWAY_PERF_RESULTS as they are measured, so that a run cut short keeps
// what it measured.
type results struct {
	mu   sync.Mutex
	path string
}

func newResults() *results { return &results{path: os.Getenv("ARCHWAY_PERF_RESULTS")} }

func (r *results) add(t testing.TB, measurement string, size int, value string) {
	t.Helper()
	t.Logf("%s at %d Ingresses: %s", measurement, size, value)
	if r.path == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	f, err := os.OpenFile(r.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err == nil {
		_, err = fmt.Fprintf(f, "%s\t%d\t%s\n", measurement, size, value)
		err = errors.Join(err, f.Close())
	}
	if err != nil {
		t.Errorf("write results: %v", err)
	}
}

// seconds prints a duration in seconds with 3 significant digits.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'g', 3, 64) + " s"
}

// percentile returns the p-th percentile (0-100) of ds, nearest rank.
func percentile(ds []time.Duration, p float64) time.Duration {
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	rank := int(p/100*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

// envInts reads a comma-separated list of numbers, or def when unset.
func envInts(t testing.TB, name string, def []int) []int {
	t.Helper()
	value := os.Getenv(name)
	if value == "" {
		return def
	}
	var out []int
	for field := range strings.SplitSeq(value, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want positive numbers separated by commas", name, value)
		}
		out = append(out, n)
	}
	return out
}

func megabytes(kb int64) string { return strconv.FormatInt((kb+512)/1024, 10) + " MB" }
