package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/testutil"
)

// TestDefaultLimitsRefuseAnOversizedIngress renders, with the default
// flags, a namespace holding an Ingress of 1,001 paths (the kind that makes
// every reload of the shared nginx slow) and a small one: the big one is
// refused whole with its reason, the small one serves.
func TestDefaultLimitsRefuseAnOversizedIngress(t *testing.T) {
	dir := t.TempDir()
	var manifests strings.Builder
	manifests.WriteString(classManifest + `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: small, namespace: team}
spec:
  ingressClassName: archway
  rules:
  - host: small.example
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: huge, namespace: team}
spec:
  ingressClassName: archway
  rules:
  - host: huge.example
    http:
      paths:
`)
	for i := range 1001 {
		fmt.Fprintf(&manifests, "      - {path: /p%d, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}\n", i)
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "team.yaml"), []byte(manifests.String()), 0o644))
	var out, errs bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"render", "--manifests", dir, "--runtime-dir", t.TempDir()}, &out, &errs))
	require.Contains(t, out.String(), `server_name "small.example";`)
	require.NotContains(t, out.String(), "huge.example")
	require.Contains(t, errs.String(), "1 Ingresses served")
	require.Contains(t, errs.String(), "# rejected: Ingress team/huge spec.rules: LimitExceeded: it has 1001 paths, "+
		"over the limit of 1000 paths per Ingress; none of this Ingress is served")
}

// TestDefaultLimitsFitTheBenchmarks checks that the default limits serve
// every Ingress of the benchmarks' shapes: ScaleSnapshot's 10,000 Ingresses
// over 50 namespaces, and test/perf's largest run, which puts 10,000 apps,
// a burst of 1,000, 20 samples and 50 churned Ingresses (two paths each)
// into one namespace, each on a host of its own.
func TestDefaultLimitsFitTheBenchmarks(t *testing.T) {
	var cfg config
	require.NoError(t, newFlagSet("archway", &cfg).Parse(nil))
	cfg.build.IngressClass, cfg.build.ControllerClass = testutil.ScaleIngressClass, testutil.ScaleControllerClass
	snap := testutil.ScaleSnapshot(10_000)
	_, report := builder.Build(snap, cfg.build)
	require.Equal(t, 10_000, len(report.Served))

	const perf = 10_000 + 1_000 + 20 + 50
	snap = testutil.ScaleSnapshot(perf)
	for i, ing := range snap.Ingresses {
		ing.Namespace = "perf"
		rule := &ing.Spec.Rules[0]
		rule.Host = fmt.Sprintf("app-%d.perf.example", i)
		if i < perf-50 {
			rule.HTTP.Paths = rule.HTTP.Paths[:1]
		}
	}
	_, report = builder.Build(snap, cfg.build)
	require.Equal(t, perf, len(report.Served))
}
