package builder

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

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
		{key: "worker-shutdown-timeout", def: "240s", set: nginxDuration(24*time.Hour,
			func(s *model.Settings) *time.Duration { return &s.WorkerShutdownTimeout })},
		{key: SafeSnippetsKey, def: "false", set: func(value string, s *model.Settings) error {
			if value != "true" && value != "false" {
				return fmt.Errorf("%q is not true or false", value)
			}
			s.SafeSnippets = value == "true"
			return nil
		}},
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
// value its parser refuses.
func settings(cm *corev1.ConfigMap, p *problems) model.Settings {
	s := defaultSettings()
	if cm == nil {
		return s
	}
	ref := model.Ref{Namespace: cm.Namespace, Name: cm.Name}
	for _, st := range settingsTable() {
		value, ok := cm.Data[st.key]
		if !ok {
			continue
		}
		if err := st.set(value, &s); err != nil {
			*p = append(*p, Problem{Kind: KindConfigMap, Object: ref, Field: "data." + st.key, Key: st.key,
				Reason: reason.InvalidSetting, Message: fmt.Sprintf("%v; the default %s is used", err, st.def)})
		}
	}
	return s
}

// nginxDuration returns a parser of a positive nginx time of at most limit
// into the field that field points to. archway accepts a subset of nginx's
// syntax: a whole number of at most 9 digits with one unit of ms, s, m or
// h (no unit means seconds).
func nginxDuration(limit time.Duration, field func(*model.Settings) *time.Duration) func(string, *model.Settings) error {
	units := map[string]time.Duration{"ms": time.Millisecond, "": time.Second, "s": time.Second, "m": time.Minute, "h": time.Hour}
	return func(value string, s *model.Settings) error {
		digits := strings.TrimRight(value, "hmns")
		unit, ok := units[value[len(digits):]]
		n, err := strconv.ParseUint(digits, 10, 32)
		if !ok || err != nil || len(digits) > 9 || strings.TrimLeft(digits, "0123456789") != "" {
			return fmt.Errorf("%q is not a time like 240s, 5m or 500ms", value)
		}
		if n == 0 || time.Duration(n) > limit/unit {
			return fmt.Errorf("%q is not between 1ms and %s", value, limit)
		}
		*field(s) = time.Duration(n) * unit
		return nil
	}
}
