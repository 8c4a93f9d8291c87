package render

import "io/fs"

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
)

// File is one file of a rendered configuration.
type File struct {
	Name string // relative to the runtime dir, e.g. "nginx.conf"
	Data []byte
	Mode fs.FileMode // 0600 for key material, 0644 otherwise
}

// Output is a complete rendered configuration.
type Output struct {
	// Version identifies the bytes of Files: equal Files, equal Version.
	// nginx serves it at VersionPath so that a reload can be verified.
	Version string
	// Files always contain ConfigFile.
	Files []File
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
}
