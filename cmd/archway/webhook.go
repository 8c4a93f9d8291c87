package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/archway-ingress/archway/internal/source"
	"github.com/archway-ingress/archway/internal/source/kube"
	"github.com/archway-ingress/archway/internal/webhook"
)

// webhookConfig is the admission webhook's part of the command line. The
// webhook runs in the controller (not as a command of its own) so that it
// judges with the controller's very flags and reads IngressClasses from
// its informer cache: what it admits is what the controller serves, with
// no second Deployment, RBAC or cache to keep in step.
type webhookConfig struct {
	address, certFile, keyFile string
}

func (c webhookConfig) validate(manifests string) error {
	switch {
	case c.address == "":
		return nil
	case c.certFile == "" || c.keyFile == "":
		return errors.New("--webhook-address needs --webhook-cert-file and --webhook-key-file")
	case manifests != "":
		return errors.New("--webhook-address needs a cluster, not --manifests")
	}
	return nil
}

// newWebhookServer returns the admission webhook's HTTPS server and its
// listener, or nils when --webhook-address is empty.
func newWebhookServer(cfg config, src source.Source, logger *slog.Logger) (*http.Server, net.Listener, error) {
	if cfg.webhook.address == "" {
		return nil, nil, nil
	}
	cluster, ok := src.(*kube.Source)
	if !ok {
		return nil, nil, errors.New("--webhook-address needs a cluster")
	}
	cert, err := webhook.NewCertificate(cfg.webhook.certFile, cfg.webhook.keyFile)
	if err != nil {
		return nil, nil, err
	}
	listener, err := net.Listen("tcp", cfg.webhook.address)
	if err != nil {
		return nil, nil, fmt.Errorf("--webhook-address: %w", err)
	}
	logger = logger.With("component", "webhook")
	return &http.Server{
		Handler:   webhook.New(webhook.Options{Build: cfg.build, IngressClass: cluster.IngressClass, ConfigMap: cluster.ConfigMap, Logger: logger}),
		TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: cert.GetCertificate},
		// The handler's own timeout bounds the review; these bound a
		// client that sends or reads slowly.
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       webhook.DefaultTimeout,
		WriteTimeout:      webhook.DefaultTimeout + 5*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		// Failed handshakes (a scanner, a stale CA) are not archway's errors.
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
	}, listener, nil
}
