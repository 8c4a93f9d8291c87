package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/utils/ptr"

	"github.com/archway-ingress/archway/internal/testutil"
	"github.com/archway-ingress/archway/test/harness"
)

// TestChartStreams installs a release with the chart's tcp: and udp:
// values, runs archway with its flags, ServiceAccount and RBAC, and checks
// that a TCP echo and a UDP echo, reached through a Service and its
// EndpointSlice, answer through the ports the values name. Then the
// EndpointSlice moves to other echoes: new connections and datagrams go
// to them, a TCP connection opened before keeps working with its echo,
// and nginx does not reload.
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
	slice, err := admin.DiscoveryV1().EndpointSlices(ns).Create(ctx, &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "echo-1", Labels: map[string]string{discoveryv1.LabelServiceName: "echo"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       echoPorts(tcpEcho, udpEcho),
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{echoIP}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)

	r := s.renderChart(t, "streams", ns, "deploy/examples/values-external.yaml", ns+"-streams",
		fmt.Sprintf("tcp.%d=%s/echo:7000", tcpPort, ns), fmt.Sprintf("udp.%d=%s/echo:dns", udpPort, ns))
	_, err = r.create(ctx, admin, true)
	require.NoError(t, err, "server-side dry run")
	require.NoError(t, r.install(t, admin))
	a := s.startChartArchway(t, r)

	require.NoError(t, harness.Eventually(30*time.Second, 100*time.Millisecond, func() error {
		return echoes("tcp", tcpPort, "hello tcp\n")
	}))
	require.NoError(t, harness.Eventually(30*time.Second, 100*time.Millisecond, func() error {
		return echoes("udp", udpPort, "hello udp\n")
	}))

	longLived, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(tcpPort)), time.Second)
	require.NoError(t, err)
	defer longLived.Close()
	require.NoError(t, longLived.SetDeadline(time.Now().Add(time.Minute)))
	lines := bufio.NewReader(longLived)
	require.NoError(t, exchange(longLived, lines, "before\n"))
	reloads, err := a.Metric("nginx_ingress_controller_success")
	require.NoError(t, err)

	newTCP, newUDP := testutil.NamedEchoes(t, echoIP, "new")
	slice.Ports = echoPorts(newTCP, newUDP)
	_, err = admin.DiscoveryV1().EndpointSlices(ns).Update(ctx, slice, metav1.UpdateOptions{})
	require.NoError(t, err)
	require.NoError(t, harness.Eventually(30*time.Second, 100*time.Millisecond, func() error {
		return answers("tcp", tcpPort, "hello\n", "new\n")
	}), "new connections go to the new endpoint")
	// The UDP port's endpoint file is written after the TCP port's.
	require.NoError(t, harness.Eventually(10*time.Second, 100*time.Millisecond, func() error {
		return answers("udp", udpPort, "hello\n", "new:hello\n")
	}), "new datagrams go to the new endpoint")
	require.NoError(t, exchange(longLived, lines, "after\n"), "the connection opened before keeps its echo")
	after, err := a.Metric("nginx_ingress_controller_success")
	require.NoError(t, err)
	require.Equal(t, reloads, after, "no reload for the endpoint change")

	// An entry on archway's HTTP port is refused alone, with a Warning
	// Event on the ConfigMap.
	cms, err := admin.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	i := slices.IndexFunc(cms.Items, func(cm corev1.ConfigMap) bool { return cm.Data[strconv.Itoa(tcpPort)] != "" })
	require.GreaterOrEqual(t, i, 0, "the chart's TCP services ConfigMap")
	tcp := cms.Items[i]
	tcp.Data[strconv.Itoa(a.HTTPPort)] = ns + "/echo:7000"
	_, err = admin.CoreV1().ConfigMaps(ns).Update(ctx, &tcp, metav1.UpdateOptions{})
	require.NoError(t, err)
	require.NoError(t, harness.Eventually(30*time.Second, 100*time.Millisecond, func() error {
		events, err := admin.CoreV1().Events(ns).List(ctx, metav1.ListOptions{
			FieldSelector: fields.Set{"involvedObject.kind": "ConfigMap", "involvedObject.name": tcp.Name}.String(),
		})
		if err != nil {
			return err
		}
		for _, e := range events.Items {
			if e.Reason == "StreamPortConflict" && e.Type == corev1.EventTypeWarning && e.InvolvedObject.UID == tcp.UID &&
				strings.Contains(e.Message, "is taken by the HTTP port") {
				return nil
			}
		}
		return fmt.Errorf("no StreamPortConflict Event on ConfigMap %s among %d", tcp.Name, len(events.Items))
	}))
	require.NoError(t, answers("tcp", tcpPort, "hello\n", "new\n"), "the other entry keeps serving")
}

// echoPorts are the EndpointSlice ports of the echo Service.
func echoPorts(tcp, udp int) []discoveryv1.EndpointPort {
	return []discoveryv1.EndpointPort{
		{Name: ptr.To("tcp"), Port: ptr.To(int32(tcp)), Protocol: ptr.To(corev1.ProtocolTCP)},
		{Name: ptr.To("dns"), Port: ptr.To(int32(udp)), Protocol: ptr.To(corev1.ProtocolUDP)},
	}
}

// exchange sends line on conn and requires it back from lines, conn's
// reader.
func exchange(conn net.Conn, lines *bufio.Reader, line string) error {
	if _, err := io.WriteString(conn, line); err != nil {
		return err
	}
	got, err := lines.ReadString('\n')
	if err == nil && got != line {
		err = fmt.Errorf("got %q back, want %q", got, line)
	}
	return err
}

// echoes sends message to port on loopback and requires it back.
func echoes(network string, port int, message string) error {
	return answers(network, port, message, message)
}

// answers sends message to port on loopback and requires want as the
// first line back.
func answers(network string, port int, message, want string) error {
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
	if got != want {
		return fmt.Errorf("%s port %d answered %q, want %q", network, port, got, want)
	}
	return nil
}
