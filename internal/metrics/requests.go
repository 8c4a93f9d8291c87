package metrics

import (
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

type requestCollectors struct {
	withoutHost      bool
	count            *prometheus.CounterVec
	duration         *prometheus.HistogramVec
	responseDuration *prometheus.HistogramVec
	requestSize      *prometheus.HistogramVec
	responseSize     *prometheus.HistogramVec
	bytesSent        *prometheus.HistogramVec
	dropped          prometheus.Counter

	// series holds the label values of every request series of each
	// Ingress, so that an Ingress no longer served loses its series: else
	// every Ingress ever deleted would keep them per status, method, path
	// and host for the life of the process.
	mu     sync.Mutex
	series map[model.Ref]map[requestSeries]bool
}

// requestSeries is the label values of a request series besides its
// Ingress.
type requestSeries struct{ service, status, method, path, canary, host string }

func newRequestCollectors(constLabels prometheus.Labels, opts RequestOptions) *requestCollectors {
	// ingress-nginx's label names; the order is values'.
	labels := []string{"namespace", "ingress", "service", "status", "method", "path", "canary", "host"}
	if opts.WithoutHost {
		labels = labels[:len(labels)-1]
	}
	histogram := func(name, help string, buckets, def []float64) *prometheus.HistogramVec {
		if buckets == nil {
			buckets = def
		}
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, ConstLabels: constLabels, Buckets: buckets}, labels)
	}
	return &requestCollectors{
		withoutHost: opts.WithoutHost,
		series:      map[model.Ref]map[requestSeries]bool{},
		count: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nginx_ingress_controller_requests", Help: "Client requests served, by Ingress, status and method.",
			ConstLabels: constLabels,
		}, labels),
		duration: histogram("nginx_ingress_controller_request_duration_seconds",
			"Time from the first byte of the request to the last byte of the response.", opts.TimeBuckets, DefaultTimeBuckets),
		responseDuration: histogram("nginx_ingress_controller_response_duration_seconds",
			"Time spent on receiving the response from the backend, over all attempts.", opts.TimeBuckets, DefaultTimeBuckets),
		requestSize: histogram("nginx_ingress_controller_request_size",
			"Bytes of the request: request line, headers and body.", opts.LengthBuckets, DefaultLengthBuckets),
		responseSize: histogram("nginx_ingress_controller_response_size",
			"Bytes sent to the client per response, headers included.", opts.LengthBuckets, DefaultLengthBuckets),
		bytesSent: histogram("nginx_ingress_controller_bytes_sent",
			"Bytes sent to the client per response, headers included (ingress-nginx's deprecated twin of response_size).", opts.SizeBuckets, DefaultSizeBuckets),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "archway_access_log_records_dropped_total", Help: "Request records nginx could not send to archway because the access log socket's queue was full; the request metrics miss them.",
			ConstLabels: constLabels,
		}),
	}
}

func (c *requestCollectors) collectors() []prometheus.Collector {
	return []prometheus.Collector{c.count, c.duration, c.responseDuration, c.requestSize, c.responseSize, c.bytesSent, c.dropped}
}

// ObserveRequest records one served request.
func (m *Metrics) ObserveRequest(r Request) {
	c := m.requests
	s := requestSeries{r.Service, r.Status, r.Method, r.Path, r.Canary, r.Host}
	if r.Ingress != "" {
		c.remember(model.Ref{Namespace: r.Namespace, Name: r.Ingress}, s)
	}
	values := c.values(r.Namespace, r.Ingress, s)
	c.duration.WithLabelValues(values...).Observe(r.Duration)
	if r.ResponseTime >= 0 {
		c.responseDuration.WithLabelValues(values...).Observe(r.ResponseTime)
	}
	c.requestSize.WithLabelValues(values...).Observe(r.RequestSize)
	c.responseSize.WithLabelValues(values...).Observe(r.Size)
	c.bytesSent.WithLabelValues(values...).Observe(r.Size)
	// Last: a scrape that counts the request sees its histograms too.
	c.count.WithLabelValues(values...).Inc()
}

// values returns the label values of a series in the collectors' order.
func (c *requestCollectors) values(namespace, ingress string, s requestSeries) []string {
	values := []string{namespace, ingress, s.service, s.status, s.method, s.path, s.canary, s.host}
	if c.withoutHost {
		values = values[:len(values)-1]
	}
	return values
}

// AccessLogRecordDropped counts one request record that nginx could not
// send.
func (m *Metrics) AccessLogRecordDropped() { m.requests.dropped.Inc() }

func (c *requestCollectors) remember(ingress model.Ref, s requestSeries) {
	c.mu.Lock()
	defer c.mu.Unlock()
	series := c.series[ingress]
	if series == nil {
		series = map[requestSeries]bool{}
		c.series[ingress] = series
	}
	series[s] = true
}

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
	for ingress, series := range c.series {
		if keep[ingress] {
			continue
		}
		for s := range series {
			values := c.values(ingress.Namespace, ingress.Name, s)
			c.count.DeleteLabelValues(values...)
			for _, h := range []*prometheus.HistogramVec{c.duration, c.responseDuration, c.requestSize, c.responseSize, c.bytesSent} {
				h.DeleteLabelValues(values...)
			}
		}
		delete(c.series, ingress)
	}
}
