package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	gatewayclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/archway-ingress/archway/internal/accesslog"
	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/controller"
	"github.com/archway-ingress/archway/internal/metrics"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/nginx"
	"github.com/archway-ingress/archway/internal/render"
	"github.com/archway-ingress/archway/internal/source"
	"github.com/archway-ingress/archway/internal/source/dir"
	"github.com/archway-ingress/archway/internal/source/kube"
	"github.com/archway-ingress/archway/internal/status"
)

// clients are the cluster's API clients.
type clients struct {
	kube    kubernetes.Interface
	gateway gatewayclient.Interface
}

// newSource returns the folder source for --manifests, else the cluster
// source and its clients.
func newSource(cfg config, logger *slog.Logger) (source.Source, *clients, error) {
	if cfg.manifests != "" {
		return dir.New(cfg.manifests, logger.With("source", "dir")), nil, nil
	}
	restConfig, err := clientcmd.BuildConfigFromFlags("", cfg.kubeconfig)
	if err != nil {
		return nil, nil, fmt.Errorf("kubernetes client config: %w", err)
	}
	restConfig.QPS, restConfig.Burst = cfg.kubeAPIQPS, cfg.kubeAPIBurst
	client, err := kubernetes.NewForConfig(restConfig)
	if err != nil {
		return nil, nil, fmt.Errorf("kubernetes client: %w", err)
	}
	gateway, err := gatewayclient.NewForConfig(restConfig)
	if err != nil {
		return nil, nil, fmt.Errorf("gateway API client: %w", err)
	}
	return kube.New(client, kube.Options{
		Namespace: cfg.watchNamespace,
		ConfigMap: cfg.configMap,
		Others:    cfg.streamConfigMaps(),
		Gateway:   &kube.GatewayOptions{Client: gateway, Require: cfg.gatewayAPI},
		ConfigMapRefs: func(snap source.Snapshot) []string {
			return builder.ConfigMapRefs(snap, cfg.build)
		},
		Logger: logger.With("source", "kube"),
	}), &clients{kube: client, gateway: gateway}, nil
}

// newPublisher returns the cluster-facing side: leader election, Ingress
// status and Events.
func newPublisher(cfg config, client *clients, logger *slog.Logger) (*status.Publisher, error) {
	election := cfg.election
	identity, err := status.Identity(os.Getenv("POD_NAME"))
	if err != nil {
		return nil, err
	}
	election.Identity = identity
	return status.New(status.Options{
		Client:       client.kube,
		UpdateStatus: cfg.updateStatus,
		Publish:      cfg.publish,
		Gateway:      status.GatewayOptions{Client: client.gateway, Controller: cfg.build.GatewayController, Services: cfg.gatewayService.services(client.kube)},
		Election:     election,
		Logger:       logger.With("component", "status"),
	})
}

func (c *config) renderOptions() render.Options {
	opts := render.Options{HTTPPort: c.httpPort, HTTPSPort: c.httpsPort, RuntimeDir: c.runtimeDir}
	opts.User, opts.Group = nginx.WorkerUser()
	opts.Resolvers = systemResolvers(resolvConf)
	opts.NoIPv6 = !canListenIPv6()
	return opts
}

// canListenIPv6 says whether this host can open an IPv6 socket: a kernel
// booted with IPv6 off refuses them, and nginx would then refuse to start
// on its [::] listeners.
func canListenIPv6() bool {
	l, err := net.Listen("tcp6", "[::]:0")
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}

// renderOnce prints the nginx.conf that archway would apply and the report
// of rejected objects, without starting nginx. The files nginx.conf names
// (certificates, Lua modules) are written under the runtime dir, so that
// `nginx -t -p DIR` can check what was printed.
func renderOnce(ctx context.Context, cfg config, logger *slog.Logger, stdout, stderr io.Writer) error {
	renderer, err := render.New(cfg.templateDir)
	if err != nil {
		return err
	}
	snap, err := snapshotOnce(ctx, cfg, logger)
	if err != nil {
		return err
	}
	model, report := builder.Build(snap, cfg.build)
	out, err := renderer.Render(model, cfg.renderOptions())
	if err != nil {
		return err
	}
	for _, f := range out.Files {
		if f.Name == render.ConfigFile {
			if _, err := stdout.Write(f.Data); err != nil {
				return err
			}
			continue
		}
		path := filepath.Join(cfg.runtimeDir, f.Name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, f.Data, f.Mode); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "# version %s: %d servers, %d backends, %d Ingresses served, %d problems\n",
		out.Version, len(model.Servers), len(model.Backends), len(report.Served), len(report.Problems))
	for _, p := range report.Problems {
		fmt.Fprintln(stderr, "# rejected:", p)
	}
	return nil
}

// runController serves until ctx ends; nginx's access log goes to stdout
// or stderr, as the ConfigMap says.
func runController(ctx context.Context, cfg config, logger *slog.Logger, stdout, stderr io.Writer) error {
	src, client, err := newSource(cfg, logger)
	if err != nil {
		return err
	}
	// Without a cluster (--manifests) there is no status, Lease or Event.
	var publisher *status.Publisher
	var observers []controller.Observer
	if client != nil {
		if publisher, err = newPublisher(cfg, client, logger); err != nil {
			return err
		}
		observers = append(observers, publisher)
	}
	renderer, err := render.New(cfg.templateDir)
	if err != nil {
		return err
	}
	// Before anything writes into it: a second archway is refused here,
	// before it replaces the first one's sockets.
	runtimeDir, err := nginx.OpenRuntimeDir(cfg.runtimeDir)
	if err != nil {
		return err
	}
	defer runtimeDir.Close()
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := newMetrics(cfg, registry, publisher)
	spans := newSpanExporter(logger)
	accessLog, err := listenAccessLog(cfg, m, spans, logger)
	if err != nil {
		return err
	}
	manager := nginx.New(nginx.Options{
		Binary:        cfg.nginxBinary,
		RuntimeDir:    cfg.runtimeDir,
		Logger:        logger,
		DroppedRecord: m.AccessLogRecordDropped,
		Stdout:        stdout,
		Stderr:        stderr,
		Audit:         (&accesslog.Audit{W: stdout, Metrics: m}).Take,
	})
	metrics.RegisterNginxProcess(registry, metricLabels(cfg), manager.PID)
	ctrl := controller.New(src, renderer, manager, controller.Options{
		Build:      cfg.build,
		Render:     cfg.renderOptions(),
		HoldOff:    cfg.syncHoldOff,
		MaxDelay:   cfg.syncMaxDelay,
		RetryDelay: time.Second,
		Logger:     logger.With("component", "controller"),
		Metrics:    m,
		Observers:  observers,
		Settings:   func(s model.Settings) { spans.Configure(s.Tracing) },
	})

	webhookServer, webhookListener, err := newWebhookServer(cfg, src, logger)
	if err != nil {
		return err
	}
	listener, err := net.Listen("tcp", cfg.metricsAddress)
	if err != nil {
		return fmt.Errorf("--metrics-address: %w", err)
	}
	// Ready once a config is live, and only while nginx serves it: not
	// while nginx is down and being restarted.
	ready := func() bool { return ctrl.Ready() && manager.Ready() }
	server := &http.Server{Handler: healthMux(m.Handler(registry), ready, ctrl.ReleaseIfIdle, cfg.profiling), ReadHeaderTimeout: 10 * time.Second}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The access log outlives nginx, which logs requests until it drained.
	logCtx, stopLog := context.WithCancel(context.WithoutCancel(ctx))
	defer stopLog()
	results := make(chan error, 6)
	parts := 0
	start := func(part func() error) {
		parts++
		go func() { results <- part() }()
	}
	start(func() error { err := manager.Run(ctx); stopLog(); return err })
	start(func() error { err := accessLog.Run(logCtx); return errors.Join(err, spans.Shutdown()) })
	start(func() error { return untilShutdown(server.Serve(listener)) })
	if webhookServer != nil {
		start(func() error { return untilShutdown(webhookServer.ServeTLS(webhookListener, "", "")) })
	}
	start(func() error { return ctrl.Run(ctx) })
	start(func() error { resyncOnHangup(ctx, manager, logger); return nil })
	if publisher != nil {
		start(func() error { publisher.Run(ctx); return nil })
	}
	logger.Info("archway started", "version", version, "class", cfg.build.IngressClass,
		"http_port", cfg.httpPort, "metrics", listener.Addr().String(), "runtime_dir", cfg.runtimeDir)

	// The first part to stop (a signal ends ctx, or a part fails) stops
	// the others; nginx is drained gracefully before the process exits.
	errs := []error{<-results}
	cancel()
	shutdown, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	errs = append(errs, server.Shutdown(shutdown))
	if webhookServer != nil {
		errs = append(errs, webhookServer.Shutdown(shutdown))
	}
	for range parts - 1 {
		errs = append(errs, <-results)
	}
	logger.Info("archway stopped")
	return errors.Join(errs...)
}

// untilShutdown is the error of a server's Serve, where Shutdown's is none.
func untilShutdown(err error) error {
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// resyncOnHangup answers every SIGHUP until ctx ends by writing the live
// config and its files again and having nginx reload them gracefully: what
// an operator who sends it expects (nginx's own meaning), and a repair
// after something removed files from the runtime dir.
func resyncOnHangup(ctx context.Context, manager *nginx.Manager, logger *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hangups:
			logger.Info("SIGHUP: resyncing nginx with the live config")
			if err := manager.Resync(ctx); err != nil {
				logger.Error("resync on SIGHUP failed", "err", err)
				continue
			}
			logger.Info("resync on SIGHUP done")
		}
	}
}

// healthMux serves the metrics, liveness and readiness, and Go's profiles
// when profiling; release is called after each scrape.
func healthMux(metrics http.Handler, ready func() bool, release func(), profiling bool) *http.ServeMux {
	mux := http.NewServeMux()
	if profiling {
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		metrics.ServeHTTP(w, r)
		// A scrape copies every request series: at 10,000 Ingresses with
		// traffic, megabytes of garbage. Give it back now if the sync loop
		// is idle; within a burst of syncs, a release would cost the next
		// sync its warm pages.
		release()
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready() {
			http.Error(w, "nginx serves no live config", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	})
	return mux
}
