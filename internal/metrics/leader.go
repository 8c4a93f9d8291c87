package metrics

import "github.com/prometheus/client_golang/prometheus"

// RegisterLeader registers archway_leader, which asks isLeader at every
// scrape whether this replica holds the leader Lease.
func RegisterLeader(reg prometheus.Registerer, l Labels, isLeader func() bool) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "archway_leader",
		Help:        "1 while this replica holds the leader Lease and writes Ingress status and Events, else 0.",
		ConstLabels: l.constLabels(),
	}, func() float64 {
		if isLeader() {
			return 1
		}
		return 0
	}))
}
