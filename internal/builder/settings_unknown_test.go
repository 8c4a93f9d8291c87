package builder

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/source"
)

// ingressNginxConfigMap is the controller ConfigMap of an ingress-nginx
// installation: keys archway reads, keys of ingress-nginx that it does not
// read, and keys it refuses.
var ingressNginxConfigMap = map[string]string{
	// Read by archway.
	"use-forwarded-headers":        "true",
	"compute-full-forwarded-for":   "true",
	"proxy-real-ip-cidr":           "10.0.0.0/8",
	"use-proxy-protocol":           "false",
	"ssl-protocols":                "TLSv1.2 TLSv1.3",
	"hsts":                         "true",
	"hsts-max-age":                 "63072000",
	"hsts-include-subdomains":      "false",
	"worker-shutdown-timeout":      "300s",
	"enable-modsecurity":           "true",
	"enable-owasp-modsecurity-crs": "true",
	"log-format-escape-json":       "true",
	"skip-access-log-urls":         "/healthz",
	"proxy-body-size":              "100m",
	"proxy-read-timeout":           "3600",
	// ingress-nginx's, not read by archway.
	"keep-alive":                     "75",
	"upstream-keepalive-connections": "320",
	"max-worker-connections":         "65536",
	"use-gzip":                       "true",
	"large-client-header-buffers":    "4 16k",
	"annotations-risk-level":         "Critical",
	// Refused.
	"server-snippet":            "add_header X-Frame-Options DENY;",
	"http-snippet":              "map $http_upgrade $connection_upgrade { default upgrade; }",
	"main-snippet":              "worker_rlimit_nofile 65536;",
	"stream-snippet":            "server { listen 9000; }",
	"location-snippet":          "more_set_headers 'X-A: b';",
	"modsecurity-snippet":       "SecRuleEngine On",
	"allow-snippet-annotations": "true",
	"plugins":                   "openidc",
	"lua-shared-dicts":          "configuration_data: 20",
}

// TestIngressNginxConfigMapKeys checks that every key of a real
// ingress-nginx ConfigMap that archway does not read is reported with its
// reason and key, and that the keys archway reads still apply.
func TestIngressNginxConfigMapKeys(t *testing.T) {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ingress-nginx", Name: "ingress-nginx-controller"},
		Data: ingressNginxConfigMap}
	cfg, report := Build(source.Snapshot{ConfigMap: cm}, defaultOpts())

	got := map[string]reason.Reason{}
	for _, p := range report.Problems {
		require.Equal(t, KindConfigMap, p.Kind)
		require.Equal(t, "data."+p.Key, p.Field)
		got[p.Key] = p.Reason
	}
	require.Equal(t, map[string]reason.Reason{
		"keep-alive": reason.UnsupportedSetting, "upstream-keepalive-connections": reason.UnsupportedSetting,
		"max-worker-connections": reason.UnsupportedSetting, "use-gzip": reason.UnsupportedSetting,
		"large-client-header-buffers": reason.UnsupportedSetting, "annotations-risk-level": reason.UnsupportedSetting,
		"server-snippet": reason.SnippetRefused, "http-snippet": reason.SnippetRefused, "main-snippet": reason.SnippetRefused,
		"stream-snippet": reason.SnippetRefused, "location-snippet": reason.SnippetRefused,
		"modsecurity-snippet": reason.SnippetRefused, "allow-snippet-annotations": reason.UnsupportedSetting,
		"plugins": reason.UnsupportedSetting, "lua-shared-dicts": reason.UnsupportedSetting,
	}, got)
	for _, p := range report.Problems {
		switch p.Key {
		case "allow-snippet-annotations":
			require.Contains(t, p.Message, SafeSnippetsKey)
		case "modsecurity-snippet":
			require.Contains(t, p.Message, "modsecurity-mode")
		}
	}

	s := cfg.Settings
	require.True(t, s.Clients.UseForwardedHeaders)
	require.True(t, s.Clients.ComputeFullForwardedFor)
	require.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, s.Clients.TrustedProxies)
	require.Equal(t, 2*365*24*time.Hour, s.TLS.HSTSMaxAge)
	require.False(t, s.TLS.HSTSIncludeSubdomains)
	require.Equal(t, 300*time.Second, s.WorkerShutdownTimeout)
	require.True(t, s.WAF.Enable)
	require.True(t, s.WAF.CoreRules)
	require.Equal(t, []string{"/healthz"}, s.AccessLog.SkipURLs)
}

// TestAllowSnippetAnnotationsFalse checks that ingress-nginx's safe
// default, which is archway's behaviour, is not reported.
func TestAllowSnippetAnnotationsFalse(t *testing.T) {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ingress", Name: "archway"},
		Data: map[string]string{AllowSnippetsKey: "false"}}
	_, report := Build(source.Snapshot{ConfigMap: cm}, defaultOpts())
	require.Empty(t, report.Problems)
}

// TestConfigMapNamedInAFolder: with --configmap, a folder's other
// ConfigMaps (an application's, read after the controller's) neither
// replace the controller's settings nor have their keys reported.
func TestConfigMapNamedInAFolder(t *testing.T) {
	controller := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ingress", Name: "archway"},
		Data: map[string]string{"worker-shutdown-timeout": "300s"}}
	app := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "settings"},
		Data: map[string]string{"database-url": "postgres://db"}}
	// The folder source: the last ConfigMap read is the Snapshot's.
	snap := source.Snapshot{ConfigMap: app, ConfigMaps: []*corev1.ConfigMap{controller, app}}

	opts := defaultOpts()
	opts.ConfigMap = "ingress/archway"
	cfg, report := Build(snap, opts)
	require.Empty(t, report.Problems)
	require.Equal(t, 300*time.Second, cfg.Settings.WorkerShutdownTimeout)

	opts.ConfigMap = ""
	cfg, report = Build(snap, opts)
	require.Len(t, report.Problems, 1, "without the flag the last ConfigMap is the controller's")
	require.Equal(t, "database-url", report.Problems[0].Key)
	require.NotEqual(t, 300*time.Second, cfg.Settings.WorkerShutdownTimeout)

	opts.ConfigMap = "ingress/missing"
	cfg, report = Build(snap, opts)
	require.Empty(t, report.Problems, "a named ConfigMap that is missing leaves the defaults, as in a cluster")
	require.NotEqual(t, 300*time.Second, cfg.Settings.WorkerShutdownTimeout)
}
