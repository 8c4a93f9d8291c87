package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/archway-ingress/archway/internal/model"
)

// Labels are the constant labels of every ingress-nginx compatible metric.
type Labels struct {
	Namespace string // controller_namespace
	Class     string // controller_class
	Pod       string // controller_pod
	// Version is archway's version, the version label of archway_build_info.
	Version string
	// Requests shape the request metrics' labels and buckets.
	Requests RequestOptions
}

// constLabels are the labels every ingress-nginx compatible metric carries.
func (l Labels) constLabels() prometheus.Labels {
	return prometheus.Labels{
		"controller_namespace": l.Namespace,
		"controller_class":     l.Class,
		"controller_pod":       l.Pod,
	}
}

// Metrics holds archway's collectors.
type Metrics struct {
	reloadSuccessful     prometheus.Gauge
	reloadSuccessfulTime prometheus.Gauge
	configHash           prometheus.Gauge
	reloads              prometheus.Counter
	reloadErrors         prometheus.Counter
	reloadDuration       prometheus.Histogram
	reloadReasons        *prometheus.CounterVec
	syncDuration         prometheus.Histogram
	syncPhases           *prometheus.HistogramVec
	rejected             *prometheus.GaugeVec
	ingresses            prometheus.Gauge
	endpointPushes       *prometheus.CounterVec
	requests             *requestCollectors
	unsupported          *prometheus.GaugeVec
	unsupportedSettings  *prometheus.GaugeVec
	certificateExpiry    *prometheus.GaugeVec
	waf                  *wafRequests
	streams              *streamCollectors
}

// New creates the collectors and registers them on reg.
func New(reg prometheus.Registerer, l Labels) *Metrics {
	constLabels := l.constLabels()
	gauge := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: constLabels})
	}
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: constLabels})
	}
	m := &Metrics{
		reloadSuccessful:     gauge("nginx_ingress_controller_config_last_reload_successful", "Whether the last configuration reload attempt was successful (1) or not (0)."),
		reloadSuccessfulTime: gauge("nginx_ingress_controller_config_last_reload_successful_timestamp_seconds", "Timestamp of the last successful configuration reload."),
		configHash:           gauge("nginx_ingress_controller_config_hash", "Hash of the running configuration."),
		reloads:              counter("nginx_ingress_controller_success", "Cumulative number of successful configuration reloads."),
		reloadErrors:         counter("nginx_ingress_controller_errors", "Cumulative number of failed configuration reloads."),
		reloadDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "archway_reload_duration_seconds", Help: "Time to test, swap, reload and verify one nginx configuration.",
			ConstLabels: constLabels, Buckets: prometheus.ExponentialBuckets(0.01, 2, 12),
		}),
		reloadReasons: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "archway_reloads_total", Help: "nginx reloads by the kind of object whose change caused them and by outcome.",
			ConstLabels: constLabels,
		}, []string{"reason", "outcome"}),
		syncDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "archway_sync_duration_seconds", Help: "Time of one sync: snapshot, build, render and apply.",
			ConstLabels: constLabels, Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}),
		syncPhases: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "archway_sync_phase_seconds", Help: "Time of each phase of the syncs: snapshot, build, render, write, reload and push.",
			ConstLabels: constLabels, Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}, []string{"phase"}),
		rejected: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "archway_rejected_objects", Help: "Objects or parts of objects rejected by the last sync, by kind and reason.",
			ConstLabels: constLabels,
		}, []string{"kind", "reason"}),
		ingresses:           gauge("archway_ingresses_served", "Ingresses of this instance's class that the last sync served."),
		endpointPushes:      newEndpointPushes(constLabels),
		requests:            newRequestCollectors(constLabels, l.Requests),
		waf:                 newWAFRequests(constLabels),
		streams:             newStreamCollectors(constLabels),
		unsupported:         newUnsupportedAnnotations(constLabels),
		unsupportedSettings: newUnsupportedSettings(constLabels),
		certificateExpiry:   newCertificateExpiry(constLabels),
	}
	buildInfo := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "archway_build_info", Help: "Always 1; the version label is archway's version.",
		ConstLabels: constLabels,
	}, []string{"version"})
	buildInfo.WithLabelValues(l.Version).Set(1)
	reg.MustRegister(m.reloadSuccessful, m.reloadSuccessfulTime, m.configHash, m.reloads, m.reloadErrors,
		m.reloadDuration, m.reloadReasons, m.syncDuration, m.syncPhases, m.rejected, m.ingresses, m.endpointPushes, buildInfo,
		m.unsupported, m.unsupportedSettings, m.certificateExpiry, m.waf.count)
	reg.MustRegister(m.requests.collectors()...)
	reg.MustRegister(m.streams.collectors()...)
	return m
}

// ReloadSucceeded records a successful reload of the config with the given
// version (a hex string; its first 13 digits become the hash gauge, which a
// float64 holds exactly).
func (m *Metrics) ReloadSucceeded(reason, version string, took time.Duration, at time.Time) {
	m.reloads.Inc()
	m.reloadSuccessfulTime.Set(float64(at.Unix()))
	m.reloadDuration.Observe(took.Seconds())
	m.reloadReasons.WithLabelValues(reason, "success").Inc()
	if len(version) > 13 {
		version = version[:13]
	}
	if hash, err := strconv.ParseUint(version, 16, 64); err == nil {
		m.configHash.Set(float64(hash))
	}
}

// WholeConfigLive records, after each sync that made a config live,
// whether it was the whole config the cluster asks for (1), or one with
// objects that nginx refused held back (0).
func (m *Metrics) WholeConfigLive(whole bool) {
	if whole {
		m.reloadSuccessful.Set(1)
	} else {
		m.reloadSuccessful.Set(0)
	}
}

// ReloadFailed records a failed reload; nginx keeps its previous config.
func (m *Metrics) ReloadFailed(reason string, took time.Duration) {
	m.reloadErrors.Inc()
	m.reloadSuccessful.Set(0)
	m.reloadDuration.Observe(took.Seconds())
	m.reloadReasons.WithLabelValues(reason, "failure").Inc()
}

// Phases of a sync, the phase label of archway_sync_phase_seconds.
const (
	PhaseSnapshot = "snapshot" // reading the informers' caches
	PhaseBuild    = "build"    // Build, or the update of the live model when only endpoints or certificates changed
	PhaseRender   = "render"   // Render
	PhaseWrite    = "write"    // writing the files, and merging new endpoints into nginx before the reload
	PhaseReload   = "reload"   // from the SIGHUP, or nginx's start, to nginx serving the new config
	PhasePush     = "push"     // pushing the endpoints after the reload, or without one
)

// SyncPhase records the time one phase of a sync took.
func (m *Metrics) SyncPhase(phase string, took time.Duration) {
	m.syncPhases.WithLabelValues(phase).Observe(took.Seconds())
}

// Synced records one sync's duration, its rejected objects counted by kind
// and reason, and the Ingresses served; the request series of all others
// go.
func (m *Metrics) Synced(took time.Duration, rejected map[[2]string]int, served []model.Ref) {
	m.syncDuration.Observe(took.Seconds())
	m.rejected.Reset()
	for key, n := range rejected {
		m.rejected.WithLabelValues(key[0], key[1]).Set(float64(n))
	}
	m.ingresses.Set(float64(len(served)))
	m.requests.forgetAllBut(served)
	m.waf.forgetAllBut(served)
}
