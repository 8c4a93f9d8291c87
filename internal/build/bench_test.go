package build

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
