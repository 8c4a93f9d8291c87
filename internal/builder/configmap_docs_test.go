package builder

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/testutil"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/configmap.md")

// TestConfigMapDocsUpToDate fails when docs/configmap.md differs from what
// the table generates; `go generate ./internal/builder` rewrites it.
func TestConfigMapDocsUpToDate(t *testing.T) {
	want, err := ConfigMapMarkdown()
	require.NoError(t, err)
	testutil.GeneratedFile(t, filepath.Join("..", "..", "docs", "configmap.md"), want, *updateDocs, "go generate ./internal/builder")
}

func TestConfigMapDocsListEveryKey(t *testing.T) {
	md, err := ConfigMapMarkdown()
	require.NoError(t, err)
	for _, s := range SettingSpecs() {
		require.Contains(t, string(md), "| `"+s.Key+"` |", "docs miss %s", s.Key)
		require.NotEmpty(t, s.Syntax, s.Key)
		require.NotEmpty(t, s.Doc, s.Key)
		require.NotEmpty(t, s.Group, s.Key)
		require.Contains(t, []SettingScope{ScopeGlobal, ScopeServer, ScopeLocationDefault}, s.Scope, s.Key)
	}
	for _, r := range RefusedSettings() {
		require.Contains(t, string(md), "| `"+r.Key+"` |", "docs miss the refused %s", r.Key)
	}
}
