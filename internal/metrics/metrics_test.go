package metrics

import (
	"maps"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
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
		Path: "/api", Canary: "shop_web-canary_80", Duration: 0.5, Size: 1000, RequestSize: 100, ResponseTime: 0.25}
	slow := shop
	slow.Duration, slow.Size, slow.RequestSize, slow.ResponseTime = 3, 5000, 300, 2.5
	m.ObserveRequest(shop)
	m.ObserveRequest(slow)
	m.ObserveRequest(Request{Host: "_", Status: "404", Method: "OTHER", Duration: 0.001, Size: 150, RequestSize: 50, ResponseTime: -1})

	const (
		shopLabels = `{canary="shop_web-canary_80",host="shop.example.com",ingress="web",method="GET",namespace="shop",path="/api",service="web-svc",status="200"}`
		unknown    = `{canary="",host="_",ingress="",method="OTHER",namespace="",path="",service="",status="404"}`
	)
	require.Equal(t, map[string]sample{
		"nginx_ingress_controller_requests" + shopLabels:                  {Value: 2},
		"nginx_ingress_controller_requests" + unknown:                     {Value: 1},
		"nginx_ingress_controller_request_duration_seconds" + shopLabels:  {Count: 2, Sum: 3.5},
		"nginx_ingress_controller_request_duration_seconds" + unknown:     {Count: 1, Sum: 0.001},
		"nginx_ingress_controller_response_duration_seconds" + shopLabels: {Count: 2, Sum: 2.75},
		"nginx_ingress_controller_request_size" + shopLabels:              {Count: 2, Sum: 400},
		"nginx_ingress_controller_request_size" + unknown:                 {Count: 1, Sum: 50},
		"nginx_ingress_controller_response_size" + shopLabels:             {Count: 2, Sum: 6000},
		"nginx_ingress_controller_response_size" + unknown:                {Count: 1, Sum: 150},
		"nginx_ingress_controller_bytes_sent" + shopLabels:                {Count: 2, Sum: 6000},
		"nginx_ingress_controller_bytes_sent" + unknown:                   {Count: 1, Sum: 150},
	}, gather(t, served{t, m, reg}, "nginx_ingress_controller_requests", "nginx_ingress_controller_request_duration_seconds",
		"nginx_ingress_controller_response_duration_seconds", "nginx_ingress_controller_request_size",
		"nginx_ingress_controller_response_size", "nginx_ingress_controller_bytes_sent"))
}

func TestSyncPhase(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg, testLabels)
	m.SyncPhase(PhaseBuild, 250*time.Millisecond)
	m.SyncPhase(PhaseBuild, 500*time.Millisecond)
	m.SyncPhase(PhaseReload, 2*time.Second)
	require.Equal(t, map[string]sample{
		`archway_sync_phase_seconds{phase="build"}`:  {Count: 2, Sum: 0.75},
		`archway_sync_phase_seconds{phase="reload"}`: {Count: 1, Sum: 2},
	}, gather(t, reg, "archway_sync_phase_seconds"))
}

func TestLeader(t *testing.T) {
	reg := prometheus.NewRegistry()
	leader := false
	RegisterLeader(reg, testLabels, func() bool { return leader })
	require.Equal(t, map[string]sample{"archway_leader{}": {Value: 0}}, gather(t, reg, "archway_leader"))
	leader = true
	require.Equal(t, map[string]sample{"archway_leader{}": {Value: 1}}, gather(t, reg, "archway_leader"))
}

// An Ingress that is no longer served loses its request series; served
// ones and requests no Ingress routed keep theirs.
func TestSyncedDeletesRequestSeriesOfGoneIngresses(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg, testLabels)
	web := Request{Namespace: "shop", Ingress: "web", Service: "web", Host: "shop.example.com", Status: "200", Method: "GET", Path: "/shop"}
	api := Request{Namespace: "shop", Ingress: "api", Service: "api", Host: "api.example.com", Status: "200", Method: "GET"}
	apiFailed := api
	apiFailed.Status, apiFailed.Method = "502", "POST"
	for _, r := range []Request{web, api, apiFailed, {Host: "_", Status: "404", Method: "GET"}} {
		m.ObserveRequest(r)
	}
	series := func() []string {
		return slices.Sorted(maps.Keys(gather(t, served{t, m, reg}, "nginx_ingress_controller_requests",
			"nginx_ingress_controller_request_duration_seconds", "nginx_ingress_controller_response_size")))
	}
	const (
		webLabels     = `{canary="",host="shop.example.com",ingress="web",method="GET",namespace="shop",path="/shop",service="web",status="200"}`
		unroutedLabel = `{canary="",host="_",ingress="",method="GET",namespace="",path="",service="",status="404"}`
	)
	onlyWebAndUnrouted := []string{
		"nginx_ingress_controller_request_duration_seconds" + unroutedLabel,
		"nginx_ingress_controller_request_duration_seconds" + webLabels,
		"nginx_ingress_controller_requests" + unroutedLabel,
		"nginx_ingress_controller_requests" + webLabels,
		"nginx_ingress_controller_response_size" + unroutedLabel,
		"nginx_ingress_controller_response_size" + webLabels,
	}

	require.Len(t, series(), 12)
	m.Synced(time.Millisecond, nil, []model.Ref{{Namespace: "shop", Name: "web"}})
	require.Equal(t, onlyWebAndUnrouted, series())

	// A late request of the gone Ingress comes back until the next sync.
	m.ObserveRequest(api)
	require.Len(t, series(), 9)
	m.Synced(time.Millisecond, nil, []model.Ref{{Namespace: "shop", Name: "web"}})
	require.Equal(t, onlyWebAndUnrouted, series())

	m.Synced(time.Millisecond, nil, nil)
	require.Equal(t, []string{
		"nginx_ingress_controller_request_duration_seconds" + unroutedLabel,
		"nginx_ingress_controller_requests" + unroutedLabel,
		"nginx_ingress_controller_response_size" + unroutedLabel,
	}, series())
	require.Equal(t, map[string]sample{"archway_ingresses_served{}": {Value: 0}}, gather(t, reg, "archway_ingresses_served"))
}

func TestAccessLogRecordDropped(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg, testLabels)
	m.AccessLogRecordDropped()
	m.AccessLogRecordDropped()
	require.Equal(t, map[string]sample{"archway_access_log_records_dropped_total{}": {Value: 2}},
		gather(t, reg, "archway_access_log_records_dropped_total"))
}

// TestRequestOptions: without the host label, with buckets of one's own,
// and a response duration only when a backend answered.
func TestRequestOptions(t *testing.T) {
	reg := prometheus.NewRegistry()
	labels := testLabels
	labels.Requests = RequestOptions{WithoutHost: true, TimeBuckets: []float64{0.5, 1}, LengthBuckets: []float64{100}, SizeBuckets: []float64{1000}}
	m := New(reg, labels)
	m.ObserveRequest(Request{Namespace: "shop", Ingress: "web", Service: "web", Host: "shop.example.com", Status: "200", Method: "GET",
		Path: "/", Canary: "shop_web_canary_80", Duration: 0.7, Size: 150, RequestSize: 80, ResponseTime: 0.6})
	m.ObserveRequest(Request{Host: "_", Status: "404", Method: "GET", ResponseTime: -1})
	families, err := served{t, m, reg}.Gather()
	require.NoError(t, err)
	buckets := map[string][]float64{}
	counts := map[string]int{}
	for _, f := range families {
		for _, metric := range f.GetMetric() {
			counts[f.GetName()]++
			for _, l := range metric.GetLabel() {
				require.NotEqual(t, "host", l.GetName())
			}
			if h := metric.GetHistogram(); h != nil && len(buckets[f.GetName()]) == 0 {
				for _, b := range h.GetBucket() {
					buckets[f.GetName()] = append(buckets[f.GetName()], b.GetUpperBound())
				}
			}
		}
	}
	inf := math.Inf(1) // the text format writes the +Inf bucket too
	require.Equal(t, []float64{0.5, 1, inf}, buckets["nginx_ingress_controller_request_duration_seconds"])
	require.Equal(t, []float64{0.5, 1, inf}, buckets["nginx_ingress_controller_response_duration_seconds"])
	require.Equal(t, []float64{100, inf}, buckets["nginx_ingress_controller_request_size"])
	require.Equal(t, []float64{100, inf}, buckets["nginx_ingress_controller_response_size"])
	require.Equal(t, []float64{1000, inf}, buckets["nginx_ingress_controller_bytes_sent"])
	require.Equal(t, 2, counts["nginx_ingress_controller_requests"])
	require.Equal(t, 1, counts["nginx_ingress_controller_response_duration_seconds"], "no backend, no response duration")
}
