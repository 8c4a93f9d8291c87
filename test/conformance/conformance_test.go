package conformance

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io/fs"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/gateway-api/apis/v1alpha2"
	"sigs.k8s.io/gateway-api/apis/v1alpha3"
	"sigs.k8s.io/gateway-api/apis/v1beta1"
	xv1alpha1 "sigs.k8s.io/gateway-api/apisx/v1alpha1"
	"sigs.k8s.io/gateway-api/conformance"
	confv1 "sigs.k8s.io/gateway-api/conformance/apis/v1"
	"sigs.k8s.io/gateway-api/conformance/utils/config"
	"sigs.k8s.io/gateway-api/conformance/utils/roundtripper"
	"sigs.k8s.io/gateway-api/conformance/utils/suite"
	"sigs.k8s.io/gateway-api/pkg/features"
	"sigs.k8s.io/yaml"

	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/test/harness"
)

var update = flag.Bool("update", false, "write the run's ConformanceReport to report.yaml")

const (
	// gatewayClass is the GatewayClass the suite tests, of controller.
	gatewayClass = "archway"
	controller   = "archway.dev/gateway-controller"
	// statusAddress is the Ingresses' address, which no Gateway has:
	// each has its own Service (gatewayDialer).
	statusAddress = "127.0.0.1"
	// gatewayPorts is the size of archway's --gateway-port-range: every
	// listener port of the Gateways that the suite has at once.
	gatewayPorts = 100
	// baseManifests is the suite's base/manifests.yaml as this run
	// applies it (baseManifestsFS).
	baseManifests = "archway/base-manifests.yaml"
	reportFile    = "report.yaml"
)

// claimedFeatures are the extended features of GATEWAY-HTTP that archway
// claims; the profile's core features (Gateway, HTTPRoute, ReferenceGrant)
// come with the profile.
var claimedFeatures = []features.FeatureName{
	features.SupportHTTPRouteQueryParamMatching,
	features.SupportHTTPRouteMethodMatching,
	features.SupportHTTPRouteResponseHeaderModification,
	features.SupportHTTPRoutePathRewrite,
	features.SupportHTTPRouteHostRewrite,
	features.SupportHTTPRouteSchemeRedirect,
	features.SupportHTTPRoutePathRedirect,
	features.SupportHTTPRoutePortRedirect,
	features.SupportHTTPRoute303RedirectStatusCode,
	features.SupportHTTPRoute307RedirectStatusCode,
	features.SupportHTTPRoute308RedirectStatusCode,
	features.SupportHTTPRouteNamedRouteRule,
}

// TestConformance runs the GATEWAY-HTTP profile of the Gateway API
// conformance suite against one archway, and checks its report against
// report.yaml.
func TestConformance(t *testing.T) {
	s := env
	s.GatewayAPI(t)
	s.Workloads(t)
	restConfig := s.Cluster.AdminConfig()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		clientgoscheme.AddToScheme, apiextensionsv1.AddToScheme,
		gatewayv1.Install, v1beta1.Install, v1alpha2.Install, v1alpha3.Install, xv1alpha1.Install,
	} {
		require.NoError(t, add(scheme))
	}
	// The suite makes a client of its own per test from ClientOptions.
	clientOptions := client.Options{Scheme: scheme}
	c, err := client.New(restConfig, clientOptions)
	require.NoError(t, err)
	require.NoError(t, c.Create(t.Context(), &gatewayv1.GatewayClass{
		ObjectMeta: metav1.ObjectMeta{Name: gatewayClass},
		Spec:       gatewayv1.GatewayClassSpec{ControllerName: controller},
	}))

	first, err := harness.FreePortRange(gatewayPorts)
	require.NoError(t, err)
	s.StartArchway(t, harness.ArchwayOptions{Class: "conformance", Args: []string{
		"--gateway-api", "--gateway-controller-name=" + controller, "--publish-status-address=" + statusAddress,
		// Each Gateway on ports of its own behind a ClusterIP Service,
		// whose address the API server gives at once: no cloud provider
		// here would give a LoadBalancer one.
		"--gateway-service=per-gateway", "--gateway-service-type=ClusterIP", "--gateway-service-selector=app=archway-conformance",
		fmt.Sprintf("--gateway-port-range=%d-%d", first, first+gatewayPorts-1),
	}})
	base, err := baseManifestsFS()
	require.NoError(t, err)
	reportPath := filepath.Join(t.TempDir(), reportFile)
	log.SetLogger(zap.New(zap.WriteTo(os.Stdout), zap.UseDevMode(true)))
	timeouts := config.DefaultTimeoutConfig()
	opts := suite.ConformanceOptions{
		ConfigurableOptions: suite.ConfigurableOptions{
			GatewayClassName:    gatewayClass,
			ConformanceProfiles: []suite.ConformanceProfileName{suite.GatewayHTTPConformanceProfileName},
			SupportedFeatures:   append([]features.FeatureName{features.SupportGateway, features.SupportHTTPRoute, features.SupportReferenceGrant}, claimedFeatures...),
			SkipTests:           slices.Sorted(maps.Keys(notYetPassing)),
			// The cluster goes away with the test binary.
			CleanupBaseResources: false,
			CleanupTestResources: true,
			ReportOutputPath:     reportPath,
			TimeoutConfig:        timeouts,
			Mode:                 "default",
			Implementation: confv1.Implementation{
				Organization: "archway-ingress",
				Project:      "archway",
				URL:          "https://github.com/archway-ingress/archway",
				Version:      version(s.Root),
				Contact:      []string{"https://github.com/archway-ingress/archway/issues"},
			},
		},
		Client:        c,
		ClientOptions: clientOptions,
		Clientset:     s.Cluster.Admin,
		RestConfig:    restConfig,
		RoundTripper:  &roundtripper.DefaultRoundTripper{TimeoutConfig: timeouts, CustomDialContext: gatewayDialer(s.Cluster.Admin)},
		BaseManifests: baseManifests,
		ManifestFS:    []fs.FS{base, &conformance.Manifests},
	}
	started := time.Now()
	t.Run("suite", func(t *testing.T) { conformance.RunConformanceWithOptions(t, opts) })
	t.Logf("the suite ran in %s", time.Since(started).Round(time.Second))
	if t.Failed() {
		return
	}
	checkReport(t, reportPath)
}

// gatewayDialer plays kube-proxy for the Gateways' Services, which
// archway keeps in its namespace: a connection to a Service's cluster IP
// and port goes to the port it targets on archway, which runs on this
// host's loopback. The Service is looked up through the API for every
// connection, as kube-proxy follows it. The suite reaches nothing else.
func gatewayDialer(client kubernetes.Interface) func(context.Context, string, string) (net.Conn, error) {
	var dialer net.Dialer
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(address)
		if err != nil {
			return nil, err
		}
		services, err := client.CoreV1().Services(harness.ControllerNamespace).List(ctx, metav1.ListOptions{LabelSelector: builder.GatewayServiceLabel})
		if err != nil {
			return nil, err
		}
		for _, svc := range services.Items {
			for _, p := range svc.Spec.Ports {
				if slices.Contains(svc.Spec.ClusterIPs, host) && strconv.Itoa(int(p.Port)) == port {
					return dialer.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", p.TargetPort.String()))
				}
			}
		}
		return nil, fmt.Errorf("the suite reaches only the Gateways' Services, not %s", address)
	}
}

// baseManifestsFS is the suite's base/manifests.yaml as this run applies
// it: without the coredns Deployment, Service and ConfigMap, which only
// the UDPRoute tests (not in GATEWAY-HTTP) use, whose image no node here
// runs and whose configuration forwards to public resolvers. Every other
// document is the suite's, byte for byte.
func baseManifestsFS() (fs.FS, error) {
	data, err := conformance.Manifests.ReadFile("base/manifests.yaml")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, doc := range strings.Split(string(data), "\n---\n") {
		var obj struct {
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			return nil, fmt.Errorf("base manifests: %w", err)
		}
		if obj.Metadata.Name == "coredns" {
			continue
		}
		out = append(out, doc)
	}
	return fstest.MapFS{baseManifests: {Data: []byte(strings.Join(out, "\n---\n"))}}, nil
}

// checkReport requires that the run's report equals report.yaml but for
// its date and archway's version, or writes it there with -update.
func checkReport(t *testing.T, path string) {
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	if *update {
		require.NoError(t, os.WriteFile(reportFile, got, 0o644))
		return
	}
	want, err := os.ReadFile(reportFile)
	require.NoError(t, err, "regenerate it: go test -count=1 -run TestConformance ./test/conformance/ -args -update")
	require.Equal(t, withoutRunDetails(t, want), withoutRunDetails(t, got),
		"the run's report differs from %s; regenerate it: go test -count=1 -run TestConformance ./test/conformance/ -args -update", reportFile)
}

// withoutRunDetails is a report without what changes from run to run.
func withoutRunDetails(t *testing.T, data []byte) string {
	var report confv1.ConformanceReport
	require.NoError(t, yaml.Unmarshal(data, &report))
	report.Date, report.Implementation.Version = "", ""
	out, err := yaml.Marshal(report)
	require.NoError(t, err)
	return string(out)
}

// version is archway's version as `make build` stamps it.
func version(root string) string {
	cmd := exec.Command("git", "describe", "--always", "--dirty")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "dev"
	}
	return string(bytes.TrimSpace(out))
}
