package render

import (
	"fmt"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
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
	// luaDir holds the embedded Lua modules, luaFiles, in the runtime dir;
	// njsDir the njs module of the stream {} block, njsFiles.
	luaDir, njsDir     string
	luaFiles, njsFiles []File
	// exec runs tmpl fast; nil runs text/template only (see executor).
	exec *executor
	// size is the length of the last nginx.conf, to size the next buffer.
	size atomic.Int64
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
	luaDir, lua, err := embeddedFiles(templates.Lua, "lua")
	if err != nil {
		return nil, err
	}
	njsDir, njs, err := embeddedFiles(templates.NJS, "njs")
	if err != nil {
		return nil, err
	}
	return &Renderer{tmpl: tmpl, luaDir: luaDir, njsDir: njsDir, luaFiles: lua, njsFiles: njs, exec: newExecutor(tmpl)}, nil
}

// Render returns the nginx configuration for cfg. Equal inputs give equal
// bytes. It fails, rendering nothing, if any value is unfit for nginx.conf;
// package builder should already have dropped such values.
func (r *Renderer) Render(cfg model.Config, opts Options) (Output, error) {
	// The endpoints need nothing of nginx.conf: make them meanwhile.
	var endpoints Endpoints
	var endpointsErr error
	var wg sync.WaitGroup
	wg.Go(func() { endpoints, endpointsErr = allEndpoints(cfg) })
	out, err := r.render(cfg, opts)
	wg.Wait()
	if err == nil {
		err = endpointsErr
	}
	if err != nil {
		return Output{}, fmt.Errorf("render: %w", err)
	}
	out.Endpoints = endpoints
	return out, nil
}

// render returns the files of the Output for cfg.
func (r *Renderer) render(cfg model.Config, opts Options) (Output, error) {
	view, err := newConfView(cfg, opts, r.njsDir)
	if err != nil {
		return Output{}, err
	}
	if view.Balancer, err = newBalancerView(opts.RuntimeDir, r.luaDir); err != nil {
		return Output{}, fmt.Errorf("options: %w", err)
	}
	view.WorkerShutdownTimeout = nginxTime(cfg.Settings.WorkerShutdownTimeout)
	conf, err := r.execute(view)
	if err != nil {
		return Output{}, err
	}
	conf, version, err := stampVersion(conf)
	if err != nil {
		return Output{}, err
	}
	files := append([]File{{Name: ConfigFile, Data: conf, Mode: 0o644}}, r.luaFiles...)
	if view.Stream != nil {
		files = append(files, r.njsFiles...)
	}
	return Output{
		Version:         version,
		AccessLogStream: view.accessLogStream,
		ErrorLogLevel:   view.HTTP.shownLogLevel,
		StreamPorts:     view.streams.ports,
		StreamEndpoints: view.streams.endpoints,
		Files:           append(files, view.files...),
	}, nil
}

// allEndpoints returns the payload members of the backends, canary routes
// and certificates of cfg.
func allEndpoints(cfg model.Config) (Endpoints, error) {
	endpoints, err := endpointEntries(cfg.Backends)
	if err != nil {
		return nil, err
	}
	canaries, err := canaryEntries(cfg)
	if err != nil {
		return nil, err
	}
	return endpoints.Merge(canaries).Merge(certificateEntries(cfg)), nil
}
