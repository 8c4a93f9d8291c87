package e2e

import (
	"testing"

	"github.com/archway-ingress/archway/test/harness"
)

// env is the environment TestMain starts for every test of the binary.
// It is set once, before any test runs, and never replaced.
var env *suite

// suite is the harness with what only these tests need.
type suite struct {
	*harness.Suite
	// restricted is bound by TestRBAC to the rules minus one permission.
	restricted           harness.Account
	restrictedKubeconfig string
}

// archway is a harness.Archway, with the methods of these tests.
type archway struct{ *harness.Archway }

func (s *suite) startArchway(t *testing.T, opts harness.ArchwayOptions) *archway {
	t.Helper()
	return &archway{s.StartArchway(t, opts)}
}

// classNamespace is a new namespace for t and an IngressClass of archway
// named as it, which an archway started with Class: ns serves alone.
func (s *suite) classNamespace(t *testing.T) string {
	t.Helper()
	ns := s.NewNamespace(t)
	s.CreateIngressClass(t, ns, harness.ControllerClass)
	return ns
}

// foreignClass creates an IngressClass of another ingress controller,
// named after ns, and returns its name.
func (s *suite) foreignClass(t *testing.T, ns string) string {
	t.Helper()
	foreign := ns + "-foreign"
	s.CreateIngressClass(t, foreign, "example.com/another-controller")
	return foreign
}

func TestMain(m *testing.M) {
	restricted := harness.NewAccount(harness.ControllerNamespace, "archway-restricted")
	harness.Main(m, "e2e", harness.Options{Accounts: []harness.Account{restricted}}, func(hs *harness.Suite) error {
		kubeconfig, err := hs.Cluster.WriteKubeconfig("archway-restricted", restricted.Token)
		env = &suite{Suite: hs, restricted: restricted, restrictedKubeconfig: kubeconfig}
		return err
	})
}
