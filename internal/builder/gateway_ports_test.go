package builder

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/source"
	"github.com/archway-ingress/archway/internal/testutil"
)

// gatewayService is the Service of Gateway web/other that
// internal/status wrote, whose port 8080 targets nginx port 10001.
var gatewayService = `
apiVersion: v1
kind: Service
metadata:
  name: ` + GatewayServiceName(ref("web", "other")) + `
  namespace: archway
  labels: {` + GatewayServiceLabel + `: ` + GatewayServiceName(ref("web", "other")) + `}
  annotations: {` + GatewayAnnotation + `: web/other, ` + GatewayControllerAnnotation + `: archway.dev/gateway-controller}
spec:
  ports: [{name: p8080, port: 8080, targetPort: 10001}]
`

func buildGatewayPorts(t *testing.T, r PortRange, manifests string) (model.Config, Report) {
	t.Helper()
	var snap source.Snapshot
	snap.AddManifests("gateways.yaml", []byte(manifests))
	require.Empty(t, snap.LoadErrors)
	opts := gatewayOpts()
	opts.WatchWithoutClass, opts.Namespace, opts.GatewayPorts = true, "archway", r
	return Build(snap, *opts)
}

// serverKeys lists each server's Gateway, host and its locations'
// paths and backends.
func serverKeys(cfg model.Config) map[string][]string {
	out := map[string][]string{}
	for _, s := range cfg.Servers {
		for _, l := range s.Locations {
			out[s.Gateway.String()+" "+s.Host] = append(out[s.Gateway.String()+" "+s.Host], l.Path+" "+l.Backend)
		}
	}
	return out
}

// TestGatewayPorts: with ports of their own, each Gateway's routes are
// servers of their own, apart from the other Gateway's and the
// Ingress's, so none conflicts; a route attached to both is in both. A
// Gateway keeps the port its Service targets, and new listener ports
// take the lowest free ones.
func TestGatewayPorts(t *testing.T) {
	cfg, report := buildGatewayPorts(t, PortRange{First: 10000, Last: 10009}, testutil.TwoGatewaysYAML+testutil.BackendsYAML+"---"+gatewayService)
	require.Empty(t, report.Problems)
	require.Equal(t, []model.GatewayPorts{
		{Gateway: ref("web", "gw"), Ports: []model.GatewayPort{{Port: 80, Target: 10000}}},
		{Gateway: ref("web", "other"), Ports: []model.GatewayPort{{Port: 80, Target: 10002}, {Port: 8080, Target: 10001}}},
	}, cfg.GatewayPorts)
	require.Equal(t, map[string][]string{
		"/ same.test":         {"/ web_v1_8080"},
		"web/gw same.test":    {"/ web_v2_8080", "/shared web_v1_8080"},
		"web/other same.test": {"/ web_v3_8080", "/shared web_v1_8080"},
	}, serverKeys(cfg))

	shared, report := buildGatewayPorts(t, PortRange{}, testutil.TwoGatewaysYAML+testutil.BackendsYAML)
	require.Nil(t, shared.GatewayPorts)
	require.Equal(t, map[string][]string{"/ same.test": {"/ web_v1_8080", "/shared web_v1_8080"}}, serverKeys(shared),
		"without ports of their own, the Gateways share the Ingress's server, and the older route wins")
	require.NotEmpty(t, report.Problems)
}

// TestGatewayPortsExhausted: a listener port that finds no free port in
// the range is reported, and the Gateway's other ports keep theirs.
func TestGatewayPortsExhausted(t *testing.T) {
	cfg, report := buildGatewayPorts(t, PortRange{First: 10000, Last: 10001}, testutil.TwoGatewaysYAML+testutil.BackendsYAML)
	require.Equal(t, []model.GatewayPorts{
		{Gateway: ref("web", "gw"), Ports: []model.GatewayPort{{Port: 80, Target: 10000}}},
		{Gateway: ref("web", "other"), Ports: []model.GatewayPort{{Port: 80, Target: 10001}}},
	}, cfg.GatewayPorts)
	require.Len(t, report.Problems, 1)
	require.Equal(t, reason.UnsupportedFeature, report.Problems[0].Reason)
	require.Equal(t, ref("web", "other"), report.Problems[0].Object)
	require.Contains(t, report.Problems[0].Message, "port 8080")
}

// TestGatewayPortsProtocolConflict: with ports of their own, HTTP and
// HTTPS listeners that share a port are all refused as Conflicted (the
// spec lets none of them win: the routes of one would go out on a port of
// the other protocol); the Gateway's other listeners are served.
func TestGatewayPortsProtocolConflict(t *testing.T) {
	conflicting := testutil.GatewayClassYAML + `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: web}
spec:
  gatewayClassName: archway
  listeners:
  - {name: http, protocol: HTTP, port: 8443}
  - {name: https, protocol: HTTPS, port: 8443, tls: {certificateRefs: [{name: missing}]}}
  - {name: other, protocol: HTTP, port: 8443, hostname: other.test}
  - {name: plain, protocol: HTTP, port: 8080}
`
	cfg, report := buildGatewayPorts(t, PortRange{First: 10000, Last: 10009}, conflicting)
	require.Equal(t, []model.GatewayPorts{{Gateway: ref("web", "gw"), Ports: []model.GatewayPort{{Port: 8080, Target: 10000}}}}, cfg.GatewayPorts)
	require.Len(t, report.Problems, 3)
	message := `port 8443 has listeners "http", "https", "other" of protocols HTTP and HTTPS, and a port serves one protocol; none of them is served`
	for i, p := range report.Problems {
		require.Equal(t, fmt.Sprintf("spec.listeners[%d].protocol", i), p.Field)
		require.Equal(t, reason.ProtocolConflict, p.Reason)
		require.Equal(t, message, p.Message)
	}
	conflicted := ListenerResult{Reason: reason.ProtocolConflict, Message: message}
	require.Equal(t, []ListenerResult{withName(conflicted, "http"), withName(conflicted, "https"), withName(conflicted, "other"),
		{Name: "plain", Served: true}}, report.Gateway.Gateways[0].Listeners)

	_, report = buildGatewayPorts(t, PortRange{}, conflicting)
	require.Len(t, report.Problems, 1, "on the shared ports no listener's port is its own: no conflict")
	require.Equal(t, reason.InvalidTLSSecret, report.Problems[0].Reason)
}

func withName(l ListenerResult, name string) ListenerResult {
	l.Name = name
	return l
}
