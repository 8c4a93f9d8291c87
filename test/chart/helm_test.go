package chart

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

const (
	helmVersion = "v3.22.0"
	// kubeVersion is the cluster the chart is rendered for: the e2e
	// kube-apiserver's. A go-installed helm defaults to an old one.
	kubeVersion = "1.37.2"
	chartDir    = "deploy/helm/archway"
)

// repoRoot returns the repository root: the folder above this package
// holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, parent, dir, "no go.mod above the test")
		dir = parent
	}
}

// helmBinary returns the helm the tests run and fails when there is none.
func helmBinary(t *testing.T) string {
	t.Helper()
	helm := os.Getenv("ARCHWAY_HELM")
	if helm == "" {
		helm = filepath.Join(repoRoot(t), ".cache/e2e/bin/helm-"+helmVersion, "helm")
	}
	_, err := os.Stat(helm)
	require.NoError(t, err, "the chart tests need helm %s: run scripts/e2e-tools.sh or set ARCHWAY_HELM", helmVersion)
	return helm
}

// runHelm runs helm in the repository root and returns its stdout.
func runHelm(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), helmBinary(t), args...)
	cmd.Dir = repoRoot(t)
	// helm keeps caches and its repository list here; the test must not
	// read or write the user's.
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+home, "HELM_CONFIG_HOME="+home, "HELM_DATA_HOME="+home)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, &helmError{err: err, stderr: stderr.String()}
	}
	return stdout.Bytes(), nil
}

type helmError struct {
	err    error
	stderr string
}

func (e *helmError) Error() string { return e.err.Error() + ": " + e.stderr }

// object is one rendered manifest.
type object struct {
	Kind     string
	Metadata struct {
		Name        string
		Namespace   string
		Labels      map[string]string
		Annotations map[string]string
	}
	raw []byte
}

// clusterScoped tells the kinds the chart renders without a namespace.
func clusterScoped(kind string) bool {
	switch kind {
	case "ClusterRole", "ClusterRoleBinding", "IngressClass", "ValidatingWebhookConfiguration":
		return true
	}
	return false
}

// release is the output of one helm template.
type release struct {
	name, namespace string
	objects         []object
}

// template renders the chart as release name in namespace with the given
// extra helm arguments (-f, --set).
func template(t *testing.T, name, namespace string, args ...string) release {
	t.Helper()
	out, err := runHelm(t, append([]string{"template", name, chartDir, "--namespace", namespace,
		"--kube-version", kubeVersion}, args...)...)
	require.NoError(t, err)
	r := release{name: name, namespace: namespace}
	for doc := range strings.SplitSeq(string(out), "\n---\n") {
		var o object
		require.NoError(t, yaml.Unmarshal([]byte(doc), &o))
		if o.Kind == "" {
			continue // a document holding only comments
		}
		o.raw = []byte(doc)
		r.objects = append(r.objects, o)
	}
	require.NotEmpty(t, r.objects)
	return r
}

// get strict-decodes the one object of kind into out (a pointer to its
// API type), so a misspelt field in a template fails the test.
func (r release) get(t *testing.T, kind string, out any) {
	t.Helper()
	var found []object
	for _, o := range r.objects {
		if o.Kind == kind {
			found = append(found, o)
		}
	}
	require.Len(t, found, 1, "release %s: objects of kind %s", r.name, kind)
	require.NoError(t, yaml.UnmarshalStrict(found[0].raw, out), "release %s: %s", r.name, kind)
}

// named strict-decodes the object of kind and name into out.
func (r release) named(t *testing.T, kind, name string, out any) {
	t.Helper()
	for _, o := range r.objects {
		if o.Kind == kind && o.Metadata.Name == name {
			require.NoError(t, yaml.UnmarshalStrict(o.raw, out), "release %s: %s %s", r.name, kind, name)
			return
		}
	}
	require.Failf(t, "object missing", "release %s has no %s %s", r.name, kind, name)
}

func (r release) hasNamed(kind, name string) bool {
	for _, o := range r.objects {
		if o.Kind == kind && o.Metadata.Name == name {
			return true
		}
	}
	return false
}

func (r release) has(kind string) bool {
	for _, o := range r.objects {
		if o.Kind == kind {
			return true
		}
	}
	return false
}
