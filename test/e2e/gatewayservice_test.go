package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/test/harness"
)

// TestGatewayServices runs archway with --gateway-service=per-gateway
// against the real API server: the leader gives each Gateway a Service of
// its own in archway's namespace, whose cluster IP is the Gateway's status
// address and whose port targets the nginx port of that Gateway alone, so
// two Gateways serve the same host and path from different backends;
// deleting a Gateway deletes its Service (docs/gateway-api.md).
func TestGatewayServices(t *testing.T) {
	t.Parallel()
	s := env
	gw := s.GatewayAPI(t)
	ns := s.NewNamespace(t)
	for _, name := range []string{"a", "b"} {
		s.CreateService(t, ns, name, true, s.StartBackend(t, name))
	}
	ctx := t.Context()
	controller := createGatewayClass(t, gw, ns)
	var err error
	for name, backend := range map[string]string{"one": "a", "two": "b"} {
		_, err = gw.GatewayV1().Gateways(ns).Create(ctx, &gatewayv1.Gateway{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: gatewayv1.GatewaySpec{GatewayClassName: gatewayv1.ObjectName(ns), Listeners: []gatewayv1.Listener{
				{Name: "http", Protocol: gatewayv1.HTTPProtocolType, Port: 80}}},
		}, metav1.CreateOptions{})
		require.NoError(t, err)
		_, err = gw.GatewayV1().HTTPRoutes(ns).Create(ctx, &gatewayv1.HTTPRoute{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: gatewayv1.HTTPRouteSpec{
				CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Name: gatewayv1.ObjectName(name)}}},
				Hostnames:       []gatewayv1.Hostname{"same.example"},
				Rules:           []gatewayv1.HTTPRouteRule{rule(gatewayv1.PathMatchPathPrefix, "/", backendRef(ns, backend, 1))},
			},
		}, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	first, err := harness.FreePortRange(10)
	require.NoError(t, err)
	s.startArchway(t, harness.ArchwayOptions{Class: ns, Args: []string{"--gateway-api", "--gateway-controller-name=" + controller,
		"--publish-status-address=203.0.113.7", "--gateway-service=per-gateway", "--gateway-service-type=ClusterIP",
		"--gateway-service-selector=app=" + ns, fmt.Sprintf("--gateway-port-range=%d-%d", first, first+9)}})

	services := s.Cluster.Admin.CoreV1().Services(harness.ControllerNamespace)
	serviceOf := func(name string) (*corev1.Service, error) {
		return services.Get(ctx, builder.GatewayServiceName(model.Ref{Namespace: ns, Name: name}), metav1.GetOptions{})
	}
	for name, backend := range map[string]string{"one": "a", "two": "b"} {
		var svc *corev1.Service
		require.NoError(t, harness.Eventually(30*time.Second, 100*time.Millisecond, func() error {
			if svc, err = serviceOf(name); err != nil {
				return err
			}
			gateway, err := gw.GatewayV1().Gateways(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil || len(gateway.Status.Addresses) == 0 {
				return fmt.Errorf("Gateway %s has no address yet (%v)", name, err)
			}
			if want := []gatewayv1.GatewayStatusAddress{{Type: ptr.To(gatewayv1.IPAddressType), Value: svc.Spec.ClusterIP}}; !equality.Semantic.DeepEqual(gateway.Status.Addresses, want) {
				return fmt.Errorf("Gateway %s has addresses %v, not its Service's %s", name, gateway.Status.Addresses, svc.Spec.ClusterIP)
			}
			return nil
		}))
		require.Equal(t, map[string]string{"app": ns}, svc.Spec.Selector)
		require.Len(t, svc.Spec.Ports, 1)
		require.Equal(t, int32(80), svc.Spec.Ports[0].Port)
		target := svc.Spec.Ports[0].TargetPort.IntValue()
		require.True(t, target >= first && target <= first+9, "target %d in the range", target)
		// What kube-proxy does for the Service's cluster IP and port 80.
		require.NoError(t, harness.Eventually(30*time.Second, 100*time.Millisecond, func() error {
			got, err := backendOn(ctx, target, "same.example")
			if err == nil && got != backend {
				err = fmt.Errorf("Gateway %s's port answered from %q, not %q", name, got, backend)
			}
			return err
		}))
	}

	require.NoError(t, gw.GatewayV1().Gateways(ns).Delete(ctx, "two", metav1.DeleteOptions{}))
	require.NoError(t, harness.Eventually(30*time.Second, 100*time.Millisecond, func() error {
		if _, err := serviceOf("two"); !apierrors.IsNotFound(err) {
			return fmt.Errorf("the deleted Gateway's Service is still there (%v)", err)
		}
		return nil
	}))
	_, err = serviceOf("one")
	require.NoError(t, err, "the other Gateway keeps its Service")
}

// backendOn asks 127.0.0.1:port for host's "/" and returns the backend
// that answered.
func backendOn(ctx context.Context, port int, host string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(port)+"/", nil)
	if err != nil {
		return "", err
	}
	req.Host = host
	resp, err := (&http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", errors.New(resp.Status)
	}
	return resp.Header.Get("X-Backend"), nil
}
