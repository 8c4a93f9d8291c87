package model

import "time"

// HTTPSettings are the ConfigMap's settings of nginx's workers, of client
// and backend connections and of compression. The zero value of a field
// means the default of its key (docs/configmap.md), so that a Config
// built without a ConfigMap renders as one with every key at its default.
type HTTPSettings struct {
	// WorkerProcesses is the number of workers; 0 is one per CPU.
	WorkerProcesses   int
	WorkerConnections int
	// WorkerOpenFiles is worker_rlimit_nofile; 0 leaves the limit alone.
	WorkerOpenFiles int
	ErrorLogLevel   string

	// Client connections; KeepAlive 0 closes each after its request.
	KeepAlive                *time.Duration
	KeepAliveRequests        int
	ClientHeaderBufferSize   Size
	LargeClientHeaderBuffers Buffers
	ClientHeaderTimeout      time.Duration
	ClientBodyTimeout        time.Duration
	UnderscoresInHeaders     bool
	// KeepInvalidHeaders passes request headers with invalid names on.
	KeepInvalidHeaders bool
	ServerTokens       bool
	LimitReqStatus     int
	LimitConnStatus    int
	// RedirectCode is the status of HTTPS redirects; 0 is 308.
	RedirectCode int
	// NoTLSRedirectLocations are the path prefixes (whole segments)
	// never redirected to HTTPS; nil is DefaultNoTLSRedirectLocations.
	NoTLSRedirectLocations []string

	// Connections to backends kept open; UpstreamKeepalive 0 keeps none.
	UpstreamKeepalive         *int
	UpstreamKeepaliveTimeout  time.Duration
	UpstreamKeepaliveRequests int
	UpstreamKeepaliveTime     time.Duration

	// Gzip compresses responses of GzipTypes from GzipMinLength bytes.
	Gzip          bool
	GzipLevel     int
	GzipMinLength *int
	GzipTypes     []string

	// Brotli compresses responses of BrotliTypes from BrotliMinLength
	// bytes for clients that accept br.
	Brotli          bool
	BrotliLevel     *int
	BrotliMinLength *int
	BrotliTypes     []string
}

// Buffers is a number of buffers of one size.
type Buffers struct {
	Number int
	Size   Size
}

// DefaultNoTLSRedirectLocations is ingress-nginx's default
// no-tls-redirect-locations: ACME HTTP-01 challenges, which cert-manager's
// solver answers over plain HTTP.
const DefaultNoTLSRedirectLocations = "/.well-known/acme-challenge"

// DefaultGzipTypes are ingress-nginx's default gzip-types and brotli-types.
const DefaultGzipTypes = "application/atom+xml application/javascript application/x-javascript application/json application/rss+xml " +
	"application/vnd.ms-fontobject application/x-font-ttf application/x-web-app-manifest+json application/xhtml+xml application/xml " +
	"font/opentype image/svg+xml image/x-icon text/css text/javascript text/plain text/x-component"
