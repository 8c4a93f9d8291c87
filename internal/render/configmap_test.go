package render

import (
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/archway-ingress/archway/internal/annotations"
)

// The controller ConfigMap's keys, through the builder and the real
// nginx.

// configMapYAML is the controller's ConfigMap with data, a YAML mapping.
func configMapYAML(data string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: archway, namespace: ingress}\ndata: " + data + "\n---\n"
}

// slowBackend answers "slow" after delay.
func slowBackend(t *testing.T, delay time.Duration) int32 {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(delay):
			_, _ = w.Write([]byte("slow"))
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(server.Close)
	return int32(server.Listener.Addr().(*net.TCPAddr).Port)
}

// hostIngress is Ingress web/NAME for host with annotations (keys
// without the prefix), and paths / to Service app and /slow to slow.
func hostIngress(name, host string, annots map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: %s\n  namespace: web\n  annotations: {", name)
	for _, k := range slices.Sorted(maps.Keys(annots)) {
		fmt.Fprintf(&b, "%s/%s: %q, ", annotations.DefaultPrefix, k, annots[k])
	}
	fmt.Fprintf(&b, `}
spec:
  rules:
  - host: %s
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}
      - {path: /slow, pathType: Prefix, backend: {service: {name: slow, port: {number: 80}}}}
`, host)
	return b.String()
}

// TestConfigMapLocationDefaults: proxy-body-size and proxy-read-timeout in
// the ConfigMap apply to every Ingress (413 past the body size, 504 past the
// read timeout), and an Ingress's annotations still win.
func TestConfigMapLocationDefaults(t *testing.T) {
	env := manifestEnv(t, configMapYAML(`{proxy-body-size: 2k, proxy-read-timeout: "1"}`)+
		hostIngress("plain", "plain.example.com", nil)+
		hostIngress("own", "own.example.com", map[string]string{"proxy-body-size": "0", "proxy-read-timeout": "10"})+
		serviceYAML("app", 80, listen(t, "app"))+serviceYAML("slow", 80, slowBackend(t, 2*time.Second)))
	env.check(t, map[string]exchange{
		"body at the ConfigMap's size":   {method: http.MethodPost, host: "plain.example.com", path: "/", body: strings.Repeat("a", 2048), status: 200},
		"body past the ConfigMap's size": {method: http.MethodPost, host: "plain.example.com", path: "/", body: strings.Repeat("a", 2049), status: 413},
		"the annotation wins":            {method: http.MethodPost, host: "own.example.com", path: "/", body: strings.Repeat("a", 3<<20), status: 200},
		"the ConfigMap's read timeout":   {host: "plain.example.com", path: "/slow", status: 504},
		"the annotation's read timeout":  {host: "own.example.com", path: "/slow", status: 200, wantBody: "slow"},
	})
}
