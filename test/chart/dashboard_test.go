package chart

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/testutil"
)

// metricName matches the metrics archway exports, in PromQL.
var metricName = regexp.MustCompile(`\b(?:nginx_ingress_controller|archway)_[a-zA-Z0-9_]+`)

// TestDashboardsQueryExportedMetrics runs archway on the local example with
// traffic and a rejected Ingress, so that every metric has a series, and
// checks that each metric the dashboards query is among those it exports.
func TestDashboardsQueryExportedMetrics(t *testing.T) {
	dashboards, err := filepath.Glob(filepath.Join(repoRoot(t), "deploy", "grafana", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, dashboards)
	exposition := scrapeArchway(t)
	exported := seriesNames(exposition)
	t.Run("ingress-nginx's series", func(t *testing.T) { requireIngressNginxSeries(t, exposition) })
	for _, path := range dashboards {
		t.Run(filepath.Base(path), func(t *testing.T) {
			queried := dashboardMetrics(t, path)
			require.NotEmpty(t, queried)
			for name := range queried {
				require.Contains(t, exported, name, "the dashboard queries %s, which archway does not export", name)
			}
		})
	}
}

// dashboardMetrics returns the metric names in a dashboard's queries: every
// panel target's expr and every templating query. A query naming none of
// archway's metrics fails the test, since nothing could check it.
func dashboardMetrics(t *testing.T, path string) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
		Templating struct {
			List []struct {
				Name  string
				Type  string
				Query json.RawMessage
			}
		}
	}
	require.NoError(t, json.Unmarshal(data, &dash))
	names := map[string]bool{}
	add := func(where, query string) {
		found := metricName.FindAllString(query, -1)
		require.NotEmpty(t, found, "%s: query %q names no archway metric", where, query)
		for _, n := range found {
			names[n] = true
		}
	}
	for _, p := range dash.Panels {
		for _, target := range p.Targets {
			add("panel "+p.Title, target.Expr)
		}
	}
	for _, v := range dash.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q struct{ Query string }
		require.NoError(t, json.Unmarshal(v.Query, &q), "variable %s", v.Name)
		add("variable "+v.Name, q.Query)
	}
	return names
}

// scrapeArchway builds and runs the archway binary, sends it traffic and
// returns its /metrics.
func scrapeArchway(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "archway")
	require.NoError(t, testutil.BuildArchway(bin))

	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "hello\n")
	}))
	t.Cleanup(backend.Close)
	manifests := localExample(t, backend.Listener.Addr().(*net.TCPAddr).Port)
	tcpPort, udpPort := testutil.FreePort(t), testutil.FreeUDPPort(t)
	streamServices(t, manifests, tcpPort, udpPort)

	httpPort, metrics := testutil.FreePort(t), "127.0.0.1:"+strconv.Itoa(testutil.FreePort(t))
	cmd := exec.Command(bin, "--manifests", manifests, "--runtime-dir", testutil.RuntimeDir(t),
		"--http-port", strconv.Itoa(httpPort), "--https-port", strconv.Itoa(testutil.FreePort(t)),
		"--metrics-address", metrics, "--nginx-binary", testutil.NginxBinary(t),
		"--tcp-services-configmap", "demo/tcp-services", "--udp-services-configmap", "demo/udp-services")
	var logs testutil.SyncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		// archway drains nginx and exits 0 on SIGTERM, as in a pod.
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		select {
		case err := <-exited:
			require.NoError(t, err, logs.String())
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			require.Fail(t, "archway did not stop on SIGTERM", logs.String())
		}
	})
	ctx := t.Context()

	get := func(url, host string) (int, string) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return 0, err.Error()
		}
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	require.Eventually(t, func() bool {
		code, _ := get("http://"+metrics+"/readyz", "")
		return code == http.StatusOK
	}, 20*time.Second, 50*time.Millisecond, "archway never got ready: %s", &logs)

	nginx := "http://127.0.0.1:" + strconv.Itoa(httpPort) + "/"
	code, body := get(nginx, "hello.localhost")
	require.Equal(t, http.StatusOK, code, body)
	code, _ = get(nginx, "unknown.localhost")
	require.Equal(t, http.StatusNotFound, code)
	code, _ = get(nginx+"?id=1%27%20OR%20%271%27%3D%271", "waf.localhost")
	require.Equal(t, http.StatusForbidden, code, "ModSecurity refuses a SQL injection")
	for network, port := range map[string]int{"tcp": tcpPort, "udp": udpPort} {
		conn, err := net.DialTimeout(network, "127.0.0.1:"+strconv.Itoa(port), 5*time.Second)
		require.NoError(t, err)
		require.NoError(t, conn.SetDeadline(time.Now().Add(5*time.Second)))
		_, err = conn.Write([]byte("ping"))
		require.NoError(t, err)
		_, err = conn.Read(make([]byte, 4))
		require.NoError(t, err, "%s port %d echoes", network, port)
		require.NoError(t, conn.Close())
	}

	// Request records arrive asynchronously.
	var exposition string
	require.Eventually(t, func() bool {
		var code int
		code, exposition = get("http://"+metrics+"/metrics", "")
		return code == http.StatusOK && seriesNames(exposition)["nginx_ingress_controller_requests"] &&
			seriesNames(exposition)["archway_waf_requests_total"] && seriesNames(exposition)["archway_stream_connections_total"]
	}, 10*time.Second, 50*time.Millisecond, "no request, WAF or stream metrics")
	return exposition
}

// streamServices adds a TCP and a UDP service to the manifests folder,
// echoes on tcpPort and udpPort.
func streamServices(t *testing.T, dir string, tcpPort, udpPort int) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "streams.yaml"), fmt.Appendf(nil, `
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: demo}
spec: {ports: [{name: tcp, port: 7000}, {name: dns, port: 53, protocol: UDP}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: echo-1, namespace: demo, labels: {kubernetes.io/service-name: echo}}
addressType: IPv4
ports: [{name: tcp, port: %d}, {name: dns, port: %d, protocol: UDP}]
endpoints: [{addresses: [127.0.0.1]}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: tcp-services, namespace: demo}
data: {"%d": demo/echo:tcp}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: udp-services, namespace: demo}
data: {"%d": demo/echo:dns}
`, testutil.TCPEcho(t, "127.0.0.1"), testutil.UDPEcho(t, "127.0.0.1"), tcpPort, udpPort), 0o644))
}

// seriesNames returns the metric names of a Prometheus text exposition.
func seriesNames(exposition string) map[string]bool {
	names := map[string]bool{}
	lines := bufio.NewScanner(strings.NewReader(exposition))
	for lines.Scan() {
		line := lines.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if i := strings.IndexAny(line, "{ "); i > 0 {
			names[line[:i]] = true
		}
	}
	return names
}

// localExample copies deploy/examples/local with its backends moved to
// port, plus an Ingress that names a missing Service, so that archway has a
// rejected object to count, and one behind ModSecurity, whose blocks it
// counts.
func localExample(t *testing.T, port int) string {
	t.Helper()
	src := filepath.Join(repoRoot(t), "deploy", "examples", "local")
	dir := t.TempDir()
	files, err := filepath.Glob(filepath.Join(src, "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, demo := range []string{"port: 9001", "port: 9002"} {
			data = bytes.ReplaceAll(data, []byte(demo), []byte("port: "+strconv.Itoa(port)))
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "waf.yaml"), []byte(`
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
  namespace: demo
  annotations:
    nginx.ingress.kubernetes.io/enable-modsecurity: "true"
    nginx.ingress.kubernetes.io/enable-owasp-core-rules: "true"
    archway.dev/modsecurity-mode: "On"
spec:
  ingressClassName: archway
  rules:
    - host: waf.localhost
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: hello, port: {number: 80}}}}
`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "rejected.yaml"), []byte(`
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: broken, namespace: demo}
spec:
  ingressClassName: archway
  rules:
    - host: broken.localhost
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: missing, port: {number: 80}}}}
`), 0o644))
	// A host with its own certificate, so the certificate expiry metric
	// has a series.
	cert := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"secure.localhost"}})
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tls.yaml"), fmt.Appendf(nil, `
apiVersion: v1
kind: Secret
metadata: {name: secure-tls, namespace: demo}
type: kubernetes.io/tls
data: {tls.crt: %s, tls.key: %s}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: secure, namespace: demo}
spec:
  ingressClassName: archway
  tls: [{hosts: [secure.localhost], secretName: secure-tls}]
  rules:
    - host: secure.localhost
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: hello, port: {number: 80}}}}
`, base64.StdEncoding.EncodeToString(cert.CertPEM), base64.StdEncoding.EncodeToString(cert.KeyPEM)), 0o644))
	return dir
}
