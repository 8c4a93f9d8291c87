package metrics

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/require"
)

// TestRequestTextMatchesClientGolang: the request series are written byte
// for byte as client_golang's registry and text encoder write the same
// series made into const metrics, as archway served them before: label
// values that need escaping, bounds hit exactly, series without a
// response duration, and both label sets and custom buckets.
func TestRequestTextMatchesClientGolang(t *testing.T) {
	for _, opts := range []RequestOptions{{}, {WithoutHost: true, TimeBuckets: []float64{0, 0.5, 1}, LengthBuckets: []float64{100}, SizeBuckets: []float64{1e3, 1e9}}} {
		t.Run(fmt.Sprintf("without-host=%v", opts.WithoutHost), func(t *testing.T) {
			labels := testLabels
			labels.Requests = opts
			m := New(prometheus.NewRegistry(), labels)
			random := rand.New(rand.NewPCG(1, 2))
			pick := func(values ...string) string { return values[random.IntN(len(values))] }
			value := func() float64 {
				return []float64{0, 0.005, 0.5, 1, 1.5, 100, 1000, 12345.678, 1e9, 1e12}[random.IntN(10)]
			}
			for range 2000 {
				m.ObserveRequest(Request{
					Namespace: pick("shop", "a", "", "z-ns"), Ingress: pick("web", "api", "x"), Service: pick("web", "", "svc"),
					Host: pick("_", "a.example", "b.example", "a b"), Status: pick("200", "404", "503"), Method: pick("GET", "POST"),
					Path: pick("/", "/api", `/q"uote`, `/back\slash`, "/new\nline", "/a b", "/a!", "/é"), Canary: pick("", "shop_web-canary_80"),
					Duration: value(), Size: value(), RequestSize: value(), ResponseTime: []float64{-1, 0.25, 1}[random.IntN(3)],
				})
			}
			var got strings.Builder
			w := bufio.NewWriter(&got)
			require.NoError(t, m.requests.writeText(w))

			reg := prometheus.NewRegistry()
			reg.MustRegister(constRequests{m.requests, labels})
			families, err := reg.Gather()
			require.NoError(t, err)
			var want strings.Builder
			for _, f := range families {
				_, err := expfmt.MetricFamilyToText(&want, f)
				require.NoError(t, err)
			}
			require.Equal(t, want.String(), got.String())
			require.Greater(t, strings.Count(got.String(), "\n"), 2000)
		})
	}
}

// constRequests makes the request series into client_golang's const
// metrics: the reference TestRequestTextMatchesClientGolang compares with.
type constRequests struct {
	c      *requestCollectors
	labels Labels
}

func (r constRequests) desc(f family) *prometheus.Desc {
	names := []string{"namespace", "ingress", "service", "status", "method", "path", "canary", "host"}
	if r.c.withoutHost {
		names = names[:len(names)-1]
	}
	return prometheus.NewDesc(f.name, f.help, names, r.labels.constLabels())
}

func (r constRequests) Describe(ch chan<- *prometheus.Desc) {
	ch <- r.desc(r.c.count)
	for _, h := range r.c.histograms {
		ch <- r.desc(h.family)
	}
}

func (r constRequests) Collect(ch chan<- prometheus.Metric) {
	for s, d := range r.c.series {
		values := r.c.values(s)
		ch <- prometheus.MustNewConstMetric(r.desc(r.c.count), prometheus.CounterValue, float64(d.requests), values...)
		for i, h := range r.c.histograms {
			if d.observed[i] == 0 {
				continue
			}
			cumulative := map[float64]uint64{}
			var below uint64
			for k, bound := range h.buckets {
				below += d.counts[i][k]
				cumulative[bound] = below
			}
			ch <- prometheus.MustNewConstHistogram(r.desc(h.family), d.observed[i], d.sums[i], cumulative, values...)
		}
	}
}

// TestHandler: /metrics serves the registry's metrics and the request
// series in the text format, gzipped when asked, and a 500 when the
// registry fails.
func TestHandler(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg, testLabels)
	m.ObserveRequest(Request{Namespace: "shop", Ingress: "web", Status: "200", Method: "GET", Duration: 0.1, ResponseTime: 0.1})
	plain := scrape(t, m.Handler(reg), "")
	require.Equal(t, plain, scrape(t, m.Handler(reg), "deflate, gzip;q=0.9"), "gzipped, the same text")
	for encoding, gzipped := range map[string]bool{"gzip": true, "deflate, gzip;q=0.9": true, "GZIP;Q=0.5": true, "gzip;q=0": false, "gzip; q=0.0": false, "gzip;Q=0": false, "": false, "br": false} {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.Header.Set("Accept-Encoding", encoding)
		rec := httptest.NewRecorder()
		m.Handler(reg).ServeHTTP(rec, req)
		require.Equal(t, gzipped, rec.Header().Get("Content-Encoding") == "gzip", "Accept-Encoding %q", encoding)
	}
	require.Contains(t, plain, "# TYPE archway_build_info gauge\n")
	require.Contains(t, plain, "# TYPE nginx_ingress_controller_requests counter\n")
	require.Less(t, strings.Index(plain, "archway_build_info"), strings.Index(plain, "nginx_ingress_controller_requests"))

	failing := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return nil, errors.New("collector broke") })
	rec := httptest.NewRecorder()
	m.Handler(failing).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusInternalServerError, rec.Code)
	require.Contains(t, rec.Body.String(), "collector broke")
}

// BenchmarkScrape writes 10,000 request series (one per Ingress, as after
// `make bench`'s traffic) as archway does, and as client_golang's registry
// and encoder did (constRequests).
func BenchmarkScrape(b *testing.B) {
	m := New(prometheus.NewRegistry(), testLabels)
	for i := range 10_000 {
		name := fmt.Sprintf("app-%d", i)
		m.ObserveRequest(Request{Namespace: "perf", Ingress: name, Service: name, Host: name + ".perf.example", Status: "200",
			Method: "GET", Path: "/", Duration: 0.002, Size: 300, RequestSize: 100, ResponseTime: 0.001})
	}
	b.Run("archway", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			require.NoError(b, m.requests.writeText(bufio.NewWriter(io.Discard)))
		}
	})
	b.Run("client_golang", func(b *testing.B) {
		b.ReportAllocs()
		reg := prometheus.NewRegistry()
		reg.MustRegister(constRequests{m.requests, testLabels})
		for b.Loop() {
			families, err := reg.Gather()
			require.NoError(b, err)
			for _, f := range families {
				_, err := expfmt.MetricFamilyToText(io.Discard, f)
				require.NoError(b, err)
			}
		}
	})
}
