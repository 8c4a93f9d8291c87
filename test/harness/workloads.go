package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// EchoBasicImage is the image name (last path element) of the Gateway
// API conformance suite's backend, which the node runs as the echo-basic
// binary built from the sigs.k8s.io/gateway-api/conformance module.
const EchoBasicImage = "echo-basic"

// controllers are the kube-controller-manager controllers that make
// Deployments serve: Pods from Deployments and ReplicaSets, EndpointSlices
// from Services and Pods, and namespaces and owned objects deleted.
var controllers = []string{"deployment-controller", "replicaset-controller", "endpointslice-controller",
	"namespace-controller", "garbage-collector-controller"}

// workloads is what runs Deployments: kube-controller-manager and the Node.
type workloads struct {
	controllerManager *Process
	node              *Node
}

// Workloads starts, once per suite, what makes Deployments run in the
// cluster: kube-controller-manager (built by scripts/e2e-tools.sh beside
// kube-apiserver) with the controllers above, and the one Node, whose
// Pods are processes (see Node), running the echo-basic image. From then
// on, namespaces that NewNamespace made are emptied by the namespace
// controller when their test ends.
func (s *Suite) Workloads(t testing.TB) {
	t.Helper()
	s.workloadsOnce.Do(func() {
		w := &workloads{}
		s.workloadsErr = w.start(s)
		s.workloads.Store(w) // stopped with the suite, also when start failed
	})
	require.NoError(t, s.workloadsErr, "start kube-controller-manager and the node")
}

func (w *workloads) start(s *Suite) error {
	binary := filepath.Join(filepath.Dir(s.Cluster.apiserverBin), "kube-controller-manager")
	if info, err := os.Stat(binary); err != nil || info.Mode()&0o111 == 0 {
		return fmt.Errorf("missing %s: build it with scripts/e2e-tools.sh, or point ARCHWAY_E2E_BIN at a folder holding it", binary)
	}
	echoBasic := filepath.Join(s.Dir, EchoBasicImage)
	// Static, since it runs chrooted in a Pod's folder.
	cmd := exec.Command("go", "build", "-o", echoBasic, "sigs.k8s.io/gateway-api/conformance/echo-basic")
	cmd.Dir, cmd.Env = s.Root, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build echo-basic: %w\n%s", err, out)
	}
	kubeconfig, err := s.Cluster.WriteKubeconfig("controller-manager", s.Cluster.adminToken)
	if err != nil {
		return err
	}
	w.node, err = StartNode(s.Cluster.Admin, s.Dir, map[string]string{EchoBasicImage: echoBasic})
	if err != nil {
		return err
	}
	w.controllerManager, err = StartProcess("kube-controller-manager", filepath.Join(s.Dir, "kube-controller-manager.log"), nil, binary,
		"--kubeconfig="+kubeconfig,
		"--controllers="+strings.Join(controllers, ","),
		"--leader-elect=false",
		"--secure-port=0",
		// The token controller would need the service-account key; no Pod here reads a token.
		"--use-service-account-credentials=false",
	)
	if err != nil {
		return err
	}
	// It keeps no state of its own (all is in the API server) and dies of
	// SIGTERM rather than catching it.
	w.controllerManager.ReraisesTerm = true
	return nil
}

// stop stops kube-controller-manager and the node's Pods.
func (w *workloads) stop() []error {
	var errs []error
	if p := w.controllerManager; p != nil && !p.Exited() {
		if err := p.Stop(30 * time.Second); err != nil {
			errs = append(errs, err)
		}
	}
	if w.node != nil {
		if err := w.node.Stop(); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// deleteNamespace deletes a namespace NewNamespace made: by the namespace
// controller, which empties it, once Workloads run; else by the test
// (DeleteNamespace).
func (s *Suite) deleteNamespace(ctx context.Context, name string) error {
	if w := s.workloads.Load(); w == nil || w.controllerManager == nil {
		return DeleteNamespace(ctx, s.Cluster.Admin, name)
	}
	namespaces := s.Cluster.Admin.CoreV1().Namespaces()
	if err := namespaces.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
		return fmt.Errorf("delete namespace %s: %w", name, err)
	}
	return Eventually(time.Minute, 200*time.Millisecond, func() error {
		_, err := namespaces.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return errors.Join(err, fmt.Errorf("namespace %s not deleted yet", name))
	})
}
