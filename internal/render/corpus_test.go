package render

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/ingressclass"
	"github.com/archway-ingress/archway/internal/source"
)

// corpusDir holds manifests written after public ingress-nginx manifests
// (charts and docs of popular projects); `archway lint` reads it too
// (cmd/archway's TestLintRealCorpus).
const corpusDir = "../../test/corpus"

const corpusGolden = "testdata/corpus.golden.txt"

// TestRealManifestCorpus builds and renders the whole corpus as an
// instance that took over ingress-nginx's class would, checks the result
// with nginx -t, and compares the Problems and the served Ingresses with
// testdata/corpus.golden.txt (regenerate with -update and read the diff).
func TestRealManifestCorpus(t *testing.T) {
	snap := corpusSnapshot(t)
	require.GreaterOrEqual(t, len(snap.Ingresses), 40)
	cfg, report := builder.Build(snap, builder.Options{IngressClass: "nginx", ControllerClass: "archway.dev/ingress-controller",
		WatchWithoutClass: true, Now: time.Now(), FallbackCertificate: testCertificate(t, "default")})
	renderChecked(t, cfg)

	var got bytes.Buffer
	fmt.Fprintf(&got, "# %d Ingresses, %d served, %d problems\n", len(snap.Ingresses), len(report.Served), len(report.Problems))
	for _, p := range report.Problems {
		fmt.Fprintln(&got, "problem:", p)
	}
	for _, ref := range report.Served {
		fmt.Fprintln(&got, "served:", ref)
	}
	if *update {
		require.NoError(t, os.WriteFile(corpusGolden, got.Bytes(), 0o644))
	}
	want, err := os.ReadFile(corpusGolden)
	require.NoError(t, err)
	require.Equal(t, string(want), got.String())
}

// corpusSnapshot reads every file of the corpus, with the class names
// dropped as `archway lint` does: they name ingress-nginx's class.
func corpusSnapshot(t *testing.T) source.Snapshot {
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.yaml"))
	require.NoError(t, err)
	var snap source.Snapshot
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		snap.AddManifests(filepath.Base(f), data)
	}
	for _, ing := range snap.Ingresses {
		ing.Spec.IngressClassName = nil
		delete(ing.Annotations, ingressclass.LegacyAnnotation)
	}
	return snap
}
