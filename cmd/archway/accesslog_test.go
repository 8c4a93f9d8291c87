package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/testutil"
)

// upstreamInfoLine matches a line of ingress-nginx's upstreaminfo format
// for a request to an Ingress backed by Service web.
var upstreamInfoLine = regexp.MustCompile(`^127\.0\.0\.1 - (-|alice) \[[^]]+\] "(GET|POST) (/\S*) HTTP/1\.1" (\d{3}) \d+ "-" "([^"]*)" \d+ \d+\.\d{3} ` +
	`\[default_web_80\] \[\] (127\.0\.0\.1:\d+ \d+ \d+\.\d{3} \d{3}|- - - -) [0-9a-f]{32}$`)

// TestAccessLogOnStdout starts archway as `make run` does (root, a runtime
// dir that does not exist yet) and finds one upstreaminfo line per request
// on its stdout, none in its own log, and the request metrics still
// counting, without an alert from nginx.
func TestAccessLogOnStdout(t *testing.T) {
	requireRoot(t)
	p, _ := startServing(t)
	requireWorkersServe(t, p)
	code, _ := p.request(http.MethodGet, "open.example.com", "/hello?x=1", "", "", "")
	require.Equal(t, http.StatusOK, code)

	var lines []string
	require.Eventually(t, func() bool {
		lines = accessLines(p.stdout.String())
		return len(lines) == 4
	}, 5*time.Second, 20*time.Millisecond, "one line per request:\n%s", p.stdout.String())
	var paths []string
	for _, line := range lines {
		m := upstreamInfoLine.FindStringSubmatch(line)
		require.NotNil(t, m, "not upstreaminfo: %q", line)
		paths = append(paths, m[3])
	}
	require.Contains(t, paths, "/hello?x=1")
	require.NotContains(t, p.logs.String(), "/hello?x=1", "the access log stays out of archway's log")
}

// TestAccessLogSettings sets a JSON format, a skipped URL and an Ingress
// with enable-access-log: "false" in the ConfigMap and manifests.
func TestAccessLogSettings(t *testing.T) {
	requireRoot(t)
	backend := bodyLengthBackend(t)
	p := serveManifests(t, backendManifests("web", backend)+"---"+ingressManifest("open", "open.example.com", "/", "web")+
		"---"+annotatedIngress("quiet", "quiet.example.com", "/", "web", `nginx.ingress.kubernetes.io/enable-access-log: "false"`)+`
---
apiVersion: v1
kind: ConfigMap
metadata: {name: archway}
data:
  log-format-upstream: '{"uri": "$request_uri", "status": $status, "agent": "$http_user_agent", "ingress": "$ingress_name"}'
  log-format-escape-json: "true"
  skip-access-log-urls: /healthz
`)

	req := func(host, path, agent string) {
		require.Equal(t, http.StatusOK, p.get(host, path, "User-Agent", agent).StatusCode)
	}
	req("open.example.com", "/healthz", "probe")
	req("quiet.example.com", "/", "quiet")
	req("open.example.com", "/a", `say "hi"`)
	require.Eventually(t, func() bool {
		return len(p.metric("nginx_ingress_controller_requests{", `ingress="quiet"`)) == 1 &&
			len(accessLines(p.stdout.String())) >= 1
	}, 5*time.Second, 20*time.Millisecond, "the quiet Ingress still counts")
	lines := accessLines(p.stdout.String())
	require.Len(t, lines, 1, "neither /healthz nor the quiet Ingress is logged")
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &got), lines[0])
	require.Equal(t, map[string]any{"uri": "/a", "status": 200.0, "agent": `say "hi"`, "ingress": "open"}, got)
}

// TestAccessLogToFile writes the access log into a file of the runtime
// dir, and refuses a format with a variable outside the allow-list,
// keeping the default format.
func TestAccessLogToFile(t *testing.T) {
	requireRoot(t)
	manifests := t.TempDir()
	writeManifests(t, manifests, backendManifests("web", bodyLengthBackend(t))+"---"+ingressManifest("open", "open.example.com", "/", "web")+`
---
apiVersion: v1
kind: ConfigMap
metadata: {name: archway}
data:
  access-log-path: access.log
  log-format-upstream: '$remote_addr $request_body'
`)
	runtimeDir := testutil.RuntimeDir(t)
	p := startProcess(t, manifests, processOptions{args: []string{"--runtime-dir", runtimeDir}})
	p.waitReady()
	code, _ := p.request(http.MethodGet, "open.example.com", "/file", "", "", "")
	require.Equal(t, http.StatusOK, code)
	require.Eventually(t, func() bool {
		data, _ := os.ReadFile(filepath.Join(runtimeDir, "access.log"))
		lines := accessLines(string(data))
		return len(lines) == 1 && upstreamInfoLine.MatchString(lines[0])
	}, 5*time.Second, 20*time.Millisecond)
	require.Empty(t, p.stdout.String())
	require.Contains(t, p.logs.String(), "$request_body is not among those archway allows")
}

// accessLines returns the non-empty lines of out.
func accessLines(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// TestCanaryInLogAndMetrics: a request a canary served names the canary
// backend in the access log ($proxy_alternative_upstream_name) and in the
// request metrics' canary label, with the rule's path.
func TestCanaryInLogAndMetrics(t *testing.T) {
	requireRoot(t)
	p := serveManifests(t, backendManifests("web", namedBackend(t, "web"))+"---"+backendManifests("beta", namedBackend(t, "beta"))+
		"---"+ingressManifest("open", "open.example.com", "/app", "web")+
		"---"+annotatedIngress("open-canary", "open.example.com", "/app", "beta",
		`nginx.ingress.kubernetes.io/canary: "true", nginx.ingress.kubernetes.io/canary-by-header: X-Canary`))
	require.Equal(t, http.StatusOK, p.get("open.example.com", "/app/x", "X-Canary", "always").StatusCode)

	require.Eventually(t, func() bool {
		return len(p.metric("nginx_ingress_controller_requests{", `canary="default_beta_80"`, `ingress="open"`, `path="/app"`)) == 1
	}, 5*time.Second, 20*time.Millisecond, "the canary label:\n%s", strings.Join(p.metric("nginx_ingress_controller_requests{"), "\n"))
	lines := accessLines(p.stdout.String())
	require.Len(t, lines, 1)
	require.Contains(t, lines[0], `"GET /app/x HTTP/1.1" 200`)
	require.Contains(t, lines[0], "[default_web_80] [default_beta_80]")
}
