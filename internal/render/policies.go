package render

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"

	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
)

// policies builds the policy views of one Render. Besides each location's
// own directives, policies need things outside the location: zones and
// maps in the http block (httpPolicyView), internal locations in the
// server (serverPolicyView) and files (htpasswd, certificates). Each of
// those is added once, however many locations need it, under a name
// derived from its content, so equal configs give equal bytes.
type policies struct {
	runtimeDir string
	// workerFileMode and workerGroup are the mode and group of files
	// nginx's workers read while serving (htpasswd): 0600 when they run as
	// archway's user, else 0640 and their group (0644 when their group is
	// unknown).
	workerFileMode fs.FileMode
	workerGroup    string
	routes         map[string]route
	defaultBackend string // model.Config.DefaultBackend
	resolvers      []netip.Addr
	httpsPort      int // the target of HTTPS redirects
	redirectCode   int // their status
	http           httpPolicyView
	files          []File
	seen           map[string]bool   // http-level names and files added
	host           string            // of the server being rendered
	clientAuth     *model.ClientAuth // of the server being rendered
	server         serverPolicyView
	serverSeen     map[string]bool // names added to server
	// headers are the request headers of every proxied request, see
	// proxyHeaders.
	headers []headerView
	// hide are the proxy_hide_header lines of hide-headers, which a
	// location with proxy_hide_header of its own (a snippet) repeats:
	// it inherits none.
	hide []string
}

// proxyHeaders returns a copy of the request headers of every proxied
// request, for a list that the caller changes.
func (p *policies) proxyHeaders() []headerView { return slices.Clone(p.headers) }

// serverHeaders adds the ConfigMap's response headers and hidden backend
// headers to the http block, which every server inherits.
func (p *policies) serverHeaders(h model.HeaderSettings) error {
	if len(h.Response) > 0 {
		line, err := p.directiveLine(model.Directive{Kind: model.SetHeaders, Headers: h.Response})
		if err != nil {
			return fmt.Errorf("add-headers: %w", err)
		}
		p.http.Headers = append(p.http.Headers, line)
	}
	for _, name := range h.Hide {
		line, err := p.directiveLine(model.Directive{Kind: model.ProxyHideHeader, Names: []string{name}})
		if err != nil {
			return fmt.Errorf("hide-headers: %w", err)
		}
		p.hide = append(p.hide, line)
	}
	p.http.Headers = append(p.http.Headers, p.hide...)
	return nil
}

// httpPolicyView is what http_policy.tmpl prints in the http block.
type httpPolicyView struct {
	// Headers are the more_set_headers and proxy_hide_header lines of
	// the ConfigMap's add-headers and hide-headers, without their ";".
	Headers []string
	// Resolver lists the DNS servers, when a name is resolved at runtime.
	Resolver string
	// HeadersMore loads the headers-more module (more_set_headers and
	// more_clear_headers of snippets).
	HeadersMore bool
	// AddedHeaders are the maps of request headers that locations add to.
	AddedHeaders []addedHeaderView
	// SchemePorts defines $archway_port_80 and $archway_port_443 for
	// redirects (policyView.Return).
	SchemePorts bool
	// Pools are balancer upstreams of their own (see pool).
	Pools          []string
	LimitKeys      []limitKeyView
	LimitReqZones  []limitZoneView
	LimitConnZones []limitZoneView
	CORSOrigins    []corsMapView
	AuthCaches     []authCacheView
	WAF            *httpWAFView
}

// serverPolicyView holds the internal locations of one server, printed by
// server_policy.tmpl.
type serverPolicyView struct {
	Errors []errorLocationView
	Auth   []authLocationView
}

func newPolicies(opts Options, routes map[string]route, defaultBackend string) *policies {
	mode, group := fs.FileMode(0o600), ""
	switch {
	case opts.User != "" && opts.Group != "":
		mode, group = 0o640, opts.Group
	case opts.User != "":
		mode = 0o644
	}
	return &policies{runtimeDir: opts.RuntimeDir, workerFileMode: mode, workerGroup: group, routes: routes,
		defaultBackend: defaultBackend, seen: map[string]bool{}, resolvers: opts.Resolvers, httpsPort: opts.HTTPSPort}
}

// resolver sets the http block's resolver, for a name resolved while
// serving; without Options.Resolvers, such names fail (and the requests
// that need them with them).
func (p *policies) resolver() error {
	if p.http.Resolver != "" || len(p.resolvers) == 0 {
		return nil
	}
	var tokens []string
	for _, a := range p.resolvers {
		if !a.IsValid() || a.Zone() != "" {
			return fmt.Errorf("resolver %q: not an IP address", a)
		}
		if a.Is6() && !a.Is4In6() {
			tokens = append(tokens, "["+a.String()+"]")
		} else {
			tokens = append(tokens, a.Unmap().String())
		}
	}
	p.http.Resolver = strings.Join(tokens, " ")
	return nil
}

// startServer begins the locations of server s.
func (p *policies) startServer(s *model.Server) {
	p.host, p.clientAuth = s.Host, s.ClientAuth
	p.server, p.serverSeen = serverPolicyView{}, nil // made by onceInServer: most servers need none
}

// once reports whether name is new to the http block or the files, and
// marks it seen.
func (p *policies) once(name string) bool {
	if p.seen[name] {
		return false
	}
	p.seen[name] = true
	return true
}

// onceInServer is once for the server being rendered.
func (p *policies) onceInServer(name string) bool {
	if p.serverSeen[name] {
		return false
	}
	if p.serverSeen == nil {
		p.serverSeen = map[string]bool{}
	}
	p.serverSeen[name] = true
	return true
}

// file adds a file named dir/<hash of data><suffix> and returns its
// absolute path.
func (p *policies) file(dir, suffix string, data []byte, mode fs.FileMode) string {
	return p.fileFor(dir, suffix, data, mode, "")
}

// workerFile adds a file that nginx's workers read while serving.
func (p *policies) workerFile(dir, suffix string, data []byte) string {
	return p.fileFor(dir, suffix, data, p.workerFileMode, p.workerGroup)
}

func (p *policies) fileFor(dir, suffix string, data []byte, mode fs.FileMode, group string) string {
	name := filepath.Join(dir, shortHash(string(data))+suffix)
	if p.once(name) {
		p.files = append(p.files, File{Name: name, Data: slices.Clone(data), Mode: mode, Group: group})
	}
	return filepath.Join(p.runtimeDir, name)
}

// shortHash names content: 16 hex digits of the SHA-256 of the parts.
func shortHash(parts ...string) string {
	h := sha256.New()
	for _, s := range parts {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// withAliases appends a server's aliases to its server_name token.
func withAliases(name string, aliases []string) (string, error) {
	for _, a := range aliases {
		if err := grammar.CheckDNSName(a, false); err != nil {
			return "", fmt.Errorf("alias %q is %w", a, err)
		}
		q, err := quote(a)
		if err != nil {
			return "", err
		}
		name += " " + q
	}
	return name, nil
}
