package main

import (
	"cmp"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/status"
)

// config is every command-line setting.
type config struct {
	kubeconfig     string
	manifests      string
	watchNamespace string
	configMap      string
	gatewayAPI     bool
	build          builder.Options
	templateDir    string
	nginxBinary    string
	runtimeDir     string
	httpPort       int
	httpsPort      int
	metricsAddress string
	profiling      bool
	syncHoldOff    time.Duration
	syncMaxDelay   time.Duration
	logFormat      string
	logLevel       string

	kubeAPIQPS       float32
	kubeAPIBurst     int
	updateStatus     bool
	publishService   string
	publishAddresses []string
	publish          status.Publish // parsed from the two above by validate
	election         status.ElectionOptions
	webhook          webhookConfig
	metrics          metricsConfig
	gatewayService   gatewayServiceConfig
}

func newFlagSet(name string, cfg *config) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.StringVar(&cfg.kubeconfig, "kubeconfig", "", "Path to a kubeconfig; empty uses the in-cluster config. Ignored with --manifests.")
	fs.StringVar(&cfg.manifests, "manifests", "", "Serve the Kubernetes manifests (*.yaml, *.yml, *.json) in this folder instead of a cluster, and watch it for changes.")
	fs.StringVar(&cfg.watchNamespace, "watch-namespace", "", "Watch only this namespace (default: all).")
	fs.StringVar(&cfg.configMap, "configmap", "", "The controller's ConfigMap, as namespace/name. With --manifests, the ConfigMap of that name in the folder (default: the folder's last ConfigMap that lists no TCP or UDP services).")
	fs.StringVar(&cfg.build.IngressClass, "ingress-class", "archway", "Name of the IngressClass this instance serves.")
	fs.StringVar(&cfg.build.ControllerClass, "controller-class", "archway.dev/ingress-controller", "spec.controller value of the IngressClasses this instance serves.")
	fs.StringVar(&cfg.build.GatewayController, "gateway-controller-name", "archway.dev/gateway-controller", "spec.controllerName of the GatewayClasses whose Gateways and HTTPRoutes this instance serves.")
	fs.BoolVar(&cfg.gatewayAPI, "gateway-api", false, "Require the Gateway API CRDs: refuse to start without them. Without it, archway watches the Gateway API once its CRDs appear.")
	fs.BoolVar(&cfg.build.WatchWithoutClass, "watch-ingress-without-class", false, "Also serve Ingresses that name no class at all.")
	fs.StringVar(&cfg.build.AnnotationsPrefix, "annotations-prefix", "nginx.ingress.kubernetes.io", "Prefix of the annotations archway reads.")
	fs.StringVar(&cfg.build.DefaultBackendService, "default-backend-service", "", "Service (namespace/name) for requests no rule matches, when no Ingress sets spec.defaultBackend. Without either, they get 404.")
	fs.StringVar(&cfg.build.DefaultCertificate, "default-ssl-certificate", "", "TLS Secret (namespace/name) for HTTPS requests to hosts without a certificate of their own. Without it (or while it is unusable) archway serves a self-signed certificate it generates at start.")
	fs.IntVar(&cfg.build.Limits.PathsPerIngress, "max-paths-per-ingress", 1000, "Refuse, whole, an Ingress with more paths than this (0: no limit).")
	fs.IntVar(&cfg.build.Limits.PathsPerNamespace, "max-paths-per-namespace", 20000, "Refuse the newest Ingresses that would bring their namespace over this many paths (0: no limit).")
	fs.IntVar(&cfg.build.Limits.HostsPerNamespace, "max-hosts-per-namespace", 15000, "Refuse the newest Ingresses that would bring their namespace over this many hosts (0: no limit).")
	fs.StringVar(&cfg.templateDir, "template-dir", "", "Folder of nginx templates overriding the embedded ones.")
	fs.StringVar(&cfg.nginxBinary, "nginx-binary", "/usr/sbin/nginx", "The nginx executable archway runs.")
	fs.StringVar(&cfg.runtimeDir, "runtime-dir", filepath.Join(os.TempDir(), "archway"), "Folder for nginx.conf, certificates, sockets, the pid file and nginx's temp files.")
	fs.IntVar(&cfg.httpPort, "http-port", 80, "Port nginx serves HTTP on.")
	fs.IntVar(&cfg.httpsPort, "https-port", 443, "Port nginx serves HTTPS on.")
	fs.StringVar(&cfg.metricsAddress, "metrics-address", ":10254", "Address serving /healthz, /readyz and /metrics.")
	fs.BoolVar(&cfg.profiling, "profiling", false, "Also serve Go's profiles (/debug/pprof/) on --metrics-address, for memory and CPU investigations. They show the process's internals: keep that address private.")
	fs.DurationVar(&cfg.syncHoldOff, "sync-hold-off", 50*time.Millisecond, "Wait this long after the last change before syncing.")
	fs.DurationVar(&cfg.syncMaxDelay, "sync-max-delay", time.Second, "Sync at most this long after the first change of a burst.")
	fs.StringVar(&cfg.logFormat, "log-format", "text", "Log format: text or json.")
	fs.StringVar(&cfg.logLevel, "log-level", "info", "Log level: debug, info, warn or error.")

	fs.Float32Var(&cfg.kubeAPIQPS, "kube-api-qps", 50, "Requests per second archway may send to the Kubernetes API.")
	fs.IntVar(&cfg.kubeAPIBurst, "kube-api-burst", 100, "Requests archway may send to the Kubernetes API in a burst above --kube-api-qps.")
	fs.BoolVar(&cfg.updateStatus, "update-status", true, "Write the published addresses into the status of the Ingresses this instance serves (for ExternalDNS).")
	fs.StringVar(&cfg.publishService, "publish-service", "", "Service (namespace/name) whose load-balancer addresses, else external IPs, else cluster IP are written into Ingress status.")
	fs.StringSliceVar(&cfg.publishAddresses, "publish-status-address", nil, "Fixed addresses (IPs or DNS names, comma-separated) written into Ingress status, instead of --publish-service.")
	fs.StringVar(&cfg.election.Name, "election-id", "archway-leader", "Name of the Lease that elects the replica writing Ingress status and Events.")
	fs.StringVar(&cfg.election.Namespace, "election-namespace", cmp.Or(os.Getenv("POD_NAMESPACE"), "default"), "Namespace of the --election-id Lease; $POD_NAMESPACE when set.")
	fs.DurationVar(&cfg.election.LeaseDuration, "election-lease-duration", 15*time.Second, "How long a leader's Lease lasts without renewal; a replica that died is replaced after this.")
	fs.DurationVar(&cfg.election.RenewDeadline, "election-renew-deadline", 10*time.Second, "How long the leader keeps trying to renew its Lease before it gives up leadership.")
	fs.DurationVar(&cfg.election.RetryPeriod, "election-retry-period", 2*time.Second, "How often replicas try to acquire or renew the Lease.")
	fs.StringVar(&cfg.webhook.address, "webhook-address", "", "Serve the validating admission webhook for Ingresses of this class on this address over HTTPS (POST /validate); empty: no webhook. Needs a cluster and --webhook-cert-file and --webhook-key-file.")
	fs.StringVar(&cfg.webhook.certFile, "webhook-cert-file", "", "The webhook's serving certificate (PEM, with its chain); read again when it changes.")
	fs.StringVar(&cfg.webhook.keyFile, "webhook-key-file", "", "The webhook's private key (PEM).")
	addMetricsFlags(fs, &cfg.metrics)
	addStreamFlags(fs, &cfg.build)
	addGatewayServiceFlags(fs, &cfg.gatewayService)
	return fs
}

func (c *config) validate() error {
	if c.logFormat != "text" && c.logFormat != "json" {
		return fmt.Errorf("--log-format must be text or json, not %q", c.logFormat)
	}
	for name, port := range map[string]int{"--http-port": c.httpPort, "--https-port": c.httpsPort} {
		if port < 1 || port > 65535 {
			return fmt.Errorf("%s must be between 1 and 65535, not %d", name, port)
		}
	}
	if c.syncHoldOff <= 0 || c.syncMaxDelay < c.syncHoldOff {
		return fmt.Errorf("--sync-hold-off must be positive and at most --sync-max-delay")
	}
	if c.kubeAPIQPS <= 0 || c.kubeAPIBurst < 1 {
		return fmt.Errorf("--kube-api-qps and --kube-api-burst must be positive")
	}
	if l := c.build.Limits; l.PathsPerIngress < 0 || l.PathsPerNamespace < 0 || l.HostsPerNamespace < 0 {
		return fmt.Errorf("--max-paths-per-ingress, --max-paths-per-namespace and --max-hosts-per-namespace must not be negative")
	}
	if ns, name, ok := strings.Cut(c.build.DefaultCertificate, "/"); c.build.DefaultCertificate != "" && (!ok || ns == "" || name == "") {
		return fmt.Errorf("--default-ssl-certificate must be namespace/name, not %q", c.build.DefaultCertificate)
	}
	if err := c.validateStreams(); err != nil {
		return err
	}
	if err := c.gatewayService.validate(&c.build); err != nil {
		return err
	}
	if err := c.webhook.validate(c.manifests); err != nil {
		return err
	}
	if _, err := c.metrics.requestOptions(); err != nil {
		return err
	}
	publish, err := status.ParsePublish(c.publishService, c.publishAddresses)
	if err != nil {
		return err
	}
	c.publish = publish
	abs, err := filepath.Abs(c.runtimeDir)
	if err != nil {
		return fmt.Errorf("--runtime-dir: %w", err)
	}
	c.runtimeDir = abs
	// The folder's manifests are the operator's own, and the demo's
	// backends listen on loopback; a cluster's EndpointSlices are tenants'.
	c.build.LoopbackEndpoints = c.manifests != ""
	if c.manifests != "" {
		// A cluster source watches the named ConfigMap alone; a folder
		// holds every ConfigMap, and build picks the named one.
		c.build.ConfigMap = c.configMap
	}
	return nil
}

func (c *config) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}
