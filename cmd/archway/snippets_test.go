package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSafeSnippets runs archway on a folder whose ConfigMap turns the safe
// snippet subset on: the snippets apply (headers-more loaded), and once
// the key is off again they go, with the module, on a reload.
func TestSafeSnippets(t *testing.T) {
	requireRoot(t)
	ingress := annotatedIngress("cloud", "cloud.example.com", "/", "web", `
  "nginx.ingress.kubernetes.io/configuration-snippet": "more_set_headers \"X-Frame-Options: SAMEORIGIN\";",
  "nginx.ingress.kubernetes.io/server-snippet": "location ~ ^/(metrics|ping) { deny all; return 404; }"`)
	app := backendManifests("web", namedBackend(t, "web")) + "---" + ingress + `
---
apiVersion: v1
kind: ConfigMap
metadata: {name: archway}
data: {safe-snippet-annotations: "SAFE"}
`
	p := serveManifests(t, strings.ReplaceAll(app, "SAFE", "true"))
	get := func(path string) (int, string) {
		resp := p.get("cloud.example.com", path)
		return resp.StatusCode, resp.Header.Get("X-Frame-Options")
	}
	code, frame := get("/")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "SAMEORIGIN", frame)
	code, _ = get("/metrics")
	require.Equal(t, http.StatusNotFound, code)

	writeManifests(t, p.manifests, strings.ReplaceAll(app, "SAFE", "false"))
	require.Eventually(t, func() bool {
		code, frame := get("/metrics")
		return code == http.StatusOK && frame == ""
	}, 10*time.Second, 50*time.Millisecond, "without the key the snippets go")
	require.Eventually(t, func() bool { return strings.Contains(p.logs.String(), `safe-snippet-annotations: \"true\"`) },
		5*time.Second, 20*time.Millisecond, "the refusal says how to turn them on")
}
