package annotations

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite docs/annotations.md")

// TestDocsUpToDate fails when docs/annotations.md differs from what the
// table generates; `go generate ./internal/annotations` rewrites it.
func TestDocsUpToDate(t *testing.T) {
	want, err := Markdown()
	require.NoError(t, err)
	testutil.GeneratedFile(t, filepath.Join("..", "..", "docs", "annotations.md"), want, *update, "go generate ./internal/annotations")
}

func TestDocsListEveryAnnotation(t *testing.T) {
	md, err := Markdown()
	require.NoError(t, err)
	for _, s := range Specs() {
		require.Contains(t, string(md), "| `"+s.Key+"` |", "docs miss %s", s.Key)
		require.NotEmpty(t, s.Syntax, s.Key)
		require.NotEmpty(t, s.Doc, s.Key)
	}
}
