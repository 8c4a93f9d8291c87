package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/archway-ingress/archway/test/harness"
)

// TestDeployment serves a Deployment of the Gateway API suite's echo-basic
// server through an Ingress, with nothing written by hand but the
// Deployment, the Service and the Ingress: kube-controller-manager makes
// the ReplicaSet, the Pods and the Service's EndpointSlice, the harness's
// node runs the Pods, and archway's nginx reaches each Pod. Scaled down,
// only the remaining Pod answers.
func TestDeployment(t *testing.T) {
	t.Parallel()
	s := env
	s.Workloads(t)
	ns := s.classNamespace(t)
	ctx := t.Context()
	client := s.Cluster.Admin
	labels := map[string]string{"app": "echo"}
	_, err := client.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "echo"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "echo", Image: "gateway-api/echo-basic:v1.6.3",
					Env: []corev1.EnvVar{
						{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
						{Name: "NAMESPACE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}},
					},
					ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
						HTTPGet: &corev1.HTTPGetAction{Path: "/", Port: intstr.FromInt32(3000)},
					}},
				}}},
			},
		},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = client.CoreV1().Services(ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "echo"},
		Spec: corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{
			Name: harness.ServicePort, Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(3000),
		}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	s.CreateIngress(t, harness.WithClass(harness.NewIngress(ns, "echo",
		harness.Route{Host: "echo.example", Path: "/", PathType: networkingv1.PathTypePrefix, Service: "echo"}), ns))
	a := s.startArchway(t, harness.ArchwayOptions{Class: ns})

	pods := func() []string {
		list, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		require.NoError(t, err)
		var names []string
		for _, p := range list.Items {
			if p.DeletionTimestamp == nil {
				names = append(names, p.Name)
			}
		}
		slices.Sort(names)
		return names
	}
	// Every Pod of the Deployment answers, and only they do.
	answering := func(want int) {
		t.Helper()
		var seen []string
		require.NoError(t, harness.Eventually(90*time.Second, 200*time.Millisecond, func() error {
			found := map[string]bool{}
			for range 20 {
				pod, err := echoPod(a, "echo.example")
				if err != nil {
					return err
				}
				found[pod] = true
			}
			seen = slices.Sorted(maps.Keys(found))
			if len(seen) != want || !slices.Equal(seen, pods()) {
				return fmt.Errorf("answered by %v; the Deployment's Pods are %v", seen, pods())
			}
			return nil
		}))
		t.Logf("answered by %v", seen)
	}
	answering(2)

	endpointSlices, err := client.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=echo"})
	require.NoError(t, err)
	require.Len(t, endpointSlices.Items, 1)
	require.Equal(t, "endpointslice-controller.k8s.io", endpointSlices.Items[0].Labels[discoveryv1.LabelManagedBy])
	require.Len(t, endpointSlices.Items[0].Endpoints, 2)

	scale, err := client.AppsV1().Deployments(ns).GetScale(ctx, "echo", metav1.GetOptions{})
	require.NoError(t, err)
	scale.Spec.Replicas = 1
	_, err = client.AppsV1().Deployments(ns).UpdateScale(ctx, "echo", scale, metav1.UpdateOptions{})
	require.NoError(t, err)
	answering(1)
}

// echoPod sends GET / with Host host to archway and returns the Pod that
// answered, from echo-basic's JSON.
func echoPod(a *archway, host string) (string, error) {
	req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(a.HTTPPort)+"/", nil)
	if err != nil {
		return "", err
	}
	req.Host = host
	resp, err := a.Client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET http://%s/: %s", host, resp.Status)
	}
	var body struct {
		Pod string `json:"pod"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return "", err
	}
	return body.Pod, nil
}
