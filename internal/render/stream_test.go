package render

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

var db = model.Ref{Namespace: "data", Name: "db"}

// TestStreamGolden renders TCP and UDP services (with PROXY protocol
// received and sent, IPv6 endpoints, and one without endpoints) into the
// stream {} block, which nginx -t accepts with the stream module loaded.
func TestStreamGolden(t *testing.T) {
	r, err := New("")
	require.NoError(t, err)
	endpoints := []model.Endpoint{{Address: "10.0.0.1", Port: 5432}, {Address: "fd00::1", Port: 5432}}
	out, err := r.Render(model.Config{Streams: []model.StreamServer{
		{Protocol: model.TCP, Port: 5432, Service: db, ServicePort: "5432", Endpoints: endpoints},
		{Protocol: model.TCP, Port: 5433, Service: db, ServicePort: "sql", DecodeProxyProtocol: true, SendProxyProtocol: true, Endpoints: endpoints},
		{Protocol: model.TCP, Port: 5434, Service: db, ServicePort: "sql"},
		{Protocol: model.UDP, Port: 53, Service: db, ServicePort: "dns", Endpoints: []model.Endpoint{{Address: "10.0.0.1", Port: 1053}}},
	}}, rootOptions(goldenRuntimeDir))
	require.NoError(t, err)
	checkGolden(t, "streams", out)
	both := []byte("10.0.0.1:5432\n[fd00::1]:5432\n")
	require.Equal(t, []File{
		{Name: "stream-endpoints/tcp_5432", Data: both, Mode: 0o644},
		{Name: "stream-endpoints/tcp_5433", Data: both, Mode: 0o644},
		{Name: "stream-endpoints/tcp_5434", Mode: 0o644},
		{Name: "stream-endpoints/udp_53", Data: []byte("10.0.0.1:1053\n"), Mode: 0o644},
	}, out.StreamEndpoints)
}

// TestStreamEndpointsOutsideConfig: the endpoints of a stream server are
// not in nginx.conf, so changing them changes neither Files nor Version.
func TestStreamEndpointsOutsideConfig(t *testing.T) {
	r, err := New("")
	require.NoError(t, err)
	render := func(endpoints ...model.Endpoint) Output {
		out, err := r.Render(model.Config{Streams: []model.StreamServer{
			{Protocol: model.TCP, Port: 5432, Service: db, ServicePort: "5432", Endpoints: endpoints},
		}}, rootOptions(goldenRuntimeDir))
		require.NoError(t, err)
		return out
	}
	before, after := render(model.Endpoint{Address: "10.0.0.1", Port: 5432}), render(model.Endpoint{Address: "10.0.0.2", Port: 5432})
	require.Equal(t, before.Version, after.Version)
	require.Equal(t, before.Files, after.Files)
	require.NotEqual(t, before.StreamEndpoints, after.StreamEndpoints)
}

// TestStreamModuleOnlyWhenUsed: without stream servers nginx.conf neither
// loads the stream module nor has a stream {} block.
func TestStreamModuleOnlyWhenUsed(t *testing.T) {
	r, err := New("")
	require.NoError(t, err)
	out, err := r.Render(model.Config{}, rootOptions(goldenRuntimeDir))
	require.NoError(t, err)
	require.NotContains(t, string(out.Files[0].Data), "ngx_stream_module")
	require.NotContains(t, string(out.Files[0].Data), "\nstream {")
}

// TestStreamRefused: render's last checks refuse what build never makes.
func TestStreamRefused(t *testing.T) {
	r, err := New("")
	require.NoError(t, err)
	for want, s := range map[string]model.StreamServer{
		"out of range":     {Protocol: model.TCP, Port: 65536},
		"for TCP only":     {Protocol: model.UDP, Port: 53, SendProxyProtocol: true},
		"unknown protocol": {Protocol: "SCTP", Port: 53},
		"not an IP":        {Protocol: model.TCP, Port: 53, Endpoints: []model.Endpoint{{Address: "db; evil", Port: 1}}},
	} {
		_, err := r.Render(model.Config{Streams: []model.StreamServer{s}}, rootOptions(goldenRuntimeDir))
		require.Error(t, err, want)
		require.True(t, strings.Contains(err.Error(), want), err.Error())
	}
}
