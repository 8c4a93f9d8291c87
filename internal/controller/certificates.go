package controller

import (
	"github.com/archway-ingress/archway/internal/metrics"
	"github.com/archway-ingress/archway/internal/model"
)

// servedCertificates lists the hosts served with a certificate of their
// own, for the expiry metric; alerts on it catch a certificate that its
// issuer stopped renewing.
func servedCertificates(cfg model.Config) []metrics.Certificate {
	var certs []metrics.Certificate
	for _, s := range cfg.Servers {
		if c := s.Certificate; c != nil {
			certs = append(certs, metrics.Certificate{Host: s.Host, Namespace: c.Secret.Namespace, Secret: c.Secret.Name, NotAfter: c.NotAfter})
		}
	}
	return certs
}
