package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestConfigMapFlagPicksInAFolder: with --manifests, --configmap reaches
// the build, which picks that ConfigMap among the folder's; a cluster
// source watches the named ConfigMap alone, so the build takes its one.
func TestConfigMapFlagPicksInAFolder(t *testing.T) {
	for args, want := range map[[2]string]string{
		{"--manifests", t.TempDir()}:     "ingress/archway",
		{"--kubeconfig", "/nonexistent"}: "",
	} {
		var cfg config
		require.NoError(t, newFlagSet("archway", &cfg).Parse([]string{args[0], args[1], "--configmap", "ingress/archway"}))
		require.NoError(t, cfg.validate())
		require.Equal(t, want, cfg.build.ConfigMap, "%v", args)
	}
}
