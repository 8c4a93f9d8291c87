package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Certificate is one host's TLS certificate, for the expiry gauge.
type Certificate struct {
	Host      string
	Namespace string // of the Secret
	Secret    string
	NotAfter  time.Time
}

func newCertificateExpiry(constLabels prometheus.Labels) *prometheus.GaugeVec {
	return prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name:        "nginx_ingress_controller_ssl_expire_time_seconds",
		Help:        "Expiry time (Unix seconds) of the certificate served for each host.",
		ConstLabels: constLabels,
	}, []string{"host", "namespace", "secret_name"})
}

// CertificatesServed replaces the expiry gauge with the certificates of
// the live config.
func (m *Metrics) CertificatesServed(certs []Certificate) {
	m.certificateExpiry.Reset()
	for _, c := range certs {
		m.certificateExpiry.WithLabelValues(c.Host, c.Namespace, c.Secret).Set(float64(c.NotAfter.Unix()))
	}
}
