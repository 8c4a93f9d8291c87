package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/archway-ingress/archway/internal/testutil"
	"github.com/archway-ingress/archway/test/harness"
)

// TestChartStreams installs a release with the chart's tcp: and udp:
// values, runs archway with its flags, ServiceAccount and RBAC, and checks
// that a TCP echo and a UDP echo, reached through a Service and its
// EndpointSlice, answer through the ports the values name.
func TestChartStreams(t *testing.T) {
	s := env
	ns := s.NewNamespace(t)
	ctx, admin := t.Context(), s.Cluster.Admin
	// The API server refuses loopback endpoints: the echoes listen on the
	// host's address on a backend's network instead.
	echoIP := s.StartBackend(t, "echo-net").HostIP
	tcpEcho, udpEcho := testutil.TCPEcho(t, echoIP), testutil.UDPEcho(t, echoIP)
	ports, err := harness.FreePorts(1)
	require.NoError(t, err)
	tcpPort, udpPort := ports[0], testutil.FreeUDPPort(t)

	_, err = admin.CoreV1().Services(ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "echo"},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{
			{Name: "tcp", Port: 7000, Protocol: corev1.ProtocolTCP},
			{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP},
		}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = admin.DiscoveryV1().EndpointSlices(ns).Create(ctx, &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "echo-1", Labels: map[string]string{discoveryv1.LabelServiceName: "echo"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports: []discoveryv1.EndpointPort{
			{Name: ptr.To("tcp"), Port: ptr.To(int32(tcpEcho)), Protocol: ptr.To(corev1.ProtocolTCP)},
			{Name: ptr.To("dns"), Port: ptr.To(int32(udpEcho)), Protocol: ptr.To(corev1.ProtocolUDP)},
		},
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{echoIP}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)

	r := s.renderChart(t, "streams", ns, "deploy/examples/values-external.yaml", ns+"-streams",
		fmt.Sprintf("tcp.%d=%s/echo:7000", tcpPort, ns), fmt.Sprintf("udp.%d=%s/echo:dns", udpPort, ns))
	_, err = r.create(ctx, admin, true)
	require.NoError(t, err, "server-side dry run")
	require.NoError(t, r.install(t, admin))
	s.startChartArchway(t, r)

	require.NoError(t, harness.Eventually(30*time.Second, 100*time.Millisecond, func() error {
		return echoes("tcp", tcpPort, "hello tcp\n")
	}))
	require.NoError(t, harness.Eventually(30*time.Second, 100*time.Millisecond, func() error {
		return echoes("udp", udpPort, "hello udp\n")
	}))
}

// echoes sends message to port on loopback and requires it back.
func echoes(network string, port int, message string) error {
	conn, err := net.DialTimeout(network, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(time.Second)); err != nil {
		return err
	}
	if _, err := io.WriteString(conn, message); err != nil {
		return err
	}
	got, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return fmt.Errorf("%s port %d: %w", network, port, err)
	}
	if got != message {
		return fmt.Errorf("%s port %d answered %q, want %q", network, port, got, message)
	}
	return nil
}
