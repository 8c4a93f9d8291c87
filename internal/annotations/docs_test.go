package annotations

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite docs/annotations.md")

// TestDocsUpToDate fails when docs/annotations.md differs from what the
// table generates; `go generate ./internal/annotations` rewrites it.
func TestDocsUpToDate(t *testing.T) {
	want, err := Markdown()
	require.NoError(t, err)
	path := filepath.Join("..", "..", "docs", "annotations.md")
	if *update {
		require.NoError(t, os.WriteFile(path, want, 0o644))
	}
	got, err := os.ReadFile(path)
	require.NoError(t, err, "run go generate ./internal/annotations")
	require.Equal(t, string(want), string(got), "docs/annotations.md is stale: run go generate ./internal/annotations")
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
