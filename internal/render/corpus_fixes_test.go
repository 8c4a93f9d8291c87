package render

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/source"
)

// The fixes for what the real-manifest corpus (test/corpus) showed,
// each through the real nginx.

// listen starts an echo backend named name and returns its port.
func listen(t *testing.T, name string) int32 {
	backend := httptest.NewServer(echo(name))
	t.Cleanup(backend.Close)
	return int32(backend.Listener.Addr().(*net.TCPAddr).Port)
}

// manifestEnv builds the manifests (written for ingress-nginx, class
// archway) and serves them with nginx; the build must report no problem.
func manifestEnv(t *testing.T, manifests string) *annotationEnv {
	return newAnnotationEnv(t, builtConfig(t, manifests))
}

// builtConfig builds the manifests, which must give no problem.
func builtConfig(t *testing.T, manifests string) model.Config {
	t.Helper()
	var snap source.Snapshot
	snap.AddManifests("test.yaml", []byte(manifests))
	require.Empty(t, snap.LoadErrors)
	cfg, report := builder.Build(snap, builder.Options{IngressClass: "archway", ControllerClass: "archway.dev/ingress-controller",
		WatchWithoutClass: true, Now: time.Now(), LoopbackEndpoints: true})
	require.Empty(t, report.Problems)
	return cfg
}

// serviceYAML is Service name with port port and cluster IP 127.0.0.1,
// whose one endpoint is 127.0.0.1:target.
func serviceYAML(name string, port, target int32) string {
	return fmt.Sprintf(`
---
apiVersion: v1
kind: Service
metadata: {name: %[1]s, namespace: web}
spec:
  clusterIP: 127.0.0.1
  ports: [{name: http, port: %[2]d, targetPort: %[3]d}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: %[1]s-1, namespace: web, labels: {kubernetes.io/service-name: %[1]s}}
addressType: IPv4
ports: [{name: http, port: %[3]d}]
endpoints: [{addresses: [127.0.0.1], conditions: {ready: true}}]
`, name, port, target)
}

// appIngress is Ingress web/app for host app.example.com with one
// annotation (named without its prefix) and paths "PATH PATHTYPE SERVICE",
// each to port 80 of its Service.
func appIngress(annotation, value string, paths ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: app
  namespace: web
  annotations: {%s/%s: %q}
spec:
  rules:
  - host: app.example.com
    http:
      paths:
`, annotations.DefaultPrefix, annotation, value)
	for _, p := range paths {
		f := strings.Fields(p)
		fmt.Fprintf(&b, "      - {path: %s, pathType: %s, backend: {service: {name: %s, port: {number: 80}}}}\n", f[0], f[1], f[2])
	}
	return b.String()
}

// TestServiceUpstreamDefaultBackend: service-upstream on an Ingress with
// spec.defaultBackend (Linkerd's emojivoto example) sends the default
// backend's requests to the Service's cluster IP, as ingress-nginx did,
// not to its endpoints.
func TestServiceUpstreamDefaultBackend(t *testing.T) {
	endpoint, clusterIP := listen(t, "endpoint"), listen(t, "cluster-ip")
	env := manifestEnv(t, `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: emojivoto
  namespace: web
  annotations: {nginx.ingress.kubernetes.io/service-upstream: "true"}
spec:
  defaultBackend: {service: {name: web-svc, port: {number: `+fmt.Sprint(clusterIP)+`}}}
`+serviceYAML("web-svc", clusterIP, endpoint))
	resp, body := env.do(t, http.MethodGet, "any.example.com", "/", nil, "")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Equal(t, "cluster-ip /", body)
}

// TestRewriteMissingGroup: a rewrite-target naming a capture group the
// path lacks ("/$1" on path "/", a common copy of ingress-nginx's rewrite
// example) rewrites with the group empty, as ingress-nginx did, instead of
// answering 503.
func TestRewriteMissingGroup(t *testing.T) {
	port := listen(t, "app")
	env := manifestEnv(t, appIngress("rewrite-target", "/v1/$1", "/ ImplementationSpecific app")+serviceYAML("app", 80, port))
	resp, body := env.do(t, http.MethodGet, "app.example.com", "/users/7?page=2", nil, "")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Equal(t, "app /v1/?page=2", body)
}

// TestUpstreamVhostServiceVariables: upstream-vhost
// "$service_name.$namespace.svc.cluster.local" (the Istio and Linkerd
// setups) sends each path's own Service name as the Host, as ingress-nginx
// did, instead of a 503.
func TestUpstreamVhostServiceVariables(t *testing.T) {
	port := listen(t, "app")
	env := manifestEnv(t, appIngress("upstream-vhost", "$service_name.$namespace.svc.cluster.local",
		"/ Prefix app", "/v2 Prefix app-v2")+serviceYAML("app", 80, port)+serviceYAML("app-v2", 80, port))
	for path, host := range map[string]string{"/": "app.web.svc.cluster.local", "/v2/x": "app-v2.web.svc.cluster.local"} {
		resp, body := env.do(t, http.MethodGet, "app.example.com", path, nil, "")
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		require.Equal(t, host, resp.Header.Get("X-Seen-Host"), path)
	}
}
