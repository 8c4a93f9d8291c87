package builder

import (
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// KindConfigMap is the controller's ConfigMap: a setting whose value fails
// its parser keeps its default.
const KindConfigMap = "ConfigMap"

// setting is one key of the controller's ConfigMap. set parses a value into
// the field it owns and leaves s alone on error; def is the value the key
// has when the ConfigMap has none (or an invalid one), parsed by set too.
type setting struct {
	key string
	def string
	set func(value string, s *model.Settings) error
}

// settingsTable lists every ConfigMap key archway reads. A new setting is
// a field in model.Settings and one line here.
func settingsTable() []setting {
	return append([]setting{
		{key: "worker-shutdown-timeout", def: "240s", set: parseInto(grammar.Durations(time.Millisecond, 24*time.Hour),
			func(s *model.Settings) *time.Duration { return &s.WorkerShutdownTimeout })},
		{key: SafeSnippetsKey, def: "false", set: parseInto(grammar.Bool, func(s *model.Settings) *bool { return &s.SafeSnippets })},
	}, slices.Concat(tlsSettings(), accessLogSettings(), wafSettings())...)
}

// defaultSettings returns every setting at its default.
func defaultSettings() model.Settings {
	var s model.Settings
	for _, st := range settingsTable() {
		// The defaults are constants that TestSettingsDefaults parses.
		_ = st.set(st.def, &s)
	}
	return s
}

// settings reads the ConfigMap (nil: none) into Settings, reporting each
// value its parser refuses and each key it does not read.
func settings(cm *corev1.ConfigMap, p *problems) model.Settings {
	s := defaultSettings()
	if cm == nil {
		return s
	}
	ref := model.Ref{Namespace: cm.Namespace, Name: cm.Name}
	unknownSettings(cm.Data, ref, p)
	for _, st := range settingsTable() {
		value, ok := cm.Data[st.key]
		if !ok {
			continue
		}
		if err := st.set(value, &s); err != nil {
			*p = append(*p, Problem{Kind: KindConfigMap, Object: ref, Field: "data." + st.key, Key: st.key,
				Reason: reason.InvalidSetting, Message: fmt.Sprintf("value %q: %v; the default %s is used", shorten(value), err, st.def)})
		}
	}
	return s
}
