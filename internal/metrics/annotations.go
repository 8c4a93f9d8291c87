package metrics

import "github.com/prometheus/client_golang/prometheus"

func newUnsupportedAnnotations(constLabels prometheus.Labels) *prometheus.GaugeVec {
	return prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name:        "archway_unsupported_annotations",
		Help:        "Ingresses of the last sync that use an annotation archway does not support, by its ingress-nginx name (unknown for names ingress-nginx does not have).",
		ConstLabels: constLabels,
	}, []string{"annotation"})
}

// UnsupportedAnnotations replaces the gauge with the counts of the last
// sync, by label (see annotations.MetricLabel): a label no Ingress uses
// any more loses its series.
func (m *Metrics) UnsupportedAnnotations(counts map[string]int) {
	m.unsupported.Reset()
	for label, n := range counts {
		m.unsupported.WithLabelValues(label).Set(float64(n))
	}
}

func newUnsupportedSettings(constLabels prometheus.Labels) *prometheus.GaugeVec {
	return prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name:        "archway_unsupported_settings",
		Help:        "Always 1: a key of the controller's ConfigMap that the last sync ignored (unknown, or refused), by key and reason.",
		ConstLabels: constLabels,
	}, []string{"key", "reason"})
}

// UnsupportedSettings replaces the gauge with the ConfigMap keys the last
// sync ignored and their reasons. The operator writes the ConfigMap, so
// its keys are few.
func (m *Metrics) UnsupportedSettings(reasons map[string]string) {
	m.unsupportedSettings.Reset()
	for key, why := range reasons {
		m.unsupportedSettings.WithLabelValues(key, why).Set(1)
	}
}
