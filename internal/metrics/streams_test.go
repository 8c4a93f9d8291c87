package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

// TestObserveStream counts connections by status and bytes per port, and
// drops the series of a port no longer served.
func TestObserveStream(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg, testLabels)
	db := Stream{Protocol: "TCP", Port: "5432", Namespace: "data", Service: "db", Status: "200", Sent: 100, Received: 20}
	m.ObserveStream(db)
	m.ObserveStream(db)
	m.ObserveStream(Stream{Protocol: "TCP", Port: "5432", Namespace: "data", Service: "db", Status: "502"})
	m.ObserveStream(Stream{Protocol: "UDP", Port: "53", Namespace: "kube-system", Service: "dns", Status: "200", Sent: 60, Received: 30})

	const (
		dbLabels  = `namespace="data",port="5432",protocol="TCP",service="db"`
		dnsLabels = `namespace="kube-system",port="53",protocol="UDP",service="dns"`
	)
	names := []string{"archway_stream_connections_total", "archway_stream_sent_bytes_total", "archway_stream_received_bytes_total"}
	require.Equal(t, map[string]sample{
		"archway_stream_connections_total{" + dbLabels + `,status="200"}`:  {Value: 2},
		"archway_stream_connections_total{" + dbLabels + `,status="502"}`:  {Value: 1},
		"archway_stream_connections_total{" + dnsLabels + `,status="200"}`: {Value: 1},
		"archway_stream_sent_bytes_total{" + dbLabels + "}":                {Value: 200},
		"archway_stream_sent_bytes_total{" + dnsLabels + "}":               {Value: 60},
		"archway_stream_received_bytes_total{" + dbLabels + "}":            {Value: 40},
		"archway_stream_received_bytes_total{" + dnsLabels + "}":           {Value: 30},
	}, gather(t, reg, names...))

	m.StreamsServed([]model.StreamServer{{Protocol: model.UDP, Port: 53, Service: model.Ref{Namespace: "kube-system", Name: "dns"}}})
	require.Equal(t, map[string]sample{
		"archway_stream_connections_total{" + dnsLabels + `,status="200"}`: {Value: 1},
		"archway_stream_sent_bytes_total{" + dnsLabels + "}":               {Value: 60},
		"archway_stream_received_bytes_total{" + dnsLabels + "}":           {Value: 30},
	}, gather(t, reg, names...))
}
