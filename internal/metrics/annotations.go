package metrics

import "github.com/prometheus/client_golang/prometheus"

func newUnsupportedAnnotations(constLabels prometheus.Labels) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name:        "archway_unsupported_annotations_total",
		Help:        "Times an Ingress started using an annotation key, under the annotations prefix, that archway does not support, by key.",
		ConstLabels: constLabels,
	}, []string{"annotation"})
}

// UnsupportedAnnotation counts an Ingress that started using the
// unsupported annotation key (the controller calls it once per Ingress and
// key, when the problem first appears).
func (m *Metrics) UnsupportedAnnotation(key string) {
	m.unsupported.WithLabelValues(key).Inc()
}
