package reason

import (
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite docs/reasons.md")

// TestDocsUpToDate fails when docs/reasons.md differs from what Docs
// generates; `go generate ./internal/reason` rewrites it.
func TestDocsUpToDate(t *testing.T) {
	testutil.GeneratedFile(t, filepath.Join("..", "..", "docs", "reasons.md"), Markdown(), *update, "go generate ./internal/reason")
}

// TestEveryReasonIsDescribed reads the constants of reason.go, so that a
// Reason added without its line in Docs fails.
func TestEveryReasonIsDescribed(t *testing.T) {
	declared := declaredReasons(t)
	require.NotEmpty(t, declared)
	described := make(map[Reason]bool)
	for _, d := range Docs {
		require.False(t, described[d.Reason], "%s is described twice", d.Reason)
		described[d.Reason] = true
		require.NotEmpty(t, d.Description, "%s has no description", d.Reason)
		require.True(t, declared[d.Reason], "%s is described but not declared in reason.go", d.Reason)
	}
	for r := range declared {
		require.True(t, described[r], "%s has no description in Docs", r)
	}
}

// declaredReasons returns the values of reason.go's Reason constants.
func declaredReasons(t *testing.T) map[Reason]bool {
	file, err := parser.ParseFile(token.NewFileSet(), "reason.go", nil, 0)
	require.NoError(t, err)
	declared := make(map[Reason]bool)
	ast.Inspect(file, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		if typ, ok := spec.Type.(*ast.Ident); !ok || typ.Name != "Reason" {
			return true
		}
		for _, v := range spec.Values {
			lit, ok := v.(*ast.BasicLit)
			require.True(t, ok, "a Reason constant is not a string literal")
			s, err := strconv.Unquote(lit.Value)
			require.NoError(t, err)
			declared[Reason(s)] = true
		}
		return true
	})
	return declared
}
