package builder

import (
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// locationDefaultSettings are the ConfigMap keys that set the default of
// the location annotation of the same name: its grammar, default and
// meaning are the annotation's, and an Ingress's annotation still wins.
func locationDefaultSettings() []SettingSpec {
	out := make([]SettingSpec, 0, len(annotations.ConfigMapDefaults))
	for _, name := range annotations.ConfigMapDefaults {
		a, ok := annotations.Lookup(name)
		if !ok {
			panic("annotations.ConfigMapDefaults names an unknown annotation " + name)
		}
		out = append(out, SettingSpec{Key: name, Group: "Defaults of location annotations", Scope: ScopeLocationDefault,
			Syntax: a.Syntax, Default: a.Default, Doc: a.Doc, set: locationDefault(name, a.Default)})
	}
	return out
}

// locationDefault returns the setter of a location default: a value the
// annotation's grammar accepts is kept in Settings.LocationDefaults, unless
// it is the annotation's own default, which nginx.conf already has.
func locationDefault(name, def string) func(string, *model.Settings) error {
	return func(value string, s *model.Settings) error {
		if value == def {
			return nil
		}
		if err := annotations.CheckDefault(name, value); err != nil {
			return err
		}
		s.LocationDefaults = maps.Clone(s.LocationDefaults)
		if s.LocationDefaults == nil {
			s.LocationDefaults = make(map[string]string)
		}
		s.LocationDefaults[name] = value
		return nil
	}
}

// annotationDefaults returns the defaults each Ingress's annotations apply
// over; a location default that does not go with the others (a
// proxy-busy-buffers-size larger than the buffers) is reported and left
// out, of s too.
func annotationDefaults(cm *corev1.ConfigMap, s *model.Settings, p *problems) annotations.Defaults {
	d, invalid := annotations.NewDefaults(s.LocationDefaults)
	if len(invalid) > 0 {
		s.LocationDefaults = maps.Clone(s.LocationDefaults)
	}
	for _, name := range slices.Sorted(maps.Keys(invalid)) {
		delete(s.LocationDefaults, name)
		a, _ := annotations.Lookup(name)
		*p = append(*p, Problem{Kind: KindConfigMap, Object: model.Ref{Namespace: cm.Namespace, Name: cm.Name}, Field: "data." + name, Key: name,
			Reason: reason.InvalidSetting, Message: fmt.Sprintf("%v; the default %s is used", invalid[name], a.Default)})
	}
	return d
}
