package render

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"text/template"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/templates"
)

const (
	// mainTemplate is the template Render executes; it includes the others.
	mainTemplate = "nginx.conf.tmpl"
	// versionLen is the length of Output.Version, in hex digits.
	versionLen = 16
)

// Renderer turns a model.Config into nginx configuration files. It is safe
// for concurrent use.
type Renderer struct {
	tmpl *template.Template
}

// New parses the *.tmpl files of templateDir, or the embedded templates
// when templateDir is "". Each template is named by its file name, and
// nginx.conf.tmpl must be among them.
func New(templateDir string) (*Renderer, error) {
	var fsys fs.FS = templates.FS
	source := "embedded templates"
	if templateDir != "" {
		fsys, source = os.DirFS(templateDir), templateDir
	}
	tmpl, err := template.New("").Option("missingkey=error").ParseFS(fsys, "*.tmpl")
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", source, err)
	}
	if tmpl.Lookup(mainTemplate) == nil {
		return nil, fmt.Errorf("parse %s: no %s", source, mainTemplate)
	}
	return &Renderer{tmpl: tmpl}, nil
}

// Render returns the nginx configuration for cfg. Equal inputs give equal
// bytes. It fails, rendering nothing, if any value is unfit for nginx.conf;
// package build should already have dropped such values.
func (r *Renderer) Render(cfg model.Config, opts Options) (Output, error) {
	view, err := newConfView(cfg, opts)
	if err != nil {
		return Output{}, fmt.Errorf("render: %w", err)
	}
	var buf bytes.Buffer
	if err := r.tmpl.ExecuteTemplate(&buf, mainTemplate, view); err != nil {
		return Output{}, fmt.Errorf("render: %w", err)
	}
	// The version is the hash of the config with a fixed placeholder where
	// the version goes, so equal bytes always carry equal versions.
	conf, placeholder := buf.Bytes(), []byte(versionPlaceholder)
	if n := bytes.Count(conf, placeholder); n != 1 {
		return Output{}, fmt.Errorf("render: %s prints the config version %d times, want once", mainTemplate, n)
	}
	sum := sha256.Sum256(conf)
	version := hex.EncodeToString(sum[:versionLen/2])
	conf = bytes.Replace(conf, placeholder, []byte(version), 1)
	return Output{
		Version: version,
		Files:   []File{{Name: ConfigFile, Data: conf, Mode: 0o644}},
	}, nil
}
