package chart

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/utils/ptr"
)

var bareMetalValues = filepath.Join("deploy", "examples", "values-baremetal.yaml")

// TestShapes renders the workload shapes besides the default Deployment:
// autoscaled, DaemonSet, on the node's network or ports, fenced by a
// NetworkPolicy, annotated for Prometheus. checkRelease checks each
// against the invariants of every release first.
func TestShapes(t *testing.T) {
	tests := map[string]valueCase{
		"autoscaled Deployment": {
			set: []string{"autoscaling.enabled=true", "autoscaling.minReplicas=3", "autoscaling.maxReplicas=12",
				"autoscaling.targetMemoryUtilizationPercentage=80", "autoscaling.behavior.scaleDown.stabilizationWindowSeconds=600"},
			check: func(t *testing.T, r release, d deployed) {
				var hpa autoscalingv2.HorizontalPodAutoscaler
				r.get(t, "HorizontalPodAutoscaler", &hpa)
				require.Equal(t, ptr.To[int32](3), hpa.Spec.MinReplicas)
				require.Equal(t, int32(12), hpa.Spec.MaxReplicas)
				target := func(name corev1.ResourceName, percent int32) autoscalingv2.MetricSpec {
					return autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
						Name: name, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &percent},
					}}
				}
				require.ElementsMatch(t, []autoscalingv2.MetricSpec{target(corev1.ResourceCPU, 70), target(corev1.ResourceMemory, 80)}, hpa.Spec.Metrics)
				require.Equal(t, ptr.To[int32](600), hpa.Spec.Behavior.ScaleDown.StabilizationWindowSeconds)
				require.True(t, r.has("PodDisruptionBudget"))
			},
		},
		"autoscaled on memory alone": {
			set: []string{"autoscaling.enabled=true", "autoscaling.targetCPUUtilizationPercentage=null",
				"autoscaling.targetMemoryUtilizationPercentage=75"},
			check: func(t *testing.T, r release, _ deployed) {
				var hpa autoscalingv2.HorizontalPodAutoscaler
				r.get(t, "HorizontalPodAutoscaler", &hpa)
				require.Len(t, hpa.Spec.Metrics, 1)
				require.Equal(t, corev1.ResourceMemory, hpa.Spec.Metrics[0].Resource.Name)
			},
		},
		"DaemonSet on the pod network": {
			set: []string{"kind=DaemonSet"},
			check: func(t *testing.T, r release, d deployed) {
				require.NotNil(t, d.daemonSet)
				require.False(t, r.has("Deployment"))
				require.Empty(t, d.pod.Spec.TopologySpreadConstraints, "a DaemonSet places one pod per node by itself")
				require.False(t, d.pod.Spec.HostNetwork)
				require.Empty(t, d.pod.Spec.DNSPolicy, "the Kubernetes default")
				require.True(t, r.hasNamed("Service", d.workload.Name), "a Service still carries the traffic")
			},
		},
		"DaemonSet on the node's network": {
			set: []string{"kind=DaemonSet", "hostNetwork=true", "containerPorts.http=80", "containerPorts.https=443"},
			check: func(t *testing.T, _ release, d deployed) {
				require.True(t, d.pod.Spec.HostNetwork)
				require.Equal(t, corev1.DNSClusterFirstWithHostNet, d.pod.Spec.DNSPolicy, "archway resolves cluster names")
				for _, p := range d.container.Ports {
					require.Zero(t, p.HostPort, "%s: the API server sets hostPort to containerPort on the pod", p.Name)
				}
				args := flags(t, d.container)
				require.Equal(t, "80", args["http-port"])
				require.Equal(t, "443", args["https-port"])
				sc := d.container.SecurityContext
				require.Equal(t, []corev1.Capability{"NET_BIND_SERVICE"}, sc.Capabilities.Add, "nginx binds the node's port 80 itself")
				require.True(t, *sc.AllowPrivilegeEscalation)
			},
		},
		"hostNetwork with another dnsPolicy": {
			set: []string{"kind=DaemonSet", "hostNetwork=true", "dnsPolicy=Default"},
			check: func(t *testing.T, _ release, d deployed) {
				require.Equal(t, corev1.DNSDefault, d.pod.Spec.DNSPolicy)
			},
		},
		"host ports 80 and 443 to unprivileged container ports": {
			set: []string{"kind=DaemonSet", "hostPort.enabled=true"},
			check: func(t *testing.T, _ release, d deployed) {
				hostPorts := map[string]int32{}
				for _, p := range d.container.Ports {
					hostPorts[p.Name] = p.HostPort
				}
				require.Equal(t, map[string]int32{"http": 80, "https": 443, "metrics": 0}, hostPorts, "metrics stays off the node")
				require.False(t, d.pod.Spec.HostNetwork)
				require.Empty(t, d.pod.Spec.DNSPolicy)
				require.Equal(t, "8080", flags(t, d.container)["http-port"])
				require.False(t, *d.container.SecurityContext.AllowPrivilegeEscalation, "the node forwards port 80 to 8080: nginx needs no capability")
			},
		},
		"Deployment on host ports": {
			set: []string{"hostPort.enabled=true", "hostPort.ports.http=8000"},
			check: func(t *testing.T, _ release, d deployed) {
				require.NotNil(t, d.deployment)
				require.Equal(t, int32(8000), d.container.Ports[0].HostPort)
				require.Len(t, d.pod.Spec.TopologySpreadConstraints, 2, "a Deployment still spreads its replicas")
			},
		},
		"NetworkPolicy": {
			set: []string{"networkPolicy.enabled=true", "containerPorts.http=9080", "metrics.port=9254"},
			check: func(t *testing.T, r release, _ deployed) {
				var np networkingv1.NetworkPolicy
				r.get(t, "NetworkPolicy", &np)
				require.Equal(t, map[string]string{"kubernetes.io/metadata.name": "monitoring"},
					np.Spec.Ingress[1].From[0].NamespaceSelector.MatchLabels)
				require.Equal(t, 9080, np.Spec.Ingress[0].Ports[0].Port.IntValue())
				require.Equal(t, 9254, np.Spec.Ingress[1].Ports[0].Port.IntValue())
			},
		},
		"NetworkPolicy admitting metrics from labelled namespaces": {
			set: []string{"networkPolicy.enabled=true", `networkPolicy.metricsNamespaceSelector.matchLabels.kubernetes\.io/metadata\.name=null`,
				"networkPolicy.metricsNamespaceSelector.matchLabels.team=observability"},
			check: func(t *testing.T, r release, _ deployed) {
				var np networkingv1.NetworkPolicy
				r.get(t, "NetworkPolicy", &np)
				require.Equal(t, map[string]string{"team": "observability"}, np.Spec.Ingress[1].From[0].NamespaceSelector.MatchLabels)
			},
		},
		"Gateways on Services of their own": {
			set: []string{"gatewayAPI.service.mode=per-gateway", "gatewayAPI.service.type=ClusterIP",
				"gatewayAPI.service.portRange=20000-20099", "networkPolicy.enabled=true"},
			check: func(t *testing.T, r release, d deployed) {
				args := flags(t, d.container)
				require.Equal(t, "per-gateway", args["gateway-service"])
				require.Equal(t, "ClusterIP", args["gateway-service-type"])
				require.Equal(t, "20000-20099", args["gateway-port-range"])
				require.Equal(t, r.namespace, args["gateway-service-namespace"])
				selector := map[string]string{}
				for pair := range strings.SplitSeq(args["gateway-service-selector"], ",") {
					key, value, _ := strings.Cut(pair, "=")
					selector[key] = value
				}
				require.Equal(t, d.selector, selector, "the Gateways' Services select the release's pods")
				// checkRelease requires that the NetworkPolicy opens the range.
			},
		},
		"Prometheus annotations on the pods": {
			set: []string{`podAnnotations.prometheus\.io/scrape=true`, `podAnnotations.prometheus\.io/port=10254`,
				`podAnnotations.prometheus\.io/path=/metrics`},
			check: func(t *testing.T, _ release, d deployed) {
				require.Equal(t, map[string]string{"prometheus.io/scrape": "true", "prometheus.io/port": "10254", "prometheus.io/path": "/metrics"},
					d.pod.Annotations)
			},
		},
	}
	runValueCases(t, tests)
}

// TestRefusedValues checks that values that cannot work together fail the
// render with a message that says why.
func TestRefusedValues(t *testing.T) {
	tests := map[string]struct {
		set  []string
		want string
	}{
		"unknown kind":                     {[]string{"kind=StatefulSet"}, `kind must be Deployment or DaemonSet, not "StatefulSet"`},
		"autoscaled DaemonSet":             {[]string{"kind=DaemonSet", "autoscaling.enabled=true"}, "autoscaling.enabled needs kind: Deployment"},
		"hostPort on the node's network":   {[]string{"hostNetwork=true", "hostPort.enabled=true"}, "hostPort.enabled and hostNetwork exclude each other"},
		"NetworkPolicy on hostNetwork":     {[]string{"hostNetwork=true", "networkPolicy.enabled=true"}, "networkPolicy.enabled has no effect on hostNetwork pods"},
		"utilization without a request":    {[]string{"autoscaling.enabled=true", "resources.requests.cpu=null"}, "autoscaling on cpu utilization needs resources.requests.cpu"},
		"publishing a Service not created": {[]string{"service.enabled=false"}, "publishService.enabled publishes the release's Service"},
		"a webhook failure policy of its own": {[]string{"admissionWebhook.enabled=true", "admissionWebhook.failurePolicy=Sometimes"},
			`admissionWebhook.failurePolicy must be Ignore or Fail, not "Sometimes"`},
		"a TCP service on the HTTP port":            {[]string{"tcp.8080=data/postgres:5432"}, "tcp.8080: port 8080 is containerPorts.http already"},
		"a TCP service on the Service's HTTPS port": {[]string{"tcp.443=data/postgres:5432"}, "tcp.443: port 443 is service.ports.https already"},
		"a TCP service on the webhook's port": {[]string{"admissionWebhook.enabled=true", "tcp.9443=data/postgres:5432"},
			"tcp.9443: port 9443 is admissionWebhook.port already"},
		"a UDP service on no port": {[]string{"udp.dns=kube-system/kube-dns:dns"}, `udp: key "dns" is no port from 1 to 65535`},
		"ServiceMonitor without the metrics Service": {[]string{"metrics.serviceMonitor.enabled=true", "metrics.service.enabled=false"},
			"metrics.serviceMonitor.enabled needs metrics.service.enabled"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := runHelm(t, append([]string{"template", "x", chartDir, "--kube-version", kubeVersion}, setArgs(tc.set)...)...)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// TestBareMetalExample renders deploy/examples/values-baremetal.yaml: a
// DaemonSet on the node's network, serving ports 80 and 443 of labelled
// nodes, publishing a fixed name, scraped through its pods' annotations.
func TestBareMetalExample(t *testing.T) {
	r := template(t, "edge", "ingress-edge", "-f", bareMetalValues)
	d := checkRelease(t, r)
	require.NotNil(t, d.daemonSet)
	require.True(t, d.pod.Spec.HostNetwork)
	require.Equal(t, corev1.DNSClusterFirstWithHostNet, d.pod.Spec.DNSPolicy)
	require.Equal(t, "true", d.pod.Spec.NodeSelector["archway.dev/edge"])
	require.False(t, r.hasNamed("Service", d.workload.Name), "traffic reaches the nodes directly")

	args := flags(t, d.container)
	require.Equal(t, "edge", args["ingress-class"])
	require.Equal(t, "80", args["http-port"])
	require.Equal(t, "443", args["https-port"])
	require.Equal(t, "ingress.example.com", args["publish-status-address"])
	require.Equal(t, []corev1.Capability{"NET_BIND_SERVICE"}, d.container.SecurityContext.Capabilities.Add)

	// Prometheus scrapes the port and path the annotations name.
	require.Equal(t, "true", d.pod.Annotations["prometheus.io/scrape"])
	require.Equal(t, ":"+d.pod.Annotations["prometheus.io/port"], args["metrics-address"])
	require.Equal(t, "/metrics", d.pod.Annotations["prometheus.io/path"])
	require.Equal(t, strconv.Itoa(int(d.container.Ports[2].ContainerPort)), d.pod.Annotations["prometheus.io/port"])
}
