package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/archway-ingress/archway/internal/model"
)

// The actions of archway_waf_requests_total.
const (
	WAFBlocked  = "blocked"  // ModSecurity On refused the request
	WAFDetected = "detected" // rules matched and the request went on (DetectionOnly, or below the threshold)
)

// wafRequests counts the requests ModSecurity's audit log reports, and
// remembers their Ingresses so that those no longer served lose their
// series (as the request series do).
type wafRequests struct {
	count *prometheus.CounterVec
	mu    sync.Mutex
	seen  map[model.Ref]bool
}

func newWAFRequests(constLabels prometheus.Labels) *wafRequests {
	return &wafRequests{seen: map[model.Ref]bool{}, count: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "archway_waf_requests_total", Help: "Requests on which ModSecurity rules matched, by Ingress and action (blocked or detected), from its audit log.",
		ConstLabels: constLabels,
	}, []string{"namespace", "ingress", "action"})}
}

// ObserveWAF counts one request on which ModSecurity rules matched. The
// Ingress's names must be checked Kubernetes names, and action WAFBlocked
// or WAFDetected, so that the labels stay bounded.
func (m *Metrics) ObserveWAF(ingress model.Ref, action string) {
	w := m.waf
	w.mu.Lock()
	w.seen[ingress] = true
	w.mu.Unlock()
	w.count.WithLabelValues(ingress.Namespace, ingress.Name, action).Inc()
}

// forgetAllBut deletes the series of every Ingress not in served.
func (w *wafRequests) forgetAllBut(served []model.Ref) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.seen) == 0 {
		return
	}
	keep := make(map[model.Ref]bool, len(served))
	for _, ref := range served {
		keep[ref] = true
	}
	for ref := range w.seen {
		if !keep[ref] {
			w.count.DeletePartialMatch(prometheus.Labels{"namespace": ref.Namespace, "ingress": ref.Name})
			delete(w.seen, ref)
		}
	}
}
