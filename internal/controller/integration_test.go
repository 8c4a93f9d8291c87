package controller

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/metrics"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/nginx"
	"github.com/archway-ingress/archway/internal/render"
	"github.com/archway-ingress/archway/internal/source/kube"
	"github.com/archway-ingress/archway/internal/testutil"
	nginxprocs "github.com/archway-ingress/archway/test/harness"
)

// cluster is the controller wired as in production (kube source, real
// renderer, real nginx), over the fake clientset.
type cluster struct {
	t        *testing.T
	client   *fake.Clientset
	port     int
	registry *prometheus.Registry
	// httpsPort serves fallback, the default certificate; dir is the
	// runtime dir.
	httpsPort int
	fallback  testutil.Cert
	dir       string
}

func startCluster(t *testing.T) *cluster { return startClusterWith(t, "") }

// nginxWait bounds each wait for the cluster's real nginx to take a
// change: a reload runs in well under a second, but `make test` runs many
// packages at once on two CPUs, and a wait that passes returns as soon as
// it does.
const nginxWait = 30 * time.Second

// startClusterWith starts the cluster with nginx templates from
// templateDir ("" for the embedded ones) and observers of every sync.
func startClusterWith(t *testing.T, templateDir string, observers ...Observer) *cluster {
	c := &cluster{t: t, client: fake.NewClientset(), port: testutil.FreePort(t), registry: prometheus.NewRegistry(),
		httpsPort: testutil.FreePort(t), fallback: testutil.NewCert(t, testutil.CertOptions{}), dir: testutil.RuntimeDir(t)}
	c.create(&networkingv1.IngressClass{
		ObjectMeta: metav1.ObjectMeta{Name: "archway"},
		Spec:       networkingv1.IngressClassSpec{Controller: "archway.dev/ingress-controller"},
	})
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	manager := nginx.New(nginx.Options{Binary: testutil.NginxBinary(t), RuntimeDir: c.dir, Logger: logger})
	renderer, err := render.New(templateDir)
	require.NoError(t, err)
	renderOpts := render.Options{HTTPPort: c.port, HTTPSPort: c.httpsPort, RuntimeDir: c.dir}
	renderOpts.User, renderOpts.Group = nginx.WorkerUser()
	ctrl := New(kube.New(c.client, kube.Options{Logger: logger}), renderer, manager, Options{
		Build: builder.Options{IngressClass: "archway", ControllerClass: "archway.dev/ingress-controller",
			FallbackCertificate: &model.Certificate{Chain: c.fallback.CertPEM, Key: c.fallback.KeyPEM, NotAfter: c.fallback.Leaf.NotAfter},
			Certificates:        builder.NewCertificateCache(),
			// The test's backends listen on loopback.
			LoopbackEndpoints: true},
		Render:     renderOpts,
		HoldOff:    100 * time.Millisecond,
		MaxDelay:   500 * time.Millisecond,
		RetryDelay: 100 * time.Millisecond,
		Logger:     logger,
		Metrics:    metrics.New(c.registry, metrics.Labels{Class: "archway"}),
		Observers:  observers,
	})
	ctx, cancel := context.WithCancel(context.Background())
	managerDone, ctrlDone := make(chan error, 1), make(chan error, 1)
	go func() { managerDone <- manager.Run(ctx) }()
	go func() { ctrlDone <- ctrl.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-ctrlDone)
		require.NoError(t, <-managerDone)
	})
	require.Eventually(t, ctrl.Ready, nginxWait, 10*time.Millisecond)
	return c
}

func (c *cluster) create(obj any) {
	c.t.Helper()
	ctx := context.Background()
	var err error
	switch o := obj.(type) {
	case *networkingv1.IngressClass:
		_, err = c.client.NetworkingV1().IngressClasses().Create(ctx, o, metav1.CreateOptions{})
	case *networkingv1.Ingress:
		_, err = c.client.NetworkingV1().Ingresses(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *corev1.Service:
		_, err = c.client.CoreV1().Services(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *discoveryv1.EndpointSlice:
		_, err = c.client.DiscoveryV1().EndpointSlices(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *corev1.Secret:
		_, err = c.client.CoreV1().Secrets(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	default:
		c.t.Fatalf("cannot create %T", obj)
	}
	require.NoError(c.t, err)
}

// backend starts an HTTP server on loopback that answers its name, and
// returns its port.
func backend(t *testing.T, name string) int32 {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, name)
	}))
	t.Cleanup(server.Close)
	return int32(server.Listener.Addr().(*net.TCPAddr).Port)
}

func service(name string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{
			Name: "http", Port: 80, TargetPort: intstr.FromString("http"),
		}}},
	}
}

func endpointSlice(serviceName string, port int32) *discoveryv1.EndpointSlice {
	ready := true
	name := "http"
	return &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: serviceName + "-1",
			Labels: map[string]string{discoveryv1.LabelServiceName: serviceName}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: &name, Port: &port}},
		Endpoints: []discoveryv1.Endpoint{{
			Addresses:  []string{"127.0.0.1"},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready},
		}},
	}
}

// get sends a request for host and path through nginx and returns the
// status and body.
func (c *cluster) get(host, path string) (int, string) {
	req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(c.port)+path, nil)
	require.NoError(c.t, err)
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return resp.StatusCode, string(body)
}

// serves waits until a request for host and path answers status and body
// (body ignored when empty), then for oneGeneration.
func (c *cluster) serves(host, path string, status int, body string) {
	c.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		gotStatus, gotBody := c.get(host, path)
		if gotStatus == status && (body == "" || gotBody == body) {
			c.oneGeneration()
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s%s: want %d %q, got %d %q", host, path, status, body, gotStatus, gotBody)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// oneGeneration waits until the cluster's nginx runs workers of one
// config only (harness.OneGenerationOf).
func (c *cluster) oneGeneration() {
	c.t.Helper()
	nginxprocs.OneGenerationOf(c.t, os.Getpid(), c.dir)
}

func (c *cluster) reloads() float64 {
	return metricValue(c.t, c.registry, "nginx_ingress_controller_success")
}

func TestTrafficFollowsTheCluster(t *testing.T) {
	c := startCluster(t)
	blue, green := backend(t, "blue"), backend(t, "green")
	ctx := context.Background()

	c.create(service("web"))
	c.create(endpointSlice("web", blue))
	c.create(ingress("site", "site.example.com"))
	c.serves("site.example.com", "/", http.StatusOK, "blue")
	c.serves("unknown.example.com", "/", http.StatusNotFound, "")

	// Endpoints move: traffic follows.
	slice := endpointSlice("web", green)
	slice.ResourceVersion = "2"
	_, err := c.client.DiscoveryV1().EndpointSlices("default").Update(ctx, slice, metav1.UpdateOptions{})
	require.NoError(t, err)
	c.serves("site.example.com", "/", http.StatusOK, "green")

	// No ready endpoint: 503.
	notReady := false
	slice.Endpoints[0].Conditions.Ready = &notReady
	slice.ResourceVersion = "3"
	_, err = c.client.DiscoveryV1().EndpointSlices("default").Update(ctx, slice, metav1.UpdateOptions{})
	require.NoError(t, err)
	c.serves("site.example.com", "/", http.StatusServiceUnavailable, "")

	// A broken Ingress is rejected alone; a good one next to it serves.
	broken := ingress("broken", "broken.example.com")
	broken.Spec.Rules[0].HTTP.Paths[0].Path = "/a;b"
	c.create(broken)
	other := ingress("other", "other.example.com")
	other.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Name = "api"
	c.create(other)
	c.serves("other.example.com", "/", http.StatusServiceUnavailable, "") // no Service yet
	c.create(service("api"))
	c.create(endpointSlice("api", blue))
	c.serves("other.example.com", "/", http.StatusOK, "blue")
	c.serves("broken.example.com", "/", http.StatusNotFound, "")

	// Deleting the Ingress removes its routes.
	require.NoError(t, c.client.NetworkingV1().Ingresses("default").Delete(ctx, "site", metav1.DeleteOptions{}))
	c.serves("site.example.com", "/", http.StatusNotFound, "")
	c.serves("other.example.com", "/", http.StatusOK, "blue")
}

func TestBurstOfChangesCostsFewReloads(t *testing.T) {
	c := startCluster(t)
	c.create(service("web"))
	c.create(endpointSlice("web", backend(t, "burst")))
	before := c.reloads()

	const changes = 500
	start := time.Now()
	for i := range changes {
		c.create(ingress(fmt.Sprintf("burst-%d", i), fmt.Sprintf("burst-%d.example.com", i)))
	}
	burst := time.Since(start)
	c.serves(fmt.Sprintf("burst-%d.example.com", changes-1), "/", http.StatusOK, "burst")
	c.serves("burst-0.example.com", "/", http.StatusOK, "burst")
	// The counter moves once archway verified the reload, which may be
	// just after the old workers retired.
	require.Eventually(t, func() bool { return c.reloads() > before }, nginxWait, 10*time.Millisecond)
	reloads := c.reloads() - before
	t.Logf("%d Ingress creations over %v caused %.0f reloads", changes, burst, reloads)
	// Coalescing allows at most one sync per MaxDelay (plus the reload's
	// own time) of a steady stream, plus one at each end: far fewer than
	// one per change.
	limit := float64(burst/(500*time.Millisecond)) + 2
	require.LessOrEqual(t, reloads, limit)
}
