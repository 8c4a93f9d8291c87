package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/lint"
	"github.com/archway-ingress/archway/test/harness"
)

// TestLintCluster: `archway lint --kubeconfig` reads the cluster through
// the controller's source, with the chart's RBAC, and lints its Ingresses
// whatever class they name (ingress-nginx's here): a refused snippet, a
// trailing-slash Prefix path and, as the cluster holds every object, a
// missing Service are reported, and the exit status is 1.
func TestLintCluster(t *testing.T) {
	t.Parallel()
	s := env
	ns := s.NewNamespace(t)
	s.CreateService(t, ns, "core", true)
	s.CreateService(t, ns, "portal", true)
	prefix := networkingv1.PathTypePrefix
	harbor := harness.WithClass(harness.NewIngress(ns, "harbor",
		harness.Route{Host: "harbor.lint.test", Path: "/api/", PathType: prefix, Service: "core"},
		harness.Route{Host: "harbor.lint.test", Path: "/", PathType: prefix, Service: "portal"}), "nginx")
	harbor.Annotations = map[string]string{"nginx.ingress.kubernetes.io/configuration-snippet": "deny all;"}
	s.CreateIngress(t, harbor)
	missing := harness.NewIngress(ns, "missing", harness.Route{Host: "missing.lint.test", Path: "/", PathType: prefix, Service: "absent"})
	missing.Annotations = map[string]string{"kubernetes.io/ingress.class": "nginx"}
	s.CreateIngress(t, missing)

	cmd := exec.Command(s.ArchwayBin, "lint", "--kubeconfig", s.ArchwayKubeconfig, "--watch-namespace", ns, "-o", "json")
	out, err := cmd.Output()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "%v", err)
	require.Equal(t, 1, exit.ExitCode(), string(exit.Stderr))
	var res lint.Result
	require.NoError(t, json.Unmarshal(out, &res), string(out))
	var got []string
	for _, f := range res.Findings {
		got = append(got, fmt.Sprintf("%s %s %s %s", f.Severity, f.Reason, f.Name, f.Field))
	}
	require.Equal(t, []string{
		"error SnippetRefused harbor metadata.annotations[nginx.ingress.kubernetes.io/configuration-snippet]",
		"warning PrefixTrailingSlash harbor spec.rules[0].http.paths[0].path",
		"error ServiceNotFound missing spec.rules[0].http.paths[0].backend.service.name",
	}, got)
	require.Equal(t, 2, res.Ingresses)
	require.Empty(t, res.Unchecked)
}
