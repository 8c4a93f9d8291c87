package metrics

import "github.com/prometheus/client_golang/prometheus"

// Push outcomes, the values of archway_endpoint_pushes_total's outcome.
const (
	PushSuccess = "success"
	PushFailure = "failure"
)

func newEndpointPushes(constLabels prometheus.Labels) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name:        "archway_endpoint_pushes_total",
		Help:        "Pushes of the endpoints of every backend to nginx at runtime (no reload), by outcome.",
		ConstLabels: constLabels,
	}, []string{"outcome"})
}

// EndpointsPushed records one push of the endpoints to nginx; outcome is
// PushSuccess or PushFailure.
func (m *Metrics) EndpointsPushed(outcome string) {
	m.endpointPushes.WithLabelValues(outcome).Inc()
}
