package render

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"time"

	"github.com/archway-ingress/archway/internal/grammar"
)

const (
	// balancerPass is the proxy_pass of every location with a backend: the
	// one upstream, whose Lua balancer finds the backend's endpoints.
	balancerPass = "http://archway_balancer"
	// restyCorePath is where Debian's lua-resty-core puts its modules,
	// which the nginx Lua module needs.
	restyCorePath = "/usr/share/lua/5.1/?.lua"
)

// luaRegexMatchLimit is grammar.RegexMatchLimit for ngx.re, which matches
// with PCRE's JIT: the JIT counts the limit in larger steps, and a match
// stopped at this bound costs about what one stopped at
// grammar.RegexMatchLimit costs nginx (measured in TestRegexMatchLimit).
const luaRegexMatchLimit = grammar.RegexMatchLimit / 10

// balancerView is what nginx.conf.tmpl needs for the Lua balancer; each
// field is a finished nginx token.
type balancerView struct {
	PackagePath string // lua_package_path
	Listen      string // the endpoints socket, "unix:..."
	Path        string // EndpointsPath
	// RegexMatchLimit bounds canary header patterns' matches, as
	// regexToken bounds regex paths'; see luaRegexMatchLimit.
	RegexMatchLimit int
}

// embeddedFiles returns the files under root of fsys (the Lua or njs
// modules) as Files under a folder named after root and their content:
// Files other than nginx.conf are written before nginx -t accepts a
// config, and a new folder keeps the modules of the live config untouched
// until the new config replaces it.
func embeddedFiles(fsys fs.FS, root string) (string, []File, error) {
	var files []File
	h := sha256.New()
	err := fs.WalkDir(fsys, root, func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %d\n", name, len(data))
		h.Write(data)
		files = append(files, File{Name: name, Data: data, Mode: 0o644})
		return nil
	})
	if err != nil {
		return "", nil, fmt.Errorf("read embedded %s modules: %w", root, err)
	}
	dir := root + "-" + hex.EncodeToString(h.Sum(nil))[:versionLen]
	for i := range files {
		files[i].Name = path.Join(dir, files[i].Name[len(root+"/"):])
	}
	return dir, files, nil
}

// newBalancerView returns the balancer's tokens for runtime dir dir, whose
// Lua modules are in its folder luaDir.
func newBalancerView(dir, luaDir string) (balancerView, error) {
	socket := filepath.Join(dir, EndpointsSocket)
	if len(socket) > maxSocketPath {
		return balancerView{}, fmt.Errorf("endpoints socket path %q is longer than %d bytes", socket, maxSocketPath)
	}
	var q quoter
	v := balancerView{Listen: q.quote("unix:" + socket), Path: q.quote(EndpointsPath), RegexMatchLimit: luaRegexMatchLimit}
	// quote refuses the ";" that separates Lua search paths, so the path
	// is assembled from a quoted dir and constant parts.
	modules := q.quote(filepath.Join(dir, luaDir))
	if q.err != nil {
		return balancerView{}, q.err
	}
	v.PackagePath = modules[:len(modules)-1] + "/?.lua;" + restyCorePath + `;;"`
	return v, nil
}

// nginxTime prints d as an nginx time in whole seconds, or milliseconds
// when it has a fraction of a second; zero prints "".
func nginxTime(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d%time.Second == 0:
		return fmt.Sprintf("%ds", d/time.Second)
	default:
		return fmt.Sprintf("%dms", (d+time.Millisecond-1)/time.Millisecond)
	}
}
