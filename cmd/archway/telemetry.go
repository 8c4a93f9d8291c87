package main

import (
	"log/slog"
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel"

	"github.com/archway-ingress/archway/internal/accesslog"
	"github.com/archway-ingress/archway/internal/metrics"
	"github.com/archway-ingress/archway/internal/render"
	"github.com/archway-ingress/archway/internal/status"
	"github.com/archway-ingress/archway/internal/tracing"
)

// metricLabels are the constant labels and the request metrics' shape.
func metricLabels(cfg config) metrics.Labels {
	labels := metrics.Labels{
		Namespace: os.Getenv("POD_NAMESPACE"),
		Class:     cfg.build.IngressClass,
		Pod:       os.Getenv("POD_NAME"),
		Version:   version,
	}
	// validate checked the buckets.
	labels.Requests, _ = cfg.metrics.requestOptions()
	return labels
}

// newMetrics registers archway's collectors on registry: the controller's,
// nginx's stub_status counters, and leadership.
func newMetrics(cfg config, registry prometheus.Registerer, publisher *status.Publisher) *metrics.Metrics {
	labels := metricLabels(cfg)
	m := metrics.New(registry, labels)
	metrics.RegisterNginxStatus(registry, metrics.NginxStatusOptions{
		Labels: labels,
		Socket: filepath.Join(cfg.runtimeDir, render.StatusSocket),
		Path:   render.StubStatusPath,
	})
	// Without a cluster there is no Lease: archway_leader stays 0.
	isLeader := func() bool { return false }
	if publisher != nil {
		isLeader = publisher.IsLeader
	}
	metrics.RegisterLeader(registry, labels, isLeader)
	return m
}

// listenAccessLog opens the socket nginx's workers send a record per
// request to; the records become m's request metrics and spans's spans.
func listenAccessLog(cfg config, m *metrics.Metrics, spans *tracing.Exporter, logger *slog.Logger) (*accesslog.Listener, error) {
	return accesslog.Listen(accesslog.Options{
		Socket:     filepath.Join(cfg.runtimeDir, render.AccessLogSocket),
		WorkerUser: cfg.renderOptions().User,
		Recorder:   m,
		Spans:      spans,
		Logger:     logger.With("component", "accesslog"),
	})
}

// newSpanExporter returns the exporter of the requests' spans, which
// follows the ConfigMap's tracing settings once a config is live. The
// SDK's errors (a collector that cannot be reached) become log lines.
func newSpanExporter(logger *slog.Logger) *tracing.Exporter {
	logger = logger.With("component", "tracing")
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { logger.Warn("span export failed", "err", err) }))
	return &tracing.Exporter{Logger: logger}
}
