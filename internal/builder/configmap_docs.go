package builder

import (
	"bytes"
	_ "embed"
	"fmt"
	"text/template"
)

//go:generate go test -run TestConfigMapDocsUpToDate -update-docs .

//go:embed configmap.md.tmpl
var configMapDocsTemplate string

// settingsGroup is one section of the docs.
type settingsGroup struct {
	Name  string
	Specs []SettingSpec
}

// ConfigMapMarkdown returns docs/configmap.md: the prose of
// configmap.md.tmpl, the table of SettingSpecs, grouped as listed, and the
// refused keys.
func ConfigMapMarkdown() ([]byte, error) {
	var groups []settingsGroup
	for _, s := range SettingSpecs() {
		if len(groups) == 0 || groups[len(groups)-1].Name != s.Group {
			groups = append(groups, settingsGroup{Name: s.Group})
		}
		groups[len(groups)-1].Specs = append(groups[len(groups)-1].Specs, s)
	}
	tmpl, err := template.New("configmap").Parse(configMapDocsTemplate)
	if err != nil {
		return nil, fmt.Errorf("parse ConfigMap docs template: %w", err)
	}
	var buf bytes.Buffer
	err = tmpl.Execute(&buf, struct {
		Groups  []settingsGroup
		Refused []RefusedSetting
	}{groups, RefusedSettings()})
	if err != nil {
		return nil, fmt.Errorf("render ConfigMap docs: %w", err)
	}
	return buf.Bytes(), nil
}
