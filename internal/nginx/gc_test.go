package nginx

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/render"
)

// TestApplyRemovesStaleFiles rotates a certificate file three times: a
// file is removed once neither the live config nor the one before uses
// it, and files of a failed Apply go with the next successful one.
func TestApplyRemovesStaleFiles(t *testing.T) {
	e := newEnv(t, 0)
	withFile := func(out render.Output, names ...string) render.Output {
		for _, name := range names {
			out.Files = append(out.Files, render.File{Name: name, Data: []byte(name), Mode: 0o600})
		}
		return out
	}
	exists := func(name string) bool {
		_, err := os.Stat(filepath.Join(e.dir, name))
		return err == nil
	}
	e.apply(withFile(e.config("a"), "tls/a.pem", "auth/shared"))
	e.apply(withFile(e.config("b"), "tls/b.pem", "auth/shared"))
	require.True(t, exists("tls/a.pem"), "the previous config's workers may still drain")

	bad := withFile(e.output("v-bad", "v-bad", "bad", "no_such_directive on;"), "tls/failed.pem")
	_, err := e.m.Apply(context.Background(), bad)
	require.Error(t, err)
	require.True(t, exists("tls/failed.pem"))

	e.apply(withFile(e.config("c"), "tls/c.pem", "auth/shared"))
	require.False(t, exists("tls/a.pem"), "two configs old")
	require.False(t, exists("tls/failed.pem"), "never live")
	require.True(t, exists("tls/b.pem"))
	require.True(t, exists("tls/c.pem"))
	require.True(t, exists("auth/shared"))
	require.True(t, exists(render.ConfigFile))

	e.apply(withFile(e.config("d"), "auth/shared"))
	require.False(t, exists("tls/b.pem"))
	require.True(t, exists("tls/c.pem"))
	require.True(t, exists("auth/shared"), "used all along")
	e.requireServes("body-d")
}
