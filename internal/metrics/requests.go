package metrics

import (
	"slices"
	"sort"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/archway-ingress/archway/internal/model"
)

// Request is one request nginx served, as its access log record told it.
// Every label value must already be bounded: the caller folds unknown
// methods and hosts, and Status is a three-digit code.
type Request struct {
	Namespace string // the Ingress's namespace; "" when no Ingress routed it
	Ingress   string
	Service   string
	Host      string // the server's configured host, "_" for the catch-all
	Status    string
	Method    string
	// Path is the Ingress rule's path that routed the request (never the
	// request's URI); Canary the canary backend that served it, or "".
	Path, Canary string
	Duration     float64 // seconds, nginx's $request_time
	Size         float64 // bytes sent to the client, nginx's $bytes_sent
	RequestSize  float64 // bytes received, nginx's $request_length
	// ResponseTime is the seconds spent on the backend's responses
	// ($upstream_response_time, summed over retries); negative when no
	// backend was asked.
	ResponseTime float64
}

// RequestOptions shape the request metrics as ingress-nginx's flags do.
type RequestOptions struct {
	// WithoutHost drops the host label (--metrics-per-host=false).
	WithoutHost bool
	// Buckets of the durations, of the request and response sizes, and of
	// bytes_sent (--time-buckets, --length-buckets, --size-buckets); nil
	// is ingress-nginx's default.
	TimeBuckets, LengthBuckets, SizeBuckets []float64
}

// ingress-nginx's default buckets.
var (
	DefaultTimeBuckets   = prometheus.DefBuckets
	DefaultLengthBuckets = prometheus.LinearBuckets(10, 10, 10)
	DefaultSizeBuckets   = prometheus.ExponentialBuckets(10, 10, 7)
)

// requestCollectors holds the request series compactly: one requestData
// (a few hundred bytes of counts) per series, turned into Prometheus
// metrics only at scrape time. client_golang's vectors keep a histogram
// object with its own label pairs per series and histogram, about ten
// kilobytes per series: at 10,000 served Ingresses, most of archway's
// memory.
type requestCollectors struct {
	withoutHost bool
	count       *prometheus.Desc
	histograms  [histogramCount]requestHistogram
	dropped     prometheus.Counter

	// series are by Ingress too, so that an Ingress no longer served
	// loses them: else every Ingress ever deleted would keep them per
	// status, method, path and host for the life of the process.
	mu     sync.Mutex
	series map[requestSeries]*requestData
}

// requestSeries is the label values of a request series.
type requestSeries struct {
	ingress                                     model.Ref
	service, status, method, path, canary, host string
}

// The histograms of each series, in requestCollectors.histograms' order.
const (
	durationHistogram = iota
	responseDurationHistogram
	requestSizeHistogram
	responseSizeHistogram
	bytesSentHistogram
	histogramCount
)

type requestHistogram struct {
	desc    *prometheus.Desc
	buckets []float64 // upper bounds, ascending
}

// requestData is what one series counted: requests, and per histogram the
// observations per bucket (the last one above every bound), their count
// and sum.
type requestData struct {
	requests uint64
	counts   [histogramCount][]uint64
	observed [histogramCount]uint64
	sums     [histogramCount]float64
}

func newRequestCollectors(constLabels prometheus.Labels, opts RequestOptions) *requestCollectors {
	// ingress-nginx's label names; the order is values'.
	labels := []string{"namespace", "ingress", "service", "status", "method", "path", "canary", "host"}
	if opts.WithoutHost {
		labels = labels[:len(labels)-1]
	}
	histogram := func(name, help string, buckets, def []float64) requestHistogram {
		if buckets == nil {
			buckets = def
		}
		return requestHistogram{desc: prometheus.NewDesc(name, help, labels, constLabels), buckets: buckets}
	}
	return &requestCollectors{
		withoutHost: opts.WithoutHost,
		series:      map[requestSeries]*requestData{},
		count: prometheus.NewDesc("nginx_ingress_controller_requests", "Client requests served, by Ingress, status and method.",
			labels, constLabels),
		histograms: [histogramCount]requestHistogram{
			durationHistogram: histogram("nginx_ingress_controller_request_duration_seconds",
				"Time from the first byte of the request to the last byte of the response.", opts.TimeBuckets, DefaultTimeBuckets),
			responseDurationHistogram: histogram("nginx_ingress_controller_response_duration_seconds",
				"Time spent on receiving the response from the backend, over all attempts.", opts.TimeBuckets, DefaultTimeBuckets),
			requestSizeHistogram: histogram("nginx_ingress_controller_request_size",
				"Bytes of the request: request line, headers and body.", opts.LengthBuckets, DefaultLengthBuckets),
			responseSizeHistogram: histogram("nginx_ingress_controller_response_size",
				"Bytes sent to the client per response, headers included.", opts.LengthBuckets, DefaultLengthBuckets),
			bytesSentHistogram: histogram("nginx_ingress_controller_bytes_sent",
				"Bytes sent to the client per response, headers included (ingress-nginx's deprecated twin of response_size).", opts.SizeBuckets, DefaultSizeBuckets),
		},
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "archway_access_log_records_dropped_total", Help: "Request records nginx could not send to archway because the access log socket's queue was full; the request metrics miss them.",
			ConstLabels: constLabels,
		}),
	}
}

func (c *requestCollectors) collectors() []prometheus.Collector {
	return []prometheus.Collector{c, c.dropped}
}

// ObserveRequest records one served request.
func (m *Metrics) ObserveRequest(r Request) {
	c := m.requests
	s := requestSeries{model.Ref{Namespace: r.Namespace, Name: r.Ingress}, r.Service, r.Status, r.Method, r.Path, r.Canary, r.Host}
	if c.withoutHost {
		s.host = ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.data(s)
	d.requests++
	c.observe(d, durationHistogram, r.Duration)
	if r.ResponseTime >= 0 {
		c.observe(d, responseDurationHistogram, r.ResponseTime)
	}
	c.observe(d, requestSizeHistogram, r.RequestSize)
	c.observe(d, responseSizeHistogram, r.Size)
	c.observe(d, bytesSentHistogram, r.Size)
}

// data returns the counts of a series, made on its first request; c.mu is
// held.
func (c *requestCollectors) data(s requestSeries) *requestData {
	d := c.series[s]
	if d == nil {
		d = &requestData{}
		n := 0
		for _, h := range c.histograms {
			n += len(h.buckets) + 1
		}
		counts := make([]uint64, n) // one allocation for every histogram
		for i, h := range c.histograms {
			d.counts[i], counts = counts[:len(h.buckets)+1:len(h.buckets)+1], counts[len(h.buckets)+1:]
		}
		c.series[s] = d
	}
	return d
}

// observe adds v to histogram i of d as Prometheus does: into the first
// bucket whose upper bound is at least v.
func (c *requestCollectors) observe(d *requestData, i int, v float64) {
	d.counts[i][sort.SearchFloat64s(c.histograms[i].buckets, v)]++
	d.observed[i]++
	d.sums[i] += v
}

// Describe sends the descriptions of the request series.
func (c *requestCollectors) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.count
	for _, h := range c.histograms {
		ch <- h.desc
	}
}

// Collect sends every request series. It copies them under the lock and
// makes the metrics after, so that requests are not held up meanwhile.
func (c *requestCollectors) Collect(ch chan<- prometheus.Metric) {
	type copied struct {
		labels []string
		data   requestData
	}
	c.mu.Lock()
	all := make([]copied, 0, len(c.series))
	for s, d := range c.series {
		data := *d
		for i := range data.counts {
			data.counts[i] = slices.Clone(d.counts[i])
		}
		all = append(all, copied{c.values(s), data})
	}
	c.mu.Unlock()
	for _, s := range all {
		ch <- prometheus.MustNewConstMetric(c.count, prometheus.CounterValue, float64(s.data.requests), s.labels...)
		for i, h := range c.histograms {
			if s.data.observed[i] == 0 {
				continue // a series without a backend's answer has no response duration
			}
			cumulative := make(map[float64]uint64, len(h.buckets))
			var below uint64
			for k, bound := range h.buckets {
				below += s.data.counts[i][k]
				cumulative[bound] = below
			}
			ch <- prometheus.MustNewConstHistogram(h.desc, s.data.observed[i], s.data.sums[i], cumulative, s.labels...)
		}
	}
}

// values returns the label values of a series in the collectors' order.
func (c *requestCollectors) values(s requestSeries) []string {
	values := []string{s.ingress.Namespace, s.ingress.Name, s.service, s.status, s.method, s.path, s.canary, s.host}
	if c.withoutHost {
		values = values[:len(values)-1]
	}
	return values
}

// AccessLogRecordDropped counts one request record that nginx could not
// send.
func (m *Metrics) AccessLogRecordDropped() { m.requests.dropped.Inc() }

// forgetAllBut deletes the request series of every Ingress not in served.
// A request that was in flight when its Ingress went away brings a series
// back, until the next sync.
func (c *requestCollectors) forgetAllBut(served []model.Ref) {
	keep := make(map[model.Ref]bool, len(served))
	for _, ref := range served {
		keep[ref] = true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for s := range c.series {
		if s.ingress.Name != "" && !keep[s.ingress] { // requests no Ingress routed stay
			delete(c.series, s)
		}
	}
}
