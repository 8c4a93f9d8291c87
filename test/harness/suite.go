package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/archway-ingress/archway/internal/testutil"
)

// KubeVersion is the kube-apiserver that scripts/e2e-tools.sh builds.
const KubeVersion = "v1.37.2"

// ControllerNamespace is where archway "runs": its Role, Lease and
// ConfigMap live there.
const ControllerNamespace = "archway"

// Suite is one environment: etcd and kube-apiserver with archway's RBAC
// in place, and the binaries the tests run.
type Suite struct {
	Root       string // the repository
	Dir        string // every file the suite writes but archway's runtime dirs (0700, root's)
	ArchwayBin string
	EchoBin    string
	NginxBin   string
	Cluster    Cluster

	ClusterRules, RoleRules []rbacv1.PolicyRule
	ArchwayAccount          Account // bound to exactly the chart's rules
	ArchwayKubeconfig       string

	nextArchway atomic.Int32 // numbers the archway runtime folders
	// gatewayOnce installs the Gateway API CRDs for the first test that
	// asks (GatewayAPI); gatewayErr is what that gave.
	gatewayOnce sync.Once
	gatewayErr  error
	// workloadsOnce starts kube-controller-manager and the node for the
	// first test that asks (Workloads).
	workloadsOnce sync.Once
	workloadsErr  error
	workloads     atomic.Pointer[workloads]
}

// Options configure Start.
type Options struct {
	// Accounts are more token users the API server knows, besides the
	// admin and archway; the caller binds them to roles.
	Accounts []Account
}

// Main is a TestMain for a test binary named name: it starts the Suite,
// hands it to ready (which may finish the binary's own setup), runs the
// tests, stops the Suite and exits with the result.
func Main(m *testing.M, name string, opts Options, ready func(*Suite) error) {
	code := 1
	started := time.Now()
	s, err := Start(opts)
	if err == nil {
		err = ready(s)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %s: cannot start the test environment: %v\n", name, err)
	} else {
		fmt.Fprintf(os.Stderr, "%s: environment ready in %s\n", name, time.Since(started).Round(time.Millisecond))
		code = m.Run()
	}
	if err := s.Stop(code != 0); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %s: tear down: %v\n", name, err)
		code = 1
	}
	os.Exit(code)
}

// Start checks the tools, builds archway and the echo backend, and starts
// Etcd and kube-apiserver with archway's RBAC in place. The caller stops
// the Suite even when Start fails.
func Start(opts Options) (*Suite, error) {
	s := &Suite{}
	var err error
	if s.Root, err = repoRoot(); err != nil {
		return s, err
	}
	apiserverBin, err := s.findTools()
	if err != nil {
		return s, err
	}
	if err := sweepNetworks(); err != nil {
		return s, err
	}
	if s.Dir, err = os.MkdirTemp("", "awe2e-"); err != nil {
		return s, err
	}
	s.Cluster.Dir = s.Dir
	if err := s.buildBinaries(); err != nil {
		return s, err
	}
	if s.ClusterRules, err = LoadRules(filepath.Join(s.Root, ChartRulesDir, "clusterrole-rules.yaml")); err != nil {
		return s, err
	}
	if s.RoleRules, err = LoadRules(filepath.Join(s.Root, ChartRulesDir, "role-rules.yaml")); err != nil {
		return s, err
	}
	s.ArchwayAccount = NewAccount(ControllerNamespace, "archway")
	if err := s.Cluster.start(apiserverBin, append([]Account{s.ArchwayAccount}, opts.Accounts...)); err != nil {
		return s, err
	}
	if s.ArchwayKubeconfig, err = s.Cluster.WriteKubeconfig("archway", s.ArchwayAccount.Token); err != nil {
		return s, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := CreateNamespace(ctx, s.Cluster.Admin, ControllerNamespace); err != nil {
		return s, err
	}
	return s, BindRules(ctx, s.Cluster.Admin, s.ArchwayAccount, s.ClusterRules, s.RoleRules)
}

// Stop stops the cluster; it keeps the suite's folder, with every log,
// when failed.
func (s *Suite) Stop(failed bool) error {
	var errs []error
	if w := s.workloads.Load(); w != nil {
		errs = w.stop()
	}
	errs = append(errs, s.Cluster.stop()...)
	if s.Dir == "" {
		return errors.Join(errs...)
	}
	runtimeDirs, err := filepath.Glob(s.runtimeDir("*"))
	if err != nil {
		errs = append(errs, err)
	}
	if failed || len(errs) > 0 {
		fmt.Fprintf(os.Stderr, "harness: logs and files kept in %s, and archway's runtime dirs in %s\n", s.Dir, s.runtimeDir("*"))
		return errors.Join(errs...)
	}
	for _, dir := range append(runtimeDirs, s.Dir) {
		errs = append(errs, os.RemoveAll(dir))
	}
	return errors.Join(errs...)
}

// runtimeDir is where archway instance id keeps its runtime files: a path
// in the system's temp folder, which archway creates as it would in
// production. Not in Dir, which only root can pass through, as a
// MkdirTemp folder (and many a root's TMPDIR) is: archway would refuse it,
// since nginx's workers could not reach their files.
func (s *Suite) runtimeDir(id string) string {
	return filepath.Join(os.TempDir(), filepath.Base(s.Dir)+"-"+id)
}

// findTools checks everything the suite runs and returns kube-apiserver's
// path. Every missing tool is named, with how to get it.
func (s *Suite) findTools() (string, error) {
	binDir := os.Getenv("ARCHWAY_E2E_BIN")
	if binDir == "" {
		binDir = filepath.Join(s.Root, ".cache", "e2e", "bin", KubeVersion)
	}
	s.NginxBin = os.Getenv("ARCHWAY_NGINX")
	if s.NginxBin == "" {
		s.NginxBin = "/usr/sbin/nginx"
	}
	apiserverBin := filepath.Join(binDir, "kube-apiserver")
	var missing []string
	for path, hint := range map[string]string{
		"/usr/bin/etcd": "install Debian's etcd-server (scripts/install-deps.sh test)",
		apiserverBin:    "build it with scripts/e2e-tools.sh, or point ARCHWAY_E2E_BIN at a folder holding it",
		s.NginxBin:      "install nginx (scripts/install-deps.sh runtime), or set ARCHWAY_NGINX",
	} {
		if info, err := os.Stat(path); err != nil || info.Mode()&0o111 == 0 {
			missing = append(missing, fmt.Sprintf("%s: %s", path, hint))
		}
	}
	if _, err := exec.LookPath("ip"); err != nil {
		missing = append(missing, "ip: install iproute2 (scripts/install-deps.sh test)")
	}
	if os.Geteuid() != 0 {
		missing = append(missing, "root: the backends run in network namespaces, which need root")
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("missing:\n  %s", strings.Join(missing, "\n  "))
	}
	return apiserverBin, nil
}

// buildBinaries builds archway (with the race detector when the tests
// have it, so a data race fails the exit-status check) and the echo
// backend.
func (s *Suite) buildBinaries() error {
	s.ArchwayBin = filepath.Join(s.Dir, "archway")
	s.EchoBin = filepath.Join(s.Dir, "echo")
	if err := testutil.BuildArchway(s.ArchwayBin); err != nil {
		return err
	}
	cmd := exec.Command("go", "build", "-o", s.EchoBin, "./test/echo")
	cmd.Dir = s.Root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./test/echo: %w\n%s", err, out)
	}
	return nil
}

// repoRoot is the folder holding go.mod, above the test's folder.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}
