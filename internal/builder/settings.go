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

// SettingScope says what a ConfigMap key applies to.
type SettingScope string

// The scopes of ConfigMap keys.
const (
	// ScopeGlobal keys apply to nginx as a whole or to its http block.
	ScopeGlobal SettingScope = "global"
	// ScopeServer keys apply to every server (host) alike.
	ScopeServer SettingScope = "server"
	// ScopeLocationDefault keys are the default of the location
	// annotation of the same name, which an Ingress still overrides.
	ScopeLocationDefault SettingScope = "location default"
)

// SettingSpec is one key of the controller's ConfigMap: its grammar,
// default, scope and meaning. The table in SettingSpecs is the only place
// a key is defined; docs/configmap.md is generated from it. set parses a
// value into the field of model.Settings it owns and leaves s alone on
// error; Default is the value the key has when the ConfigMap has none (or
// an invalid one), parsed by set too.
type SettingSpec struct {
	Key     string
	Group   string // the docs section
	Scope   SettingScope
	Syntax  string // the value grammar, in Markdown
	Default string
	Doc     string // one line, in Markdown
	set     func(value string, s *model.Settings) error
}

// SettingSpecs returns every ConfigMap key archway reads, grouped as the
// docs list them. A new setting is a field in model.Settings and one entry
// here.
func SettingSpecs() []SettingSpec {
	return slices.Concat(generalSettings(), locationDefaultSettings(), globalAuthSettings(), workerSettings(), clientConnectionSettings(), upstreamSettings(),
		compressionSettings(), listenSettings(), tlsSettings(), clientSettings(), accessLogSettings(), wafSettings(), headerSettings(), tracingSettings())
}

func generalSettings() []SettingSpec {
	const g = "General"
	return []SettingSpec{
		{Key: SafeSnippetsKey, Group: g, Scope: ScopeGlobal, Syntax: boolSyntax, Default: "false",
			Doc: "`true` applies the `configuration-snippet` and `server-snippet` annotations whose directives are all in archway's safe subset, " +
				"parsed and rewritten by archway, never copied ([snippets.md](snippets.md)); ingress-nginx's `allow-snippet-annotations` is not read.",
			set: parseInto(grammar.Bool, func(s *model.Settings) *bool { return &s.SafeSnippets })},
		{Key: "worker-shutdown-timeout", Group: g, Scope: ScopeGlobal, Syntax: durationSyntax + ", from `1ms` to a day", Default: "240s",
			Doc: "How long nginx workers of a replaced config may finish their requests after a reload.",
			set: parseInto(grammar.Durations(time.Millisecond, 24*time.Hour), func(s *model.Settings) *time.Duration { return &s.WorkerShutdownTimeout })},
	}
}

// Grammars shown in the docs.
const (
	boolSyntax     = "`true` or `false` (or `1`, `0`)"
	durationSyntax = "seconds (`60`), or a number with `ms`, `s`, `m`, `h` or `d` (`1500ms`, `5m`)"
	secondsSyntax  = "seconds, a plain number"
	cidrSyntax     = "comma-separated IP addresses or CIDRs (`10.0.0.0/8, fd00::/8`)"
)

// defaultSettings returns every setting at its default.
func defaultSettings() model.Settings {
	var s model.Settings
	for _, st := range SettingSpecs() {
		// The defaults are constants that TestSettingsDefaults parses.
		_ = st.set(st.Default, &s)
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
	for _, st := range SettingSpecs() {
		value, ok := cm.Data[st.Key]
		if !ok {
			continue
		}
		if err := st.set(value, &s); err != nil {
			*p = append(*p, Problem{Kind: KindConfigMap, Object: ref, Field: "data." + st.Key, Key: st.Key,
				Reason: reason.InvalidSetting, Message: fmt.Sprintf("value %q: %v; the default %s is used", shorten(value), err, st.Default)})
		}
	}
	return s
}
