package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
)

func TestBuildInfo(t *testing.T) {
	reg := prometheus.NewRegistry()
	New(reg, testLabels)
	require.Equal(t, map[string]sample{`archway_build_info{version="v1.2.3"}`: {Value: 1}},
		gather(t, reg, "archway_build_info"))
}

func TestObserveRequest(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg, testLabels)
	shop := Request{Namespace: "shop", Ingress: "web", Service: "web-svc", Host: "shop.example.com", Status: "200", Method: "GET",
		Duration: 0.5, Size: 1000}
	slow := shop
	slow.Duration, slow.Size = 3, 5000
	m.ObserveRequest(shop)
	m.ObserveRequest(slow)
	m.ObserveRequest(Request{Host: "_", Status: "404", Method: "OTHER", Duration: 0.001, Size: 150})

	const (
		shopLabels = `{host="shop.example.com",ingress="web",method="GET",namespace="shop",service="web-svc",status="200"}`
		unknown    = `{host="_",ingress="",method="OTHER",namespace="",service="",status="404"}`
	)
	require.Equal(t, map[string]sample{
		"nginx_ingress_controller_requests" + shopLabels:                 {Value: 2},
		"nginx_ingress_controller_requests" + unknown:                    {Value: 1},
		"nginx_ingress_controller_request_duration_seconds" + shopLabels: {Count: 2, Sum: 3.5},
		"nginx_ingress_controller_request_duration_seconds" + unknown:    {Count: 1, Sum: 0.001},
		"nginx_ingress_controller_response_size" + shopLabels:            {Count: 2, Sum: 6000},
		"nginx_ingress_controller_response_size" + unknown:               {Count: 1, Sum: 150},
	}, gather(t, reg, "nginx_ingress_controller_requests", "nginx_ingress_controller_request_duration_seconds",
		"nginx_ingress_controller_response_size"))
}

func TestLeader(t *testing.T) {
	reg := prometheus.NewRegistry()
	leader := false
	RegisterLeader(reg, testLabels, func() bool { return leader })
	require.Equal(t, map[string]sample{"archway_leader{}": {Value: 0}}, gather(t, reg, "archway_leader"))
	leader = true
	require.Equal(t, map[string]sample{"archway_leader{}": {Value: 1}}, gather(t, reg, "archway_leader"))
}
