package builder

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/source"
)

func TestSettingsDefaults(t *testing.T) {
	for _, st := range SettingSpecs() {
		t.Run(st.Key, func(t *testing.T) {
			var s model.Settings
			require.NoError(t, st.set(st.Default, &s), "the default must parse")
		})
	}
	require.Equal(t, 240*time.Second, defaultSettings().WorkerShutdownTimeout)
}

func TestBuildSettings(t *testing.T) {
	cm := func(data map[string]string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ingress", Name: "archway"}, Data: data}
	}
	invalid := func(value string) []Problem {
		return []Problem{{Kind: KindConfigMap, Object: model.Ref{Namespace: "ingress", Name: "archway"},
			Field: "data.worker-shutdown-timeout", Key: "worker-shutdown-timeout", Reason: reason.InvalidSetting,
			Message: fmt.Sprintf(`value %q: want seconds ("60") or a number with ms, s, m, h or d, from 1ms to 24h0m0s; the default 240s is used`, value)}}
	}
	tests := map[string]struct {
		configMap *corev1.ConfigMap
		want      time.Duration
		problems  []Problem
	}{
		"no ConfigMap": {want: 240 * time.Second},
		"an unknown key": {configMap: cm(map[string]string{"other": "x"}), want: 240 * time.Second, problems: []Problem{{
			Kind: KindConfigMap, Object: model.Ref{Namespace: "ingress", Name: "archway"}, Field: "data.other", Key: "other",
			Reason: reason.UnsupportedSetting, Message: "archway does not read this key: ingress-nginx's setting is not applied"}}},
		"seconds":           {configMap: cm(map[string]string{"worker-shutdown-timeout": "30s"}), want: 30 * time.Second},
		"no unit: seconds":  {configMap: cm(map[string]string{"worker-shutdown-timeout": "30"}), want: 30 * time.Second},
		"minutes":           {configMap: cm(map[string]string{"worker-shutdown-timeout": "5m"}), want: 5 * time.Minute},
		"milliseconds":      {configMap: cm(map[string]string{"worker-shutdown-timeout": "1500ms"}), want: 1500 * time.Millisecond},
		"a day at most":     {configMap: cm(map[string]string{"worker-shutdown-timeout": "24h"}), want: 24 * time.Hour},
		"more than a day":   {configMap: cm(map[string]string{"worker-shutdown-timeout": "25h"}), want: 240 * time.Second, problems: invalid("25h")},
		"zero":              {configMap: cm(map[string]string{"worker-shutdown-timeout": "0s"}), want: 240 * time.Second, problems: invalid("0s")},
		"negative":          {configMap: cm(map[string]string{"worker-shutdown-timeout": "-1s"}), want: 240 * time.Second, problems: invalid("-1s")},
		"two units":         {configMap: cm(map[string]string{"worker-shutdown-timeout": "1m30s"}), want: 240 * time.Second, problems: invalid("1m30s")},
		"a day":             {configMap: cm(map[string]string{"worker-shutdown-timeout": "1d"}), want: 24 * time.Hour},
		"directive smuggle": {configMap: cm(map[string]string{"worker-shutdown-timeout": "1s; user root"}), want: 240 * time.Second, problems: invalid("1s; user root")},
		"empty":             {configMap: cm(map[string]string{"worker-shutdown-timeout": ""}), want: 240 * time.Second, problems: invalid("")},
		"leading zeros":     {configMap: cm(map[string]string{"worker-shutdown-timeout": "0000000001s"}), want: 240 * time.Second, problems: invalid("0000000001s")},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg, report := Build(source.Snapshot{ConfigMap: tc.configMap}, defaultOpts())
			require.Equal(t, tc.want, cfg.Settings.WorkerShutdownTimeout)
			require.Equal(t, tc.problems, report.Problems)
		})
	}
}
