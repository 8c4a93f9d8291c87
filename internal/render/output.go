package render

import (
	"io/fs"
	"net/netip"
)

// Names shared with package nginx. Paths are relative to the runtime dir.
const (
	// ConfigFile is the main nginx configuration file.
	ConfigFile = "nginx.conf"
	// StatusSocket is a unix socket, reachable only through the runtime
	// dir, on which nginx answers GET VersionPath with the Version of the
	// configuration its workers run.
	StatusSocket = "nginx-status.sock"
	// VersionPath is the request path that answers the config version.
	VersionPath = "/archway/config-version"
	// PrivateDir is a folder that package nginx creates 0700, so that only
	// archway's user (and root) can reach the sockets in it.
	PrivateDir = "private"
	// EndpointsSocket is a unix socket in PrivateDir on which nginx takes
	// Output.Endpoints: POST to EndpointsPath.
	EndpointsSocket = PrivateDir + "/endpoints.sock"
	// StreamEndpointsDir is a folder of one file per TCP and UDP service,
	// named "<protocol>_<port>", that lists its endpoints: Output's
	// StreamEndpoints.
	StreamEndpointsDir = "stream-endpoints"
	// EndpointsPath is the request path that takes the endpoints payload.
	// With the query "merge=1", backends missing from the payload are kept;
	// a backend whose value is null is deleted.
	EndpointsPath = "/archway/endpoints"
)

// File is one file of a rendered configuration.
type File struct {
	Name string // relative to the runtime dir, e.g. "nginx.conf"
	Data []byte
	Mode fs.FileMode // 0600 for key material, 0644 otherwise
	// Group is the group that must be able to read the file (nginx's
	// workers', with Mode 0640); "" keeps archway's own.
	Group string
}

// Output is a complete rendered configuration.
type Output struct {
	// Version identifies the bytes of Files: equal Files, equal Version.
	// nginx serves it at VersionPath so that a reload can be verified.
	Version string
	// Files always contain ConfigFile.
	Files []File
	// Endpoints are every backend's endpoints and balancing as JSON (see
	// endpoints.go), and the certificates of hosts (certificates.go), for
	// nginx to take at runtime on EndpointsSocket, whole or as the
	// changes since what it holds. They are not part of Version or
	// Files: neither endpoints nor renewed certificates cause a reload.
	// Equal models give equal Endpoints.
	Endpoints Endpoints
	// AccessLogStream is archway's stream, "stdout" or "stderr", that
	// package nginx copies nginx's stdout (the access log) to; "" when
	// the access log is off or goes to a file.
	AccessLogStream string
	// ErrorLogLevel is the least severity of the nginx error log lines
	// that package nginx passes on to archway's stderr, the ConfigMap's
	// error-log-level. nginx.conf logs at notice at least whatever it
	// says: package nginx follows each reload by the master's notices.
	ErrorLogLevel string
	// StreamEndpoints are the files of StreamEndpointsDir, which nginx
	// reads for each new TCP connection and UDP session: package nginx
	// writes the ones that changed (atomically) and removes the others.
	// Like Endpoints they are not part of Version or Files: endpoints
	// never cause a reload.
	StreamEndpoints []File
	// StreamPorts are the ports of the TCP and UDP services, which nginx
	// binds only when it loads the config: package nginx checks that a
	// new one is free before nginx tries.
	StreamPorts []StreamPort
}

// StreamPort is a port that a TCP or UDP service listens on.
type StreamPort struct {
	Network string // "tcp" or "udp", as package net names them
	Port    int
}

// Options are the instance settings that shape nginx.conf but are not part
// of the model.
type Options struct {
	HTTPPort   int
	HTTPSPort  int
	RuntimeDir string // absolute
	// User runs the worker processes ("nobody"); empty when archway is not
	// root, since nginx can only switch users as root.
	User string
	// Group is User's group ("nogroup" on Debian); empty means the group
	// named like User, which nginx then requires to exist.
	Group string
	// Resolvers are the DNS servers nginx asks for the names it resolves
	// while serving (auth-url hosts); the system's, from resolv.conf.
	Resolvers []netip.Addr
	// NoIPv6 says the host cannot open IPv6 sockets (IPv6 off in its
	// kernel), where nginx would fail to listen on [::]: the default
	// listeners are then IPv4 only, as with disable-ipv6.
	NoIPv6 bool
}
