package chart

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// checkWorkload finds the release's one workload, a Deployment or a
// DaemonSet, and checks what goes with its kind: a Deployment has a
// replica count unless an HPA scales it; a DaemonSet has neither an HPA
// nor a PodDisruptionBudget; a pod on its node's ports never surges.
func checkWorkload(t *testing.T, r release) deployed {
	t.Helper()
	require.NotEqual(t, r.has("Deployment"), r.has("DaemonSet"), "release %s: one Deployment or one DaemonSet", r.name)
	var d deployed
	var rollout struct{ maxSurge, maxUnavailable *intstr.IntOrString }
	if r.has("DaemonSet") {
		d.daemonSet = &appsv1.DaemonSet{}
		r.get(t, "DaemonSet", d.daemonSet)
		d.workload, d.selector, d.pod = d.daemonSet.ObjectMeta, d.daemonSet.Spec.Selector.MatchLabels, d.daemonSet.Spec.Template
		update := d.daemonSet.Spec.UpdateStrategy.RollingUpdate
		rollout.maxSurge, rollout.maxUnavailable = update.MaxSurge, update.MaxUnavailable
		require.False(t, r.has("HorizontalPodAutoscaler"), "a DaemonSet runs one pod per node")
		require.False(t, r.has("PodDisruptionBudget"), "the disruption controller cannot count a DaemonSet's pods for maxUnavailable")
	} else {
		d.deployment = &appsv1.Deployment{}
		r.get(t, "Deployment", d.deployment)
		d.workload, d.selector, d.pod = d.deployment.ObjectMeta, d.deployment.Spec.Selector.MatchLabels, d.deployment.Spec.Template
		update := d.deployment.Spec.Strategy.RollingUpdate
		rollout.maxSurge, rollout.maxUnavailable = update.MaxSurge, update.MaxUnavailable
		if r.has("HorizontalPodAutoscaler") {
			var hpa autoscalingv2.HorizontalPodAutoscaler
			r.get(t, "HorizontalPodAutoscaler", &hpa)
			require.Equal(t, autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: d.workload.Name},
				hpa.Spec.ScaleTargetRef)
			require.Nil(t, d.deployment.Spec.Replicas, "the HPA owns the replica count; a fixed one would undo its scaling at every upgrade")
		} else {
			require.NotNil(t, d.deployment.Spec.Replicas)
		}
		if r.has("PodDisruptionBudget") {
			var pdb policyv1.PodDisruptionBudget
			r.get(t, "PodDisruptionBudget", &pdb)
			require.Equal(t, pdb.Spec.Selector.MatchLabels, subset(d.pod.Labels, pdb.Spec.Selector.MatchLabels))
		}
	}
	require.Len(t, d.pod.Spec.Containers, 1)
	d.container = d.pod.Spec.Containers[0]

	// A new pod that needs its node's ports cannot start beside the old
	// one: such a rollout must stop a pod first.
	surge, unavailable := intstr.FromInt32(1), intstr.FromInt32(0)
	if takesNodePorts(d.pod.Spec) {
		surge, unavailable = intstr.FromInt32(0), intstr.FromInt32(1)
	}
	require.Equal(t, &surge, rollout.maxSurge, "maxSurge")
	require.Equal(t, &unavailable, rollout.maxUnavailable, "maxUnavailable")
	return d
}

func takesNodePorts(pod corev1.PodSpec) bool {
	return pod.HostNetwork || slices.ContainsFunc(pod.Containers[0].Ports, func(p corev1.ContainerPort) bool { return p.HostPort != 0 })
}

// checkNetworkPolicy checks that a release's NetworkPolicy, if any, selects
// its pods, admits HTTP, HTTPS and the TCP and UDP services from anywhere, the metrics port only
// from selected namespaces and the webhook port, if any, from anywhere,
// and leaves egress alone.
func checkNetworkPolicy(t *testing.T, r release, d deployed) {
	t.Helper()
	if !r.has("NetworkPolicy") {
		return
	}
	var np networkingv1.NetworkPolicy
	r.get(t, "NetworkPolicy", &np)
	require.Equal(t, np.Spec.PodSelector.MatchLabels, subset(d.pod.Labels, np.Spec.PodSelector.MatchLabels))
	require.Equal(t, d.selector, np.Spec.PodSelector.MatchLabels)
	require.Equal(t, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}, np.Spec.PolicyTypes)
	require.False(t, d.pod.Spec.HostNetwork, "NetworkPolicies do not apply to hostNetwork pods")

	port := map[string]int32{}
	for _, p := range d.container.Ports {
		port[p.Name] = p.ContainerPort
	}
	tcp := corev1.ProtocolTCP
	policyPort := func(name string) networkingv1.NetworkPolicyPort {
		n := intstr.FromInt32(port[name])
		return networkingv1.NetworkPolicyPort{Protocol: &tcp, Port: &n}
	}
	rules := 2
	if r.has("ValidatingWebhookConfiguration") {
		rules = 3
	}
	require.Len(t, np.Spec.Ingress, rules)
	traffic, metrics := np.Spec.Ingress[0], np.Spec.Ingress[1]
	if rules == 3 {
		webhook := np.Spec.Ingress[2]
		require.Empty(t, webhook.From, "the webhook from anywhere: the API server is no pod")
		require.Equal(t, []networkingv1.NetworkPolicyPort{policyPort("webhook")}, webhook.Ports)
	}
	require.Empty(t, traffic.From, "HTTP, HTTPS and the TCP and UDP services from anywhere")
	trafficPorts := []networkingv1.NetworkPolicyPort{policyPort("http"), policyPort("https")}
	if args := flags(t, d.container); args["gateway-service"] == "per-gateway" {
		// The Gateways' ports, which no containerPort names.
		first, last, _ := strings.Cut(args["gateway-port-range"], "-")
		from, err := strconv.Atoi(first)
		require.NoError(t, err)
		to, err := strconv.ParseInt(last, 10, 32)
		require.NoError(t, err)
		n := intstr.FromInt(from)
		trafficPorts = append(trafficPorts, networkingv1.NetworkPolicyPort{Protocol: &tcp, Port: &n, EndPort: ptr.To(int32(to))})
	}
	for _, p := range streamPorts(d.container) {
		n := intstr.FromInt32(p.ContainerPort)
		trafficPorts = append(trafficPorts, networkingv1.NetworkPolicyPort{Protocol: &p.Protocol, Port: &n})
	}
	require.Equal(t, trafficPorts, traffic.Ports)
	require.Equal(t, []networkingv1.NetworkPolicyPort{policyPort("metrics")}, metrics.Ports)
	require.Len(t, metrics.From, 1)
	require.NotNil(t, metrics.From[0].NamespaceSelector, "the metrics port only from selected namespaces")
	require.Nil(t, metrics.From[0].PodSelector)
	require.Nil(t, metrics.From[0].IPBlock)
}
