package builder

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/testutil"
)

// TestBuildIndependentOfScheduling checks that the work Build does
// concurrently (endpoints and backends beside servers and TLS)
// gives the same Config and Report as with a single thread, on a Snapshot
// full of conflicts and problems of each side.
func TestBuildIndependentOfScheduling(t *testing.T) {
	snap := testutil.ScaleSnapshot(300) // with the IngressClass of classes.yaml
	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	require.NoError(t, err)
	for _, f := range files {
		if filepath.Base(f) == "classes.yaml" {
			continue
		}
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		snap.AddManifests(f, data)
	}
	opts := defaultOpts()
	opts.DefaultBackendService = "web/app"

	build := func(procs int) (model.Config, Report) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		return Build(snap, opts)
	}
	wantConfig, wantReport := build(1)
	kinds := map[string]bool{}
	for _, p := range wantReport.Problems {
		kinds[p.Kind+" "+string(p.Reason)] = true
	}
	for _, k := range []string{"Ingress PathConflict", "Ingress ServiceNotFound", "EndpointSlice InvalidEndpoint", "Ingress DuplicateObject"} {
		require.True(t, kinds[k], "the Snapshot should cause %s; got %v", k, kinds)
	}
	for range 5 {
		config, report := build(2)
		require.Equal(t, wantConfig, config)
		require.Equal(t, wantReport, report)
	}
}
