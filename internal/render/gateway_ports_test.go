package render

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/testutil"
)

// TestGatewayPortsTraffic: each Gateway with ports of its own answers its
// own routes there, a route attached to two Gateways answers on both, and
// the Ingress keeps the HTTP port: the same host and path go to three
// backends by the port that the request came to.
func TestGatewayPortsTraffic(t *testing.T) {
	opts := builder.Options{GatewayController: "archway.dev/gateway-controller", WatchWithoutClass: true,
		GatewayPorts: builder.PortRange{First: 1, Last: 9}}
	cfg, report := buildLive(t, testutil.TwoGatewaysYAML, opts)
	require.Empty(t, report.Problems)
	ports := map[string]int{}
	for i, g := range cfg.GatewayPorts {
		for k, p := range g.Ports {
			port := freePort(t) // the range stands in for free ports
			cfg.GatewayPorts[i].Ports[k].Target = int32(port)
			ports[fmt.Sprintf("%s:%d", g.Gateway.Name, p.Port)] = port
		}
	}
	httpPort := serveLive(t, cfg)
	for _, c := range []struct {
		port         int
		root, shared string
		unknownHost  string
	}{
		{httpPort, "v1", "v1", "404"},
		{ports["gw:80"], "v2", "v1", "404"},
		{ports["other:80"], "v3", "v1", "404"},
		{ports["other:8080"], "v3", "v1", "404"},
	} {
		client := tcpClient(t, c.port)
		require.Equal(t, c.root, answer(t, client, "GET same.test/"), "port %d", c.port)
		require.Equal(t, c.shared, answer(t, client, "GET same.test/shared"), "port %d", c.port)
		require.Equal(t, c.unknownHost, answer(t, client, "GET unknown.test/"), "port %d", c.port)
	}
}
