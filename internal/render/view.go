package render

import (
	"fmt"
	"math/bits"
	"net/http"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"

	"github.com/archway-ingress/archway/internal/model"
)

// confView is what nginx.conf.tmpl prints. Every string field is a finished
// nginx token: quoted by quote, or assembled by Go from validated parts.
type confView struct {
	PIDFile   string
	User      string // empty: nginx must not switch users
	TempPaths []tempPathView
	// Sizes of nginx's exact server-name hash; see namesHashSizes.
	NamesHashBucketSize int
	NamesHashMaxSize    int
	StatusListen        string
	VersionPath         string
	Version             string // the quoted versionPlaceholder; see Render
	Upstreams           []upstreamView
	Servers             []serverView
}

type tempPathView struct{ Directive, Path string }

type upstreamView struct {
	Name    string
	Servers []string // "ip:port", IPv6 in brackets
}

type serverView struct {
	Port      int
	Default   bool
	Name      string
	Locations []locationView
}

type locationView struct {
	Exact     bool
	Path      string
	ProxyPass string // empty: answer Status
	Status    int
}

// route is what a location does: proxy to an upstream (a quoted
// "http://name"), or answer status.
type route struct {
	proxyPass string
	status    int
}

const (
	// versionPlaceholder stands in for the version while the config is
	// hashed. Its NUL bytes are refused by quote, so no value from the
	// model can contain it.
	versionPlaceholder = "\x00archway-config-version\x00"
	// maxSocketPath is the longest unix socket path: sun_path holds 108
	// bytes, including the terminating NUL.
	maxSocketPath = 107
	maxHostLen    = 253
	maxLabelLen   = 63
)

func newConfView(cfg model.Config, opts Options) (confView, error) {
	v, err := mainView(opts)
	if err != nil {
		return confView{}, fmt.Errorf("options: %w", err)
	}
	routes, upstreams, err := backendRoutes(cfg.Backends)
	if err != nil {
		return confView{}, err
	}
	fallback, err := resolve(routes, cfg.DefaultBackend, http.StatusNotFound)
	if err != nil {
		return confView{}, fmt.Errorf("default backend: %w", err)
	}
	servers, err := serverViews(cfg.Servers, opts.HTTPPort, routes, fallback)
	if err != nil {
		return confView{}, err
	}
	v.Upstreams, v.Servers = upstreams, servers
	v.NamesHashBucketSize, v.NamesHashMaxSize = namesHashSizes(cfg.Servers)
	return v, nil
}

func mainView(opts Options) (confView, error) {
	if opts.HTTPPort < 1 || opts.HTTPPort > 65535 {
		return confView{}, fmt.Errorf("HTTP port %d out of range", opts.HTTPPort)
	}
	dir := opts.RuntimeDir
	if !filepath.IsAbs(dir) {
		return confView{}, fmt.Errorf("runtime dir %q is not absolute", dir)
	}
	socket := filepath.Join(dir, StatusSocket)
	if len(socket) > maxSocketPath {
		return confView{}, fmt.Errorf("status socket path %q is longer than %d bytes", socket, maxSocketPath)
	}
	var q quoter
	v := confView{
		PIDFile:      q.quote(filepath.Join(dir, "nginx.pid")),
		StatusListen: q.quote("unix:" + socket),
		VersionPath:  q.quote(VersionPath),
		Version:      `"` + versionPlaceholder + `"`,
	}
	// Every temp dir lives in the runtime dir, so archway needs no other
	// writable path.
	for _, name := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		v.TempPaths = append(v.TempPaths, tempPathView{
			Directive: name + "_temp_path",
			Path:      q.quote(filepath.Join(dir, name)),
		})
	}
	if opts.User != "" {
		v.User = q.quote(opts.User)
		if opts.Group != "" {
			v.User += " " + q.quote(opts.Group)
		}
	}
	return v, q.err
}

// backendRoutes returns the route of every backend, and an upstream for
// each backend that has endpoints; a backend without endpoints answers 503.
func backendRoutes(backends []model.Backend) (map[string]route, []upstreamView, error) {
	routes := make(map[string]route, len(backends))
	var upstreams []upstreamView
	for _, b := range backends {
		if !validBackendName(b.Name) {
			return nil, nil, fmt.Errorf("backend %q: name must be made of [a-z0-9_.-]", b.Name)
		}
		if _, dup := routes[b.Name]; dup {
			return nil, nil, fmt.Errorf("backend %q: duplicate name", b.Name)
		}
		if len(b.Endpoints) == 0 {
			routes[b.Name] = route{status: http.StatusServiceUnavailable}
			continue
		}
		var q quoter
		u := upstreamView{Name: q.quote(b.Name), Servers: make([]string, 0, len(b.Endpoints))}
		for _, ep := range b.Endpoints {
			addr, err := netip.ParseAddr(ep.Address)
			if err != nil || addr.Zone() != "" || ep.Port < 1 || ep.Port > 65535 {
				return nil, nil, fmt.Errorf("backend %q: invalid endpoint %q port %d", b.Name, ep.Address, ep.Port)
			}
			u.Servers = append(u.Servers, q.quote(netip.AddrPortFrom(addr, uint16(ep.Port)).String()))
		}
		routes[b.Name] = route{proxyPass: q.quote("http://" + b.Name)}
		if q.err != nil {
			return nil, nil, fmt.Errorf("backend %q: %w", b.Name, q.err)
		}
		upstreams = append(upstreams, u)
	}
	return routes, upstreams, nil
}

// resolve returns the route to the named backend, or a route answering
// none when name is empty.
func resolve(routes map[string]route, name string, none int) (route, error) {
	if name == "" {
		return route{status: none}, nil
	}
	r, ok := routes[name]
	if !ok {
		return route{}, fmt.Errorf("unknown backend %q", name)
	}
	return r, nil
}

// serverViews returns one server per model server, led by the catch-all
// (default_server) one, which is added with only the fallback location
// when the model has no Host "" server.
func serverViews(servers []model.Server, port int, routes map[string]route, fallback route) ([]serverView, error) {
	views := make([]serverView, 0, len(servers)+1)
	if !slices.ContainsFunc(servers, func(s model.Server) bool { return s.Host == "" }) {
		servers = append([]model.Server{{}}, servers...)
	}
	seen := make(map[string]bool, len(servers))
	for _, s := range servers {
		if seen[s.Host] {
			return nil, fmt.Errorf("server %q: duplicate host", s.Host)
		}
		seen[s.Host] = true
		name, err := serverName(s)
		if err != nil {
			return nil, fmt.Errorf("server %q: %w", s.Host, err)
		}
		locs, err := locationViews(s.Locations, routes, fallback)
		if err != nil {
			return nil, fmt.Errorf("server %q: %w", s.Host, err)
		}
		views = append(views, serverView{Port: port, Default: s.Host == "", Name: name, Locations: locs})
	}
	return views, nil
}

// serverName returns the server_name token of s. A wildcard host becomes a
// regex because nginx's own "*.example.com" matches any number of extra
// labels, while the Ingress spec allows exactly one. nginx tries exact
// names before regexes, so an exact host beats a wildcard.
func serverName(s model.Server) (string, error) {
	switch {
	case s.Host == "":
		return quote("_")
	case s.Wildcard():
		suffix := s.Host[len("*."):]
		if err := validDNSName(s.Host, suffix); err != nil {
			return "", err
		}
		// suffix is made of [a-z0-9.-] only; quote would refuse the
		// regex's '\' and '$', which are safe inside the quotes.
		return `"~^[^.]+\.` + strings.ReplaceAll(suffix, ".", `\.`) + `$"`, nil
	default:
		if err := validDNSName(s.Host, s.Host); err != nil {
			return "", err
		}
		return quote(s.Host)
	}
}

// validDNSName checks that name (part of host) is a lowercase RFC 1123
// subdomain, the only hosts the Ingress API accepts.
func validDNSName(host, name string) error {
	if len(host) > maxHostLen {
		return fmt.Errorf("host is longer than %d bytes", maxHostLen)
	}
	for label := range strings.SplitSeq(name, ".") {
		if !validLabel(label) {
			return fmt.Errorf("host label %q is not a lowercase RFC 1123 label", label)
		}
	}
	return nil
}

func validLabel(l string) bool {
	if l == "" || len(l) > maxLabelLen || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := range len(l) {
		if c := l[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

func validBackendName(name string) bool {
	if name == "" {
		return false
	}
	for i := range len(name) {
		if c := name[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && !strings.ContainsRune("_.-", rune(c)) {
			return false
		}
	}
	return true
}

// namesHashSizes sizes nginx's hash of exact server names (plus "_") so
// that nginx never has to warn or fail. A bucket may hold four entries of
// the longest name and the table may grow to four slots per name; nginx
// allocates buckets by their actual contents, so generous bounds are free.
func namesHashSizes(servers []model.Server) (bucket, maxSize int) {
	names, longest := 1, len("_")
	for _, s := range servers {
		if s.Host != "" && !s.Wildcard() {
			names++
			longest = max(longest, len(s.Host))
		}
	}
	// nginx's NGX_HASH_ELT_SIZE on 64-bit: a pointer, then the name
	// length (2 bytes) and the name, aligned to a pointer.
	entry := 8 + (longest+2+7)&^7
	return nextPow2(max(64, 8+4*entry)), max(512, 4*nextPow2(names))
}

func nextPow2(n int) int { return 1 << bits.Len(uint(n-1)) }
