package metrics

import (
	"fmt"
	"math"
	"runtime"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
)

// TestRequestHistogramBuckets: the compact series count each observation
// into the bucket client_golang's own histogram would, bounds included.
func TestRequestHistogramBuckets(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg, testLabels)
	reference := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "reference", Buckets: DefaultTimeBuckets})
	for _, v := range []float64{0, 0.005, 0.0051, 0.1, 0.25, 1, 2.5, 9.99, 10, 10.01, 1e9} {
		m.ObserveRequest(Request{Namespace: "shop", Ingress: "web", Status: "200", Method: "GET", Duration: v, ResponseTime: -1})
		reference.Observe(v)
	}
	families, err := served{t, m, reg}.Gather()
	require.NoError(t, err)
	want := &dto.Metric{}
	require.NoError(t, reference.Write(want))
	for _, f := range families {
		if f.GetName() == "nginx_ingress_controller_request_duration_seconds" {
			require.Len(t, f.GetMetric(), 1)
			got := f.GetMetric()[0].GetHistogram()
			require.Equal(t, want.GetHistogram().GetSampleCount(), got.GetSampleCount())
			require.Equal(t, want.GetHistogram().GetSampleSum(), got.GetSampleSum())
			// The text format ends with the +Inf bucket, which counts all.
			require.Len(t, got.GetBucket(), len(DefaultTimeBuckets)+1)
			for i, b := range want.GetHistogram().GetBucket() {
				require.Equal(t, b.GetUpperBound(), got.GetBucket()[i].GetUpperBound())
				require.Equal(t, b.GetCumulativeCount(), got.GetBucket()[i].GetCumulativeCount(), "le=%v", b.GetUpperBound())
			}
			inf := got.GetBucket()[len(DefaultTimeBuckets)]
			require.True(t, math.IsInf(inf.GetUpperBound(), 1))
			require.Equal(t, want.GetHistogram().GetSampleCount(), inf.GetCumulativeCount())
			return
		}
	}
	t.Fatal("no request duration histogram")
}

// TestRequestSeriesMemory: a request series (a counter and five
// histograms) holds about a kilobyte, not the ten that client_golang's
// vectors held, which made most of archway's memory at 10,000 Ingresses.
func TestRequestSeriesMemory(t *testing.T) {
	const series = 2000
	m := New(prometheus.NewRegistry(), testLabels)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range series {
		name := fmt.Sprintf("app-%d", i)
		m.ObserveRequest(Request{Namespace: "perf", Ingress: name, Service: name, Host: name + ".example", Status: "200", Method: "GET",
			Path: "/", Duration: 0.01, Size: 300, RequestSize: 100, ResponseTime: 0.01})
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perSeries := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / series
	t.Logf("%d bytes per request series", perSeries)
	require.Less(t, perSeries, int64(2048))
	runtime.KeepAlive(m)
}
