package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"
)

// crds is the resource of CustomResourceDefinitions.
var crds = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// GatewayAPI installs the Gateway API's standard CRDs into the cluster,
// once per suite, and returns a client of it with the admin's rights. The
// CRDs come from the sigs.k8s.io/gateway-api module of go.mod, as
// published (config/crd/standard in the module), so they are always the
// version archway is built with.
func (s *Suite) GatewayAPI(t testing.TB) gatewayclient.Interface {
	t.Helper()
	s.gatewayOnce.Do(func() { s.gatewayErr = s.installGatewayCRDs() })
	require.NoError(t, s.gatewayErr, "install the Gateway API CRDs")
	client, err := gatewayclient.NewForConfig(s.Cluster.AdminConfig())
	require.NoError(t, err)
	return client
}

func (s *Suite) installGatewayCRDs() error {
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/gateway-api")
	cmd.Dir = s.Root
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("find the sigs.k8s.io/gateway-api module (go mod download): %w", err)
	}
	files, err := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "config", "crd", "standard", "gateway.networking.k8s.io_*.yaml"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no standard CRDs in the sigs.k8s.io/gateway-api module (%v)", err)
	}
	client, err := dynamic.NewForConfig(s.Cluster.AdminConfig())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, file := range files {
		if err := createCRDs(ctx, client, file); err != nil {
			return err
		}
	}
	// The API server serves a CRD's resource a moment after it is created.
	return Eventually(30*time.Second, 100*time.Millisecond, func() error {
		list, err := s.Cluster.Admin.Discovery().ServerResourcesForGroupVersion(gatewayv1.GroupVersion.String())
		if err != nil {
			return err
		}
		for _, name := range []string{"gatewayclasses", "gateways", "httproutes", "referencegrants"} {
			if !slices.ContainsFunc(list.APIResources, func(r metav1.APIResource) bool { return r.Name == name }) {
				return fmt.Errorf("%s not served yet", name)
			}
		}
		return nil
	})
}

// createCRDs creates the CustomResourceDefinitions of one file; other
// kinds (the module's ValidatingAdmissionPolicy) are left out.
func createCRDs(ctx context.Context, client dynamic.Interface, file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	decoder := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var obj unstructured.Unstructured
		err := decoder.Decode(&obj.Object)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		if obj.GetKind() != "CustomResourceDefinition" {
			continue
		}
		_, err = client.Resource(crds).Create(ctx, &obj, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create CRD %s: %w", obj.GetName(), err)
		}
	}
}
