package annotations

import (
	"bytes"
	_ "embed"
	"fmt"
	"text/template"
)

//go:generate go test -run TestDocsUpToDate -update .

// DefaultPrefix is the annotation prefix of ingress-nginx, which archway
// keeps so that manifests written for it work unchanged.
const DefaultPrefix = "nginx.ingress.kubernetes.io"

//go:embed docs.md.tmpl
var docsTemplate string

// docsGroup is one section of the docs table.
type docsGroup struct {
	Name  string
	Specs []Spec
}

// Markdown returns docs/annotations.md: the prose of docs.md.tmpl and the
// table of Specs, grouped as listed.
func Markdown() ([]byte, error) {
	var groups []docsGroup
	for _, s := range Specs() {
		switch {
		case len(groups) == 0 || groups[len(groups)-1].Name != s.Group:
			groups = append(groups, docsGroup{Name: s.Group, Specs: []Spec{s}})
		default:
			groups[len(groups)-1].Specs = append(groups[len(groups)-1].Specs, s)
		}
	}
	tmpl, err := template.New("docs").Parse(docsTemplate)
	if err != nil {
		return nil, fmt.Errorf("parse docs template: %w", err)
	}
	var buf bytes.Buffer
	err = tmpl.Execute(&buf, struct {
		Prefix string
		Groups []docsGroup
	}{DefaultPrefix, groups})
	if err != nil {
		return nil, fmt.Errorf("render docs: %w", err)
	}
	return buf.Bytes(), nil
}
