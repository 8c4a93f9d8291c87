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
	Duration  float64 // seconds, nginx's $request_time
	Size      float64 // bytes sent to the client, nginx's $bytes_sent
}

type requestCollectors struct {
	count    *prometheus.CounterVec
	duration *prometheus.HistogramVec
	size     *prometheus.HistogramVec
	dropped  prometheus.Counter

	// series holds the label values of every request series of each
	// Ingress, so that an Ingress no longer served loses its series: else
	// every Ingress ever deleted would keep three of them per status,
	// method and host for the life of the process.
	mu     sync.Mutex
	series map[model.Ref]map[requestSeries]bool
}

// requestSeries is the label values of a request series besides its
// Ingress.
type requestSeries struct{ service, status, method, host string }

func newRequestCollectors(constLabels prometheus.Labels) *requestCollectors {
	// ingress-nginx's label names, without path (unbounded) and canary. The
	// order is ObserveRequest's.
	requestLabels := []string{"namespace", "ingress", "service", "status", "method", "host"}
	return &requestCollectors{
		series: map[model.Ref]map[requestSeries]bool{},
		count: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nginx_ingress_controller_requests", Help: "Client requests served, by Ingress, status and method.",
			ConstLabels: constLabels,
		}, requestLabels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "nginx_ingress_controller_request_duration_seconds", Help: "Time from the first byte of the request to the last byte of the response.",
			ConstLabels: constLabels, Buckets: prometheus.DefBuckets,
		}, requestLabels),
		size: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "nginx_ingress_controller_response_size", Help: "Bytes sent to the client per response, headers included.",
			ConstLabels: constLabels, Buckets: prometheus.ExponentialBuckets(100, 10, 7),
		}, requestLabels),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "archway_access_log_records_dropped_total", Help: "Request records nginx could not send to archway because the access log socket's queue was full; the request metrics miss them.",
			ConstLabels: constLabels,
		}),
	}
}

// ObserveRequest records one served request.
func (m *Metrics) ObserveRequest(r Request) {
	c := m.requests
	if r.Ingress != "" {
		c.remember(model.Ref{Namespace: r.Namespace, Name: r.Ingress}, requestSeries{r.Service, r.Status, r.Method, r.Host})
	}
	values := []string{r.Namespace, r.Ingress, r.Service, r.Status, r.Method, r.Host}
	c.count.WithLabelValues(values...).Inc()
	c.duration.WithLabelValues(values...).Observe(r.Duration)
	c.size.WithLabelValues(values...).Observe(r.Size)
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
			values := []string{ingress.Namespace, ingress.Name, s.service, s.status, s.method, s.host}
			c.count.DeleteLabelValues(values...)
			c.duration.DeleteLabelValues(values...)
			c.size.DeleteLabelValues(values...)
		}
		delete(c.series, ingress)
	}
}
