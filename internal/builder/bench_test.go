package builder

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/testutil"
)

func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{100, 1_000, 10_000} {
		b.Run(fmt.Sprintf("ingresses=%d", n), func(b *testing.B) {
			snap := testutil.ScaleSnapshot(n)
			config, report := Build(snap, defaultOpts())
			// Measure the real path, not an error path.
			require.Empty(b, report.Problems)
			require.Len(b, report.Served, n)
			require.Len(b, config.Backends, n)
			b.ReportAllocs()
			for b.Loop() {
				Build(snap, defaultOpts())
			}
		})
	}
}

// TestBuildAllocations keeps Build's allocations proportional to the
// Backends it makes (a name and an endpoint list each), not to every path,
// rule or Ingress.
func TestBuildAllocations(t *testing.T) {
	const n = 1_000
	snap := testutil.ScaleSnapshot(n)
	allocs := testing.AllocsPerRun(3, func() { Build(snap, defaultOpts()) })
	require.Less(t, allocs, 2.5*n)
}
