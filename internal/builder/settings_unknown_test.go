package builder

import (
	"maps"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/source"
)

// TestIngressNginxConfigMapKeys checks the ConfigMap of an ingress-nginx
// installation (testdata/ingress-nginx-configmap.yaml): no key is dropped
// silently. Each key archway reads applies (the settings change without
// it, unless it is set to its default), and each other key is reported
// with its reason and key.
func TestIngressNginxConfigMapKeys(t *testing.T) {
	configMaps := load(t, "ingress-nginx-configmap.yaml").ConfigMaps
	require.Len(t, configMaps, 1)
	snap := source.Snapshot{ConfigMap: configMaps[0]}
	data := snap.ConfigMap.Data
	require.GreaterOrEqual(t, len(data), 30)
	cfg, report := Build(snap, defaultOpts())

	got := map[string]reason.Reason{}
	for _, p := range report.Problems {
		require.Equal(t, KindConfigMap, p.Kind)
		require.Equal(t, "data."+p.Key, p.Field)
		got[p.Key] = p.Reason
	}
	require.Equal(t, map[string]reason.Reason{
		"annotations-risk-level": reason.UnsupportedSetting, "use-geoip2": reason.UnsupportedSetting, "enable-opentracing": reason.UnsupportedSetting,
		"server-snippet": reason.SnippetRefused, "http-snippet": reason.SnippetRefused, "main-snippet": reason.SnippetRefused,
		"location-snippet": reason.SnippetRefused, "modsecurity-snippet": reason.SnippetRefused,
		"allow-snippet-annotations": reason.UnsupportedSetting, "plugins": reason.UnsupportedSetting, "lua-shared-dicts": reason.UnsupportedSetting,
	}, got)
	for _, p := range report.Problems {
		switch p.Key {
		case "allow-snippet-annotations":
			require.Contains(t, p.Message, SafeSnippetsKey)
		case "modsecurity-snippet":
			require.Contains(t, p.Message, "modsecurity-mode")
		}
	}

	defaults := map[string]string{}
	for _, st := range SettingSpecs() {
		defaults[st.Key] = st.Default
	}
	for key, value := range data {
		if _, reported := got[key]; reported || value == defaults[key] {
			continue // a key set to its default changes nothing
		}
		t.Run(key, func(t *testing.T) {
			without := *snap.ConfigMap
			without.Data = maps.Clone(data)
			delete(without.Data, key)
			cfgWithout, _ := Build(source.Snapshot{ConfigMap: &without}, defaultOpts())
			require.NotEqual(t, cfgWithout.Settings, cfg.Settings, "the key changes nothing: dropped silently")
		})
	}
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
