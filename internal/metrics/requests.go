package metrics

import "github.com/prometheus/client_golang/prometheus"

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
}

func newRequestCollectors(constLabels prometheus.Labels) requestCollectors {
	// ingress-nginx's label names, without path (unbounded) and canary. The
	// order is ObserveRequest's.
	requestLabels := []string{"namespace", "ingress", "service", "status", "method", "host"}
	return requestCollectors{
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
	}
}

// ObserveRequest records one served request.
func (m *Metrics) ObserveRequest(r Request) {
	values := []string{r.Namespace, r.Ingress, r.Service, r.Status, r.Method, r.Host}
	m.requests.count.WithLabelValues(values...).Inc()
	m.requests.duration.WithLabelValues(values...).Observe(r.Duration)
	m.requests.size.WithLabelValues(values...).Observe(r.Size)
}
