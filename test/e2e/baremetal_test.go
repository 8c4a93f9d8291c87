package e2e

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/test/harness"
)

// TestChartShapes sends the chart's other workload shapes to the API
// server as a server-side dry run, and a pod of each as its controller
// would make it: the API server validates the DaemonSet's rollout, the
// HPA, the NetworkPolicy, the admission webhook's configuration and the
// pods' host ports as a cluster would.
func TestChartShapes(t *testing.T) {
	s := env
	ns := s.NewNamespace(t)
	tests := map[string]struct {
		values    string
		set       []string
		hostPorts map[string]int32 // of the pod, by port name
	}{
		"autoscaled Deployment behind a NetworkPolicy": {
			values:    "deploy/examples/values-external.yaml",
			set:       []string{"autoscaling.enabled=true", "autoscaling.targetMemoryUtilizationPercentage=80", "networkPolicy.enabled=true"},
			hostPorts: map[string]int32{"http": 0, "https": 0, "metrics": 0},
		},
		"admission webhook behind a NetworkPolicy": {
			// The API server checks the webhook configuration, its class
			// matchCondition (CEL) included.
			values:    "deploy/examples/values-external.yaml",
			set:       []string{"admissionWebhook.enabled=true", "networkPolicy.enabled=true"},
			hostPorts: map[string]int32{"http": 0, "https": 0, "metrics": 0, "webhook": 0},
		},
		"DaemonSet on host ports 80 and 443": {
			values:    "deploy/examples/values-internal.yaml",
			set:       []string{"kind=DaemonSet", "hostPort.enabled=true"},
			hostPorts: map[string]int32{"http": 80, "https": 443, "metrics": 0},
		},
		"bare-metal example": {
			values: "deploy/examples/values-baremetal.yaml",
			// With hostNetwork the API server gives every port its own
			// number as host port.
			hostPorts: map[string]int32{"http": 80, "https": 443, "metrics": 10254},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := s.renderChart(t, "shape", ns, tc.values, ns+"-shape", tc.set...)
			_, err := r.create(t.Context(), s.Cluster.Admin, true)
			require.NoError(t, err, "server-side dry run")
			pod := dryRunPod(t, r)
			hostPorts := map[string]int32{}
			for _, p := range pod.Spec.Containers[0].Ports {
				hostPorts[p.Name] = p.HostPort
			}
			require.Equal(t, tc.hostPorts, hostPorts)
		})
	}
}

// dryRunPod sends a pod of the release's pod template to the API server as
// a server-side dry run and returns it as the API server would store it.
// Its ServiceAccount need not exist: admission looks it up only for real.
func dryRunPod(t *testing.T, r chartRelease) *corev1.Pod {
	t.Helper()
	template := r.pod(t)
	pod := &corev1.Pod{ObjectMeta: template.ObjectMeta, Spec: template.Spec}
	pod.Namespace, pod.GenerateName = r.namespace, r.name+"-"
	created, err := env.Cluster.Admin.CoreV1().Pods(r.namespace).Create(t.Context(), pod,
		metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict"})
	require.NoError(t, err, "a pod of release %s", r.name)
	return created
}

var lastReloadSuccessful = regexp.MustCompile(`(?m)^nginx_ingress_controller_config_last_reload_successful\{.*\} 1$`)

// TestChartBareMetal installs the bare-metal example, a DaemonSet on the
// node's network, and runs its archway the way the node would: with every
// flag of the DaemonSet's pod, its ports included, on the network of this
// host, which plays the node. The ports are free ones instead of the
// example's 80, 443 and 10254, which other tests on a shared machine may
// hold. There is no kubelet: what the kubelet adds (NET_BIND_SERVICE for
// ports below 1024, ClusterFirstWithHostNet resolving, one pod per node)
// is not run here; the API server's dry run of a pod checks its part.
func TestChartBareMetal(t *testing.T) {
	s := env
	ns := s.NewNamespace(t)
	ctx, admin := t.Context(), s.Cluster.Admin
	ports, err := harness.FreePorts(3)
	require.NoError(t, err)
	httpPort, httpsPort, metricsPort := strconv.Itoa(ports[0]), strconv.Itoa(ports[1]), strconv.Itoa(ports[2])
	r := s.renderChart(t, "edge", ns, "deploy/examples/values-baremetal.yaml", ns+"-edge",
		"containerPorts.http="+httpPort, "containerPorts.https="+httpsPort, "metrics.port="+metricsPort,
		`podAnnotations.prometheus\.io/port=`+metricsPort)
	_, err = r.create(ctx, admin, true)
	require.NoError(t, err, "server-side dry run")
	require.NoError(t, r.install(t, admin))
	pod := dryRunPod(t, r)
	require.True(t, pod.Spec.HostNetwork)
	require.Equal(t, corev1.DNSClusterFirstWithHostNet, pod.Spec.DNSPolicy)

	a := s.startChartArchway(t, r)
	backend := s.StartBackend(t, "edge")
	s.CreateService(t, ns, "edge", true, backend)
	s.CreateIngress(t, harness.WithClass(harness.NewIngress(ns, "edge",
		harness.Route{Host: "edge.example.com", Path: "/", PathType: networkingv1.PathTypePrefix, Service: "edge"}), r.class))
	a.WaitFor(t, "edge.example.com", "/", harness.Served("edge"))

	// A client on another network reaches nginx at the node's address, and
	// so does a Prometheus at the port and path of the pod's annotations.
	node := "http://" + backend.HostIP + ":"
	out, err := backend.Curl("--output", "/dev/null", "--write-out", "%{http_code} %header{x-backend}",
		"--header", "Host: edge.example.com", node+httpPort+"/")
	require.NoError(t, err)
	require.Equal(t, "200 edge", string(out))
	out, err = backend.Curl("--insecure", "--output", "/dev/null", "--write-out", "%{http_code} %header{x-backend}",
		"--resolve", "edge.example.com:"+httpsPort+":"+backend.HostIP, "https://edge.example.com:"+httpsPort+"/")
	require.NoError(t, err)
	require.Equal(t, "200 edge", string(out), "HTTPS, with the default certificate")
	annotations := pod.Annotations
	require.Equal(t, "true", annotations["prometheus.io/scrape"])
	out, err = backend.Curl("--fail", node+annotations["prometheus.io/port"]+annotations["prometheus.io/path"])
	require.NoError(t, err)
	require.True(t, lastReloadSuccessful.Match(out), "no successful reload on the scraped /metrics")

	// Without a Service, Ingress status carries the example's fixed name.
	require.NoError(t, harness.Eventually(30*time.Second, 100*time.Millisecond, func() error {
		ing, err := admin.NetworkingV1().Ingresses(ns).Get(ctx, "edge", metav1.GetOptions{})
		if err != nil {
			return err
		}
		want := []networkingv1.IngressLoadBalancerIngress{{Hostname: "ingress.example.com"}}
		if got := ing.Status.LoadBalancer.Ingress; !equalAddresses(got, want) {
			return fmt.Errorf("Ingress status %v, want %v", got, want)
		}
		return nil
	}))
}
