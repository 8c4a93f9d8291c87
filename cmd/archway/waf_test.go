package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/accesslog"
)

// TestWAFAuditLogAndMetric runs archway as `make run` does with a
// ModSecurity-protected Ingress in On mode, one in DetectionOnly and one
// without, behind the same nginx: a SQL injection gets 403 on the first,
// reaches the backend on the others, and each request on which rules
// matched is one JSON line of archway's stdout (with the rule IDs) and
// counts in archway_waf_requests_total for its Ingress.
func TestWAFAuditLogAndMetric(t *testing.T) {
	requireRoot(t)
	waf := func(name, host, mode string) string {
		return annotatedIngress(name, host, "/", "web", `nginx.ingress.kubernetes.io/enable-modsecurity: "true",
  nginx.ingress.kubernetes.io/enable-owasp-core-rules: "true", archway.dev/modsecurity-mode: "`+mode+`"`)
	}
	p := serveManifests(t, backendManifests("web", bodyLengthBackend(t))+"---"+
		waf("shop", "shop.example.com", "On")+"---"+waf("probe", "probe.example.com", "DetectionOnly")+"---"+
		ingressManifest("open", "open.example.com", "/", "web")+`
---
apiVersion: v1
kind: ConfigMap
metadata: {name: archway}
data:
  access-log-path: access.log
`)
	const sqli = "/items?id=1%27%20OR%20%271%27%3D%271"
	for host, want := range map[string]int{"shop.example.com": 403, "probe.example.com": 200, "open.example.com": 200} {
		code, _ := p.request(http.MethodGet, host, sqli, "", "", "")
		require.Equal(t, want, code, host)
	}
	code, _ := p.request(http.MethodGet, "shop.example.com", "/items?id=42", "", "", "")
	require.Equal(t, http.StatusOK, code, "a plain request passes")

	var entries []accesslog.AuditEntry
	require.Eventually(t, func() bool {
		entries = nil
		for _, line := range accessLines(p.stdout.String()) {
			var e accesslog.AuditEntry
			require.NoError(t, json.Unmarshal([]byte(line), &e), line)
			entries = append(entries, e)
		}
		return len(entries) == 2
	}, 5*time.Second, 20*time.Millisecond, "one audit line per request on which rules matched:\n%s", p.stdout.String())
	byIngress := map[string]accesslog.AuditEntry{}
	for _, e := range entries {
		require.Equal(t, "modsecurity", e.Log)
		require.Equal(t, "default", e.Namespace)
		require.Equal(t, "/items?id=1%27%20OR%20%271%27%3D%271", e.URI)
		var ids []string
		for _, r := range e.Rules {
			ids = append(ids, r.ID)
		}
		require.Contains(t, ids, "942100", "libinjection's SQL injection rule")
		byIngress[e.Ingress] = e
	}
	require.Equal(t, "blocked", byIngress["shop"].Action)
	require.Equal(t, 403, byIngress["shop"].Status)
	require.Equal(t, "detected", byIngress["probe"].Action)
	require.Equal(t, 200, byIngress["probe"].Status)

	for ingress, action := range map[string]string{"shop": "blocked", "probe": "detected"} {
		series := p.metric("archway_waf_requests_total{", `namespace="default"`, `ingress="`+ingress+`"`)
		require.Len(t, series, 1)
		require.Contains(t, series[0], `action="`+action+`"`)
		require.True(t, strings.HasSuffix(series[0], "} 1"), series[0])
	}
	require.NotContains(t, p.logs.String(), "Access denied", "ModSecurity's error log lines stay at debug level")
}
