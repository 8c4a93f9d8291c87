package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var updateLint = flag.Bool("update", false, "rewrite testdata/lint.golden.* and testdata/corpus.lint.golden.txt")

// requireGolden compares a lint report with the golden file, which
// -update rewrites first.
func requireGolden(t *testing.T, golden string, report []byte) {
	t.Helper()
	if *updateLint {
		require.NoError(t, os.WriteFile(golden, report, 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.Equal(t, string(want), string(report))
}

const lintCorpus = "testdata/lint"

// TestLintCorpus lints a folder of manifests written for ingress-nginx
// (testdata/lint) and compares the text and JSON reports with their
// golden files; it has errors, so lint fails.
func TestLintCorpus(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), []string{"lint", lintCorpus, "-o", format}, &out, io.Discard)
			require.EqualError(t, err, "lint: 7 errors (archway will not serve those objects as written)")
			requireGolden(t, "testdata/lint.golden."+map[string]string{"text": "txt", "json": "json"}[format], out.Bytes())
		})
	}
}

// TestLintBuildCorpus: the ingress-nginx manifests that builder's tests
// serve without a problem lint without an error, so lint passes.
func TestLintBuildCorpus(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"lint", "../../internal/builder/testdata/ingress-nginx"}, &out, io.Discard))
	require.Contains(t, out.String(), " 0 errors,")
}

// TestLintBinary runs the archway binary as users do: exit status 1 and
// the golden report for the corpus, 0 for its clean Ingress read from
// stdin.
func TestLintBinary(t *testing.T) {
	binary := archwayBinary(t)
	cmd := exec.Command(binary, "lint", lintCorpus)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "%v", err)
	require.Equal(t, 1, exit.ExitCode())
	require.Equal(t, "archway: lint: 7 errors (archway will not serve those objects as written)\n", stderr.String())
	want, err := os.ReadFile("testdata/lint.golden.txt")
	require.NoError(t, err)
	require.Equal(t, string(want), string(out))

	clean, err := os.Open(lintCorpus + "/web.yaml")
	require.NoError(t, err)
	defer clean.Close()
	cmd = exec.Command(binary, "lint", "-")
	cmd.Stdin = clean
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	require.Equal(t, "linted 1 Ingress: 0 errors, 0 warnings, 0 infos\n", string(out))
}

// TestLintSources: the folder source as the controller reads it, where a
// missing Service is an error, and the argument checks.
func TestLintSources(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(lintCorpus + "/harbor.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(dir+"/harbor.yaml", data, 0o644))
	var out bytes.Buffer
	err = run(context.Background(), []string{"lint", "--manifests", dir, "-o", "json"}, &out, io.Discard)
	require.EqualError(t, err, "lint: 7 errors (archway will not serve those objects as written)")
	require.Contains(t, out.String(), `"reason": "ServiceNotFound"`)
	require.NotContains(t, out.String(), `"unchecked"`)

	for args, want := range map[string]string{
		"lint " + dir + " --manifests " + dir: "not both",
		"lint " + dir + " -o yaml":            "-o must be text or json",
		"lint /no/such/folder":                "no such file or directory",
	} {
		err := run(context.Background(), strings.Fields(args), io.Discard, io.Discard)
		require.ErrorContains(t, err, want, args)
	}
}

// TestLintRealCorpus lints the real-manifest corpus (test/corpus, which
// internal/render's TestRealManifestCorpus serves through nginx) and
// compares the report with testdata/corpus.lint.golden.txt.
func TestLintRealCorpus(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"lint", "../../test/corpus"}, &out, io.Discard)
	require.ErrorContains(t, err, "errors (archway will not serve those objects as written)")
	requireGolden(t, "testdata/corpus.lint.golden.txt", out.Bytes())
}

// TestLintStreamServices: among files, a ConfigMap named as ingress-nginx's
// chart names the TCP services' is linted as such without the flag: its
// entries get the services' findings, not the unknown settings'.
func TestLintStreamServices(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(dir+"/streams.yaml", []byte(`
apiVersion: v1
kind: ConfigMap
metadata: {name: ingress-nginx-tcp, namespace: ingress}
data: {"80": ingress/echo:7000, "70000": ingress/echo:7000}
`), 0o644))
	var out bytes.Buffer
	err := run(context.Background(), []string{"lint", dir}, &out, io.Discard)
	require.EqualError(t, err, "lint: 2 errors (archway will not serve those objects as written)")
	require.Contains(t, out.String(), "data.80: StreamPortConflict")
	require.Contains(t, out.String(), "data.70000: InvalidStreamService")
	require.NotContains(t, out.String(), "UnsupportedSetting")
}
