package builder

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/source"
	"github.com/archway-ingress/archway/internal/testutil"
)

// TestBuildIndependentOfScheduling checks that the work Build does
// concurrently (Ingresses prepared ahead of the pass that claims routes,
// endpoints and backends beside servers and TLS) gives the same Config
// and Report as with a single thread, with and without the annotation
// cache, on a Snapshot of more Ingresses than aheadMin full of conflicts,
// canaries and problems of each side, in many namespaces.
func TestBuildIndependentOfScheduling(t *testing.T) {
	snap := variedSnapshot(t, 1_000)
	require.Greater(t, len(snap.Ingresses), aheadMin)
	opts := defaultOpts()
	opts.DefaultBackendService = "web/app"

	build := func(procs int, opts Options) (model.Config, Report) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		return Build(snap, opts)
	}
	wantConfig, wantReport := build(1, opts)
	kinds := map[string]bool{}
	for _, p := range wantReport.Problems {
		kinds[p.Kind+" "+string(p.Reason)] = true
	}
	for _, k := range []string{"Ingress PathConflict", "Ingress ServiceNotFound", "EndpointSlice InvalidEndpoint", "Ingress DuplicateObject",
		"Ingress InvalidPath", "Ingress InvalidHost", "Ingress InvalidAnnotation", "Ingress CanaryWithoutMain"} {
		require.True(t, kinds[k], "the Snapshot should cause %s; got %v", k, kinds)
	}
	require.True(t, slices.ContainsFunc(wantConfig.Servers, func(s model.Server) bool {
		return slices.ContainsFunc(s.Locations, func(l model.Location) bool { return len(l.Canaries) > 0 })
	}), "the Snapshot should attach canaries")
	cached := opts
	cached.Annotations = NewAnnotationCache()
	for _, procs := range []int{1, 2, 2, 2, 4} {
		for _, opts := range []Options{opts, cached} {
			config, report := build(procs, opts)
			require.Equal(t, wantConfig, config, "GOMAXPROCS %d, cache %t", procs, opts.Annotations != nil)
			require.Equal(t, wantReport, report, "GOMAXPROCS %d, cache %t", procs, opts.Annotations != nil)
		}
	}
}

// variedSnapshot is ScaleSnapshot(n) with the manifests of testdata, and
// some of its Ingresses changed all along: annotations (some invalid),
// canaries of older Ingresses of their namespace or of none, paths taken
// by older Ingresses, invalid paths and hosts, missing Services.
func variedSnapshot(t *testing.T, n int) source.Snapshot {
	snap := testutil.ScaleSnapshot(n) // with the IngressClass of classes.yaml
	for i, ing := range snap.Ingresses {
		rule := &ing.Spec.Rules[0]
		paths := rule.HTTP.Paths
		const prefix = "nginx.ingress.kubernetes.io/"
		switch {
		case i%7 == 0:
			ing.Annotations = map[string]string{prefix + "proxy-read-timeout": fmt.Sprint(i%5*10 + 10), prefix + "use-regex": "true"}
			paths[0].PathType = nil
			paths[0].Path = fmt.Sprintf("/app-%d/[0-9]+", i)
		case i%9 == 0:
			ing.Annotations = map[string]string{prefix + "proxy-read-timeout": "soon"}
		case i%13 == 0 && i >= 100:
			// A canary of the Ingress 50 older (same namespace), or of
			// the one before it (another namespace: none).
			main := i - 50
			if i%2 == 0 {
				main = i - 1
			}
			ing.Annotations = map[string]string{prefix + "canary": "true", prefix + "canary-weight": "10"}
			rule.Host = fmt.Sprintf("host-%d.example.com", main/4)
			paths[0].Path = fmt.Sprintf("/app-%d/", main)
			paths[1].Path = fmt.Sprintf("/app-%d/health", main)
		case i%11 == 0:
			paths[1].Backend.Service = &networkingv1.IngressServiceBackend{Name: "gone", Port: paths[1].Backend.Service.Port}
		case i%17 == 0:
			rule.Host = fmt.Sprintf("host-%d.example.com", (i-1)/4)
			paths[0].Path = fmt.Sprintf("/app-%d/", i-1)
		case i%19 == 0:
			paths[1].Path = "/a/../b"
		case i%23 == 0:
			ing.Spec.Rules = append(ing.Spec.Rules, networkingv1.IngressRule{Host: "Bad_Host", IngressRuleValue: rule.IngressRuleValue})
		}
	}
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
	return snap
}

// TestAheadPreparesEachItemOnce checks that ahead prepares every item
// exactly once, before wait returns for it, whether goroutines take
// chunks or the caller does.
func TestAheadPreparesEachItemOnce(t *testing.T) {
	for _, n := range []int{0, 1, aheadMin - 1, aheadMin, 10*aheadChunk + 3} {
		for _, procs := range []int{1, 2} {
			t.Run(fmt.Sprintf("n=%d/procs=%d", n, procs), func(t *testing.T) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				prepared := make([]atomic.Int32, n)
				a := startAhead(n, func(lo, hi int) {
					for i := lo; i < hi; i++ {
						prepared[i].Add(1)
					}
				})
				for i := range n {
					a.wait(i)
					require.EqualValues(t, 1, prepared[i].Load(), "item %d", i)
				}
				for i := range prepared {
					require.EqualValues(t, 1, prepared[i].Load(), "item %d", i)
				}
			})
		}
	}
}
