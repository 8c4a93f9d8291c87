package render

import (
	"cmp"
	"fmt"
	"math/bits"
	"net/http"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/archway-ingress/archway/internal/grammar"
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

	// Hashes sizes the map and variables hashes; see policyHashSizes.
	Hashes hashSizesView

	StatusListen string
	AccessLog    string // the quoted access_log destination of the metrics
	// HumanLog is the access log for people and log pipelines; nil when
	// off.
	HumanLog       *accessLogView
	StubStatusPath string
	VersionPath    string
	Version        string // the quoted versionPlaceholder; see Render
	// WorkerShutdownTimeout is an nginx time; empty leaves nginx's default.
	WorkerShutdownTimeout string
	// HTTP holds the workers', connections' and compression settings.
	HTTP     httpView
	Balancer balancerView
	// TraceSampler is $archway_trace_sampler (tracing.go).
	TraceSampler string
	// ProxyHeaders are the request headers sent to every backend.
	ProxyHeaders []headerView
	// Clients says how the client address is found; TLS holds the HTTPS
	// defaults, nil without HTTPS.
	Clients clientsView
	TLS     *httpTLSView
	// Policy holds the zones and maps the annotations need.
	Policy  httpPolicyView
	Servers []serverView
	// SharedMaps give the hosts of shared servers their values (shared.go).
	SharedMaps []sharedMapView
	// Stream is the stream {} block of the TCP and UDP services
	// (stream.go); nil leaves the stream modules unloaded.
	Stream  *streamBlockView
	streams streams
	// files are the files the annotations need (htpasswd, certificates).
	files []File
	// accessLogStream is Output.AccessLogStream.
	accessLogStream string
}

type tempPathView struct{ Directive, Path string }

type serverView struct {
	Name      string
	Locations []locationView
	// Internal holds the named and internal locations of annotations.
	Internal serverPolicyView
	// Edge holds the HTTPS listener, certificate and instance allow-list.
	Edge serverEdgeView
	// Snippet and SnippetLocations are the server-snippet's directives
	// and location blocks (see snippet.go).
	Snippet          []string
	SnippetLocations []snippetLocationView
	// shareAs is the quoted host of a server that nginx chooses by that
	// exact name alone, which may share its block (shared.go); "" for
	// the others.
	shareAs string
}

type locationView struct {
	// Modifier is "= ", "^~ ", "~* " or "": how nginx matches Path.
	Modifier string
	Path     string
	// PassDirective is proxy_pass or grpc_pass.
	PassDirective string
	ProxyPass     string // empty: answer Status
	Backend       string // the quoted backend name, for the balancer
	Status        int
	Log           logVarsView
	// MetricsPath is the quoted path label of the request metrics.
	MetricsPath string
	Policy      *policyView // nil when the location has no annotations
}

// route is what a location does: proxy to the balancer upstream for a
// backend (a quoted name), or answer status.
type route struct {
	proxyPass string
	backend   string
	status    int
	service   string // the backend's Service name, for the access log
	policy    *policyView
}

const (
	// versionPlaceholder stands in for the version while the config is
	// hashed. Its NUL bytes are refused by quote, so no value from the
	// model can contain it.
	versionPlaceholder = "\x00archway-config-version\x00"
	// maxSocketPath is the longest unix socket path: sun_path holds 108
	// bytes, including the terminating NUL.
	maxSocketPath = 107
)

// newConfView returns the view of cfg; the embedded njs module is in
// njsDir of the runtime dir.
func newConfView(cfg model.Config, opts Options, njsDir string) (confView, error) {
	v, err := mainView(opts)
	if err != nil {
		return confView{}, fmt.Errorf("options: %w", err)
	}
	routes, err := backendRoutes(cfg.Backends)
	if err != nil {
		return confView{}, err
	}
	unmatched := http.StatusNotFound
	if cfg.DefaultBackendUnavailable {
		unmatched = http.StatusServiceUnavailable
	}
	fallback, err := resolve(routes, cfg.DefaultBackend, unmatched)
	if err != nil {
		return confView{}, fmt.Errorf("default backend: %w", err)
	}
	pol := newPolicies(opts, routes, cfg.DefaultBackend)
	if pol.redirectCode = cmp.Or(cfg.Settings.HTTP.RedirectCode, http.StatusPermanentRedirect); !slices.Contains([]int{301, 302, 307, 308}, pol.redirectCode) {
		return confView{}, fmt.Errorf("settings: HTTPS redirect status %d", pol.redirectCode)
	}
	if pol.headers, err = proxyHeaders(cfg.Settings.Headers); err != nil {
		return confView{}, fmt.Errorf("settings: %w", err)
	}
	if err := pol.serverHeaders(cfg.Settings.Headers); err != nil {
		return confView{}, fmt.Errorf("settings: %w", err)
	}
	edge, tls, err := newEdge(cfg, opts, pol)
	if err != nil {
		return confView{}, err
	}
	if v.HTTP, err = newHTTPView(cfg.Settings.HTTP); err != nil {
		return confView{}, fmt.Errorf("settings: %w", err)
	}
	if v.Clients, err = newClientsView(cfg.Settings.Clients, cfg.Settings.HTTP.NoTLSRedirectLocations, cfg.Passthrough != nil); err != nil {
		return confView{}, fmt.Errorf("settings: %w", err)
	}
	v.TLS = tls
	if err := wafViews(&cfg, pol); err != nil {
		return confView{}, fmt.Errorf("modsecurity: %w", err)
	}
	if v.HumanLog, v.accessLogStream, err = newAccessLogView(cfg.Settings.AccessLog); err != nil {
		return confView{}, err
	}
	if v.TraceSampler, err = traceSampler(cfg.Settings.Tracing); err != nil {
		return confView{}, fmt.Errorf("settings: %w", err)
	}
	if v.streams, err = newStreams(cfg.Streams, edge.addresses, opts.RuntimeDir, njsDir, cfg.Passthrough != nil); err != nil {
		return confView{}, err
	}
	v.Stream = v.streams.block
	if v.Stream != nil {
		var endpoints []File
		if v.Stream.Passthrough, endpoints, err = newPassthroughView(cfg, opts, edge); err != nil {
			return confView{}, err
		}
		v.streams.endpoints = append(v.streams.endpoints, endpoints...)
	}
	servers, err := serverViews(cfg.Servers, routes, fallback, pol, edge)
	if err != nil {
		return confView{}, err
	}
	v.Servers, v.SharedMaps = shareServers(servers)
	v.ProxyHeaders, v.Policy, v.files = pol.proxyHeaders(), pol.http, pol.files
	v.NamesHashBucketSize, v.NamesHashMaxSize = namesHashSizes(cfg.Servers)
	v.Hashes = policyHashSizes(v.Policy, v.HumanLog, v.SharedMaps)
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
	accessLog, err := accessLogTarget()
	if err != nil {
		return confView{}, err
	}
	var q quoter
	v := confView{
		AccessLog:      accessLog,
		StubStatusPath: q.quote(StubStatusPath),
		PIDFile:        q.quote(filepath.Join(dir, "nginx.pid")),
		StatusListen:   q.quote("unix:" + socket),
		VersionPath:    q.quote(VersionPath),
		Version:        `"` + versionPlaceholder + `"`,
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

// backendRoutes returns the route of every backend. All of them proxy to
// the balancer upstream, which finds the backend's endpoints at runtime
// (see endpoints.go): endpoints never reach nginx.conf, and a backend
// without endpoints answers 503 there.
func backendRoutes(backends []model.Backend) (map[string]route, error) {
	routes := make(map[string]route, len(backends))
	var q quoter
	for _, b := range backends {
		if !validBackendName(b.Name) {
			return nil, fmt.Errorf("backend %q: name must be made of [a-z0-9_.-]", b.Name)
		}
		if _, dup := routes[b.Name]; dup {
			return nil, fmt.Errorf("backend %q: duplicate name", b.Name)
		}
		name := q.quote(b.Name)
		if q.err != nil {
			return nil, fmt.Errorf("backend %q: %w", b.Name, q.err)
		}
		routes[b.Name] = route{proxyPass: balancerPass, backend: name, service: b.Service.Name}
	}
	return routes, nil
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
// when the model has no Host "" server; so is the catch-all of each
// Gateway with ports of its own.
//
// A large config's plain servers (plainServer) are made on every CPU: they
// read pol and edge but change nothing in them, so they need not wait for
// the servers before them. The other servers, whose policies add zones,
// maps and files to the http block in server order, are made in order on
// this goroutine. Each server's view and error go to its own slot, and the
// first error in server order is returned, as if made one after another.
func serverViews(servers []model.Server, routes map[string]route, fallback route, pol *policies, edge *edge) ([]serverView, error) {
	for _, gw := range append([]model.Ref{{}}, edge.gatewayOrder...) {
		if !slices.ContainsFunc(servers, func(s model.Server) bool { return s.Host == "" && s.Gateway == gw }) {
			servers = append([]model.Server{{Gateway: gw}}, servers...)
		}
	}
	servers = anyDepthLast(servers)
	views, errs := make([]serverView, len(servers)), make([]error, len(servers))
	type serverKey struct {
		gateway model.Ref
		host    string
	}
	seen := make(map[serverKey]bool, len(servers))
	for i, s := range servers {
		if seen[serverKey{s.Gateway, s.Host}] {
			errs[i] = fmt.Errorf("server %q: duplicate host", s.Host)
		}
		seen[serverKey{s.Gateway, s.Host}] = true
	}
	makeAll := func(m *serverMaker, want func(i int) bool) {
		for i := range servers {
			if want(i) && errs[i] == nil { // want first: a slot is read by its goroutine only
				views[i], errs[i] = m.view(servers[i])
			}
		}
	}
	chunks := runtime.GOMAXPROCS(0)
	if len(servers) < parallelRange || chunks == 1 {
		makeAll(newServerMaker(routes, fallback, pol, edge), func(int) bool { return true })
	} else {
		edge.listen(false) // fills its cache before the goroutines read it
		plain := make([]bool, len(servers))
		for i := range servers {
			plain[i] = plainServer(&servers[i])
		}
		var wg sync.WaitGroup
		for c := 1; c < chunks; c++ {
			// A copy of pol of its own: startServer sets its current server.
			local := *pol
			m := newServerMaker(routes, fallback, &local, edge)
			wg.Go(func() { makeAll(m, func(i int) bool { return plain[i] && i*chunks/len(servers) == c }) })
		}
		makeAll(newServerMaker(routes, fallback, pol, edge), func(i int) bool { return !plain[i] || i*chunks/len(servers) == 0 })
		wg.Wait()
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return views, nil
}

// plainServer reports whether the view of s reads pol and edge only: no
// client certificates, snippet or annotations, and not the catch-all
// server, which may hold the default certificate.
func plainServer(s *model.Server) bool {
	if s.Host == "" || s.ClientAuth != nil || s.Snippet != nil {
		return false
	}
	for i := range s.Locations {
		if !s.Locations[i].Policy.IsZero() {
			return false
		}
	}
	return true
}

// serverMaker makes server views, one after another, into shared blocks
// (locationSet, quoter).
type serverMaker struct {
	q        quoter
	set      locationSet
	routes   map[string]route
	fallback route
	pol      *policies
	edge     *edge
}

func newServerMaker(routes map[string]route, fallback route, pol *policies, edge *edge) *serverMaker {
	m := &serverMaker{routes: routes, fallback: fallback, pol: pol, edge: edge}
	m.set.q = &m.q
	return m
}

// view returns the view of s.
func (m *serverMaker) view(s model.Server) (serverView, error) {
	name, err := serverName(&m.q, s)
	if err == nil {
		name, err = withAliases(name, s.Aliases)
	}
	if err != nil {
		return serverView{}, fmt.Errorf("server %q: %w", s.Host, err)
	}
	m.pol.startServer(&s)
	m.set.snippetRegex = s.Snippet != nil && slices.ContainsFunc(s.Snippet.Locations, model.SnippetLocation.Regex)
	locs, err := m.set.locationViews(s.Host, s.Locations, m.routes, m.fallback, m.pol)
	if err != nil {
		return serverView{}, fmt.Errorf("server %q: %w", s.Host, err)
	}
	snippet, snippetLocs, err := m.pol.serverSnippet(&s, &m.set)
	if err != nil {
		return serverView{}, fmt.Errorf("server %q: %w", s.Host, err)
	}
	listeners, err := m.edge.server(s, s.Host == "")
	if err != nil {
		return serverView{}, fmt.Errorf("server %q: %w", s.Host, err)
	}
	view := serverView{Name: name, Locations: locs, Internal: m.pol.server, Edge: listeners,
		Snippet: snippet, SnippetLocations: snippetLocs}
	// A name without a dot could be a map's keyword (default,
	// include, ...). The maps go by $host alone, so only the
	// servers of the HTTP and HTTPS ports share.
	if s.Gateway == (model.Ref{}) && s.Host != "" && !s.Wildcard() && len(s.Aliases) == 0 && strings.Contains(s.Host, ".") {
		view.shareAs = name
	}
	return view, nil
}

// anyDepthLast returns servers with the AnyDepth wildcards last, longest
// suffix first: nginx tries regex server names in their order, and a
// wildcard of one label, or of a longer suffix, is the more specific.
func anyDepthLast(servers []model.Server) []model.Server {
	if !slices.ContainsFunc(servers, func(s model.Server) bool { return s.AnyDepth }) {
		return servers
	}
	out := slices.Clone(servers)
	slices.SortStableFunc(out, func(a, b model.Server) int {
		if a.AnyDepth != b.AnyDepth {
			if a.AnyDepth {
				return 1
			}
			return -1
		}
		if a.AnyDepth {
			return len(b.Host) - len(a.Host)
		}
		return 0
	})
	return out
}

// serverName returns the server_name token of s. A wildcard host becomes a
// regex because nginx's own "*.example.com" matches any number of extra
// labels, while the Ingress spec allows exactly one (AnyDepth: one or
// more, as nginx's own, but tried after the regexes of one label, which
// its leading wildcards are not). nginx tries exact names before regexes,
// so an exact host beats a wildcard.
func serverName(q *quoter, s model.Server) (string, error) {
	switch {
	case s.Host == "":
		return q.quote("_"), q.err
	case s.Wildcard():
		suffix := s.Host[len("*."):]
		if err := grammar.CheckDNSName(s.Host, true); err != nil {
			return "", fmt.Errorf("host is %w", err)
		}
		labels := `[^.]+`
		if s.AnyDepth {
			labels = `.+`
		}
		// suffix is made of [a-z0-9.-] only; quote would refuse the
		// regex's '\' and '$', which are safe inside the quotes.
		return `"~^` + labels + `\.` + strings.ReplaceAll(suffix, ".", `\.`) + `$"`, nil
	default:
		if err := grammar.CheckDNSName(s.Host, false); err != nil {
			return "", fmt.Errorf("host is %w", err)
		}
		return q.quote(s.Host), q.err
	}
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
		for _, a := range s.Aliases {
			names++
			longest = max(longest, len(a))
		}
	}
	return hashSizes(names, longest, 64, 512)
}

func nextPow2(n int) int { return 1 << bits.Len(uint(n-1)) }
