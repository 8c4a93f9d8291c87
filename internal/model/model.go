package model

import "strings"

// Config is everything one archway instance serves.
type Config struct {
	// Servers are sorted by Gateway, then Host; each Host appears once
	// per Gateway.
	Servers []Server
	// DefaultBackend is the Backend.Name that serves requests no rule
	// matches; empty means such requests get 404, or 503 when
	// DefaultBackendUnavailable.
	DefaultBackend string
	// DefaultBackendUnavailable says that a default backend was asked for
	// (spec.defaultBackend or --default-backend-service) and cannot serve.
	DefaultBackendUnavailable bool
	// Backends are sorted by Name and referenced by Location.Backend.
	Backends []Backend
	// Settings come from the controller's ConfigMap.
	Settings Settings
	// DefaultCertificate answers HTTPS requests for hosts without a
	// certificate of their own; nil means no HTTPS listener.
	DefaultCertificate *Certificate
	// CatchAllCertificate answers the TLS handshakes whose server name
	// (SNI) no Server has, those the catch-all server answers; nil means
	// DefaultCertificate, as do handshakes without a server name.
	CatchAllCertificate *Certificate
	// Streams are the TCP and UDP services (stream.go), sorted by
	// Protocol, then Port.
	Streams []StreamServer
	// Passthrough, with --enable-ssl-passthrough, serves the HTTPS port
	// (passthrough.go); nil leaves it to the HTTP servers.
	Passthrough *Passthrough
	// GatewayPorts are the Gateways served on nginx ports of their own
	// (gateway.go), sorted by Gateway.
	GatewayPorts []GatewayPorts
}

// Server is one virtual host.
type Server struct {
	// Gateway, when set, is the Gateway of GatewayPorts whose ports alone
	// serve this server; the zero Ref is the HTTP and HTTPS ports of the
	// Ingresses (and of the Gateways without ports of their own).
	Gateway Ref
	// Host is an exact DNS name ("foo.example.com"), a wildcard with one
	// leading label ("*.example.com"), which matches exactly one extra label
	// (or one or more with AnyDepth), or "": the catch-all server for
	// requests whose Host matches no other server.
	Host string
	// AnyDepth makes a wildcard Host match one or more extra labels, as a
	// Gateway API wildcard does. Of the wildcards that match a name, those
	// of one label come first, then the longest suffix.
	AnyDepth bool
	// Aliases are more exact DNS names this server answers for (the
	// server-alias annotation); sorted, and never the Host or an Alias of
	// another server.
	Aliases []string
	// Locations are sorted by Path, then Match; no two share Path and Match.
	Locations []Location
	// Certificate answers HTTPS requests for Host (by SNI); nil means
	// Config.DefaultCertificate.
	Certificate *Certificate
	// ClientAuth asks HTTPS clients for a certificate; nil asks none.
	// Never on the catch-all server (Host ""), whose TLS settings other
	// servers share.
	ClientAuth *ClientAuth
	// Snippet holds the directives and locations of the owner's
	// server-snippet, nil without one; its locations never share a path
	// with Locations.
	Snippet *Snippet
}

// Wildcard reports whether the server's host is a wildcard host.
func (s Server) Wildcard() bool { return len(s.Host) > 2 && s.Host[:2] == "*." }

// Match is how a Location's Path is compared with the request path.
type Match string

const (
	// MatchExact matches the path only, case-sensitively.
	MatchExact Match = "Exact"
	// MatchPrefix matches by whole path elements: "/foo" matches "/foo",
	// "/foo/" and "/foo/bar", never "/foobar". Path never ends in "/"
	// unless it is "/" itself.
	MatchPrefix Match = "Prefix"
	// MatchRegex matches when the request path starts with a match of
	// Path, a regular expression (use-regex), case-insensitively as in
	// ingress-nginx. Exact and Prefix paths other than "/" take precedence
	// over every regex; regexes are tried longest first.
	MatchRegex Match = "Regex"
)

// InternalPath begins the paths of the locations that archway adds to
// servers for itself (auth subrequests). No Exact or Prefix Location may
// be InternalPath or lie under it; see Internal.
const InternalPath = "/_archway"

// Internal reports whether path is InternalPath or under it.
func Internal(path string) bool {
	return strings.HasPrefix(path, InternalPath) && (len(path) == len(InternalPath) || path[len(InternalPath)] == '/')
}

// Location routes one path of one server to a backend.
type Location struct {
	Path  string
	Match Match
	// Backend is a Backend.Name; empty means "no backend": answer 503,
	// or 500 when Unresolved.
	Backend string
	// Unresolved says that the route named backends none of which can be
	// used (a Gateway API rule whose backendRefs are all invalid), which
	// the Gateway API answers with 500; only without a Backend.
	Unresolved bool
	// Owner is the object this route comes from.
	Owner Owner
	// Policy is what the owner asks of this route (an Ingress's
	// annotations); nil asks nothing, as the zero Policy does, and Build
	// gives nil rather than a zero Policy. Locations share policies (the
	// paths of one Ingress share its policy), so a Policy in a Config is
	// never written: a change is a changed copy.
	Policy *Policy
	// Canaries are alternative backends (see Canary), oldest canary
	// Ingress first; only on a Location with a Backend.
	Canaries []Canary
	// Candidates, when set, route the Location instead of Backend and
	// Canaries, which are then empty: the first Candidate whose conditions
	// hold serves the request, and a request none takes gets 404.
	Candidates []Candidate
}

// Ref names a namespaced Kubernetes object.
type Ref struct {
	Namespace string
	Name      string
}

func (r Ref) String() string { return r.Namespace + "/" + r.Name }

// Backend is one Service port and its ready endpoints.
type Backend struct {
	// Name is unique in a Config and made only of [a-z0-9_.-].
	Name    string
	Service Ref
	// Port is the Service port as the Ingress named it (number or name).
	Port string
	// Endpoints are sorted by Address then Port; empty means every request
	// to this backend gets 503.
	Endpoints []Endpoint
	// Balancing travels with Endpoints: neither is part of nginx.conf.
	Balancing Balancing
}

// Endpoint is one ready address of a backend.
type Endpoint struct {
	Address string // an IPv4 or IPv6 address, no brackets
	Port    int32
}
