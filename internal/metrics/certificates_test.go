package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
)

func TestCertificatesServed(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg, testLabels)
	const name = "nginx_ingress_controller_ssl_expire_time_seconds"
	expiry := time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
	m.CertificatesServed([]Certificate{
		{Host: "a.example.com", Namespace: "web", Secret: "wild", NotAfter: expiry},
		{Host: "*.example.com", Namespace: "web", Secret: "wild", NotAfter: expiry},
	})
	require.Equal(t, map[string]sample{
		name + `{host="*.example.com",namespace="web",secret_name="wild"}`: {Value: float64(expiry.Unix())},
		name + `{host="a.example.com",namespace="web",secret_name="wild"}`: {Value: float64(expiry.Unix())},
	}, gather(t, reg, name))

	// A rotated certificate replaces the old series; a host gone is gone.
	rotated := expiry.AddDate(0, 3, 0)
	m.CertificatesServed([]Certificate{{Host: "a.example.com", Namespace: "web", Secret: "wild", NotAfter: rotated}})
	require.Equal(t, map[string]sample{
		name + `{host="a.example.com",namespace="web",secret_name="wild"}`: {Value: float64(rotated.Unix())},
	}, gather(t, reg, name))
}
