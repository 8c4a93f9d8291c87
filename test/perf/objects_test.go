//go:build perf

package perf

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/archway-ingress/archway/test/harness"
)

// creators is how many objects are created at once.
const creators = 16

// fastClient is an admin client allowed to send as fast as the API server
// takes requests.
func fastClient(t testing.TB, s *harness.Suite) kubernetes.Interface {
	t.Helper()
	cfg := s.Cluster.AdminConfig()
	cfg.QPS, cfg.Burst = 5000, 10000
	client, err := kubernetes.NewForConfig(cfg)
	require.NoError(t, err)
	return client
}

// host is the host of the i-th Ingress; name names it, its Service and
// its EndpointSlice.
func host(i int) string { return fmt.Sprintf("app-%d.perf.example", i) }
func name(i int) string { return fmt.Sprintf("app-%d", i) }

// batchLabel labels each Ingress with the batch of createApps that made it,
// so that one List call can select a batch.
const batchLabel = "perf.archway.dev/batch"

// createApps creates, from index from to to (excluded), a Service with one
// port, its EndpointSlice with one ready endpoint at backend, and an Ingress
// of class routing host(i) to it, labelled batchLabel=batch.
func createApps(t testing.TB, client kubernetes.Interface, namespace, class, batch string, from, to int, backend harness.Backend) {
	t.Helper()
	work := make(chan int)
	errs := make(chan error, creators)
	var wg sync.WaitGroup
	for range creators {
		wg.Go(func() {
			for i := range work {
				if err := createApp(t.Context(), client, namespace, class, batch, i, backend); err != nil {
					errs <- err
					return
				}
			}
		})
	}
feed:
	for i := from; i < to; i++ {
		select {
		case work <- i:
		case err := <-errs:
			require.NoError(t, err)
			break feed
		}
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

func createApp(ctx context.Context, client kubernetes.Interface, namespace, class, batch string, i int, backend harness.Backend) error {
	_, err := client.CoreV1().Services(namespace).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name(i)},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{
			Name: harness.ServicePort, Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromString("web"),
		}}},
	}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("create Service %d: %w", i, err)
	}
	if _, err := client.DiscoveryV1().EndpointSlices(namespace).Create(ctx, endpointSlice(i, backend), metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create EndpointSlice %d: %w", i, err)
	}
	ing := harness.WithClass(harness.NewIngress(namespace, name(i), harness.Route{
		Host: host(i), Path: "/", PathType: networkingv1.PathTypePrefix, Service: name(i),
	}), class)
	ing.Labels = map[string]string{batchLabel: batch}
	if _, err := client.NetworkingV1().Ingresses(namespace).Create(ctx, ing, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create Ingress %d: %w", i, err)
	}
	return nil
}

// endpointSlice is the EndpointSlice of app i with one ready endpoint at
// backend.
func endpointSlice(i int, backend harness.Backend) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Name:   name(i),
			Labels: map[string]string{discoveryv1.LabelServiceName: name(i), discoveryv1.LabelManagedBy: "archway-perf"},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports: []discoveryv1.EndpointPort{{
			Name: ptr.To(harness.ServicePort), Port: ptr.To[int32](harness.BackendPort), Protocol: ptr.To(corev1.ProtocolTCP),
		}},
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{backend.IP}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}},
	}
}

// moveEndpoint points app i's EndpointSlice at backend.
func moveEndpoint(ctx context.Context, client kubernetes.Interface, namespace string, i int, backend harness.Backend) error {
	slices := client.DiscoveryV1().EndpointSlices(namespace)
	slice, err := slices.Get(ctx, name(i), metav1.GetOptions{})
	if err != nil {
		return err
	}
	slice.Endpoints = endpointSlice(i, backend).Endpoints
	_, err = slices.Update(ctx, slice, metav1.UpdateOptions{})
	return err
}
