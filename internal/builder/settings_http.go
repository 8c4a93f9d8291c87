package builder

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
)

// Grammars of the keys below, shown in the docs.
const (
	sizeSyntax   = "size: bytes, or a number with `k`, `m` or `g` (`512`, `8k`, `16m`)"
	numberSyntax = "a number from %d to %d"
)

// workerSettings are the ConfigMap keys of nginx's worker processes (see
// model.HTTPSettings).
func workerSettings() []SettingSpec {
	const g = "Workers"
	h := func(s *model.Settings) *model.HTTPSettings { return &s.HTTP }
	return []SettingSpec{
		{Key: "worker-processes", Group: g, Scope: ScopeGlobal, Syntax: "`auto` (one per CPU) or " + fmt.Sprintf(numberSyntax, 1, 1024), Default: "auto",
			Doc: "Number of nginx worker processes.",
			set: parseInto(workerProcesses, func(s *model.Settings) *int { return &h(s).WorkerProcesses })},
		{Key: "max-worker-connections", Group: g, Scope: ScopeGlobal, Syntax: fmt.Sprintf(numberSyntax, 512, 1<<20), Default: "16384",
			Doc: "Connections each worker may hold open, clients and backends together (ingress-nginx's `0`, from the open files limit, is refused).",
			set: parseInto(grammar.IntRange(512, 1<<20), func(s *model.Settings) *int { return &h(s).WorkerConnections })},
		{Key: "max-worker-open-files", Group: g, Scope: ScopeGlobal, Syntax: fmt.Sprintf(numberSyntax, 0, 1<<20), Default: "0",
			Doc: "Open files limit of each worker (`worker_rlimit_nofile`); `0` keeps the limit archway was started with.",
			set: parseInto(grammar.IntRange(0, 1<<20), func(s *model.Settings) *int { return &h(s).WorkerOpenFiles })},
		{Key: "error-log-level", Group: g, Scope: ScopeGlobal, Syntax: "`debug`, `info`, `notice`, `warn`, `error`, `crit`, `alert` or `emerg`", Default: "notice",
			Doc: "Least severity of nginx's error log lines that archway passes on to its stderr. nginx itself always logs at `notice` or more verbosely, as archway learns how each reload went from nginx's notices; archway then drops the lines below this level.",
			set: parseInto(grammar.OneOf("debug", "info", "notice", "warn", "error", "crit", "alert", "emerg"), func(s *model.Settings) *string { return &h(s).ErrorLogLevel })},
	}
}

// redirectCode accepts the statuses of a redirect that keeps the URI:
// 301, 302, 307 or 308.
func redirectCode(s string) (int, error) {
	n, err := grammar.IntRange(301, 308)(s)
	if err != nil || n > 302 && n < 307 {
		return 0, errors.New("want 301, 302, 307 or 308")
	}
	return n, nil
}

// workerProcesses is "auto" (0) or a number of workers.
func workerProcesses(s string) (int, error) {
	if s == "auto" {
		return 0, nil
	}
	n, err := grammar.IntRange(1, 1024)(s)
	if err != nil {
		return 0, errors.New(`want "auto" or a whole number from 1 to 1024`)
	}
	return n, nil
}

// clientConnectionSettings are the ConfigMap keys of client connections
// and requests.
func clientConnectionSettings() []SettingSpec {
	const g = "Client connections"
	h := func(s *model.Settings) *model.HTTPSettings { return &s.HTTP }
	status := grammar.IntRange(400, 599)
	return []SettingSpec{
		{Key: "keep-alive", Group: g, Scope: ScopeGlobal, Syntax: durationSyntax + ", at most an hour", Default: "75",
			Doc: "How long an idle client connection stays open; `0` closes each after its request.",
			set: parseInto(optional(grammar.Durations(0, time.Hour)), func(s *model.Settings) **time.Duration { return &h(s).KeepAlive })},
		{Key: "keep-alive-requests", Group: g, Scope: ScopeGlobal, Syntax: fmt.Sprintf(numberSyntax, 1, 1_000_000), Default: "1000",
			Doc: "Requests a client connection may carry before it is closed.",
			set: parseInto(grammar.IntRange(1, 1_000_000), func(s *model.Settings) *int { return &h(s).KeepAliveRequests })},
		{Key: "client-header-buffer-size", Group: g, Scope: ScopeGlobal, Syntax: sizeSyntax + ", from 1 byte to 1m", Default: "1k",
			Doc: "Buffer for a request's headers; larger headers use large-client-header-buffers.",
			set: parseInto(sizeBetween(1, 1<<20), func(s *model.Settings) *model.Size { return &h(s).ClientHeaderBufferSize })},
		{Key: "large-client-header-buffers", Group: g, Scope: ScopeGlobal, Syntax: "a number from 1 to 64 and a size from 1k to 1m (`4 16k`)", Default: "4 8k",
			Doc: "Buffers for large request headers: the request line and each header must fit one (414 or 400 otherwise).",
			set: parseInto(buffers(1, 64, 1<<10, 1<<20), func(s *model.Settings) *model.Buffers { return &h(s).LargeClientHeaderBuffers })},
		{Key: "client-header-timeout", Group: g, Scope: ScopeGlobal, Syntax: durationSyntax + ", from `1ms` to a day", Default: "60",
			Doc: "Time to receive a request's headers (408 when exceeded).",
			set: parseInto(grammar.Durations(time.Millisecond, 24*time.Hour), func(s *model.Settings) *time.Duration { return &h(s).ClientHeaderTimeout })},
		{Key: "client-body-timeout", Group: g, Scope: ScopeGlobal, Syntax: durationSyntax + ", from `1ms` to a day", Default: "60",
			Doc: "Longest wait between two reads of a request's body (408 when exceeded).",
			set: parseInto(grammar.Durations(time.Millisecond, 24*time.Hour), func(s *model.Settings) *time.Duration { return &h(s).ClientBodyTimeout })},
		{Key: "enable-underscores-in-headers", Group: g, Scope: ScopeGlobal, Syntax: boolSyntax, Default: "false",
			Doc: "Accept request headers whose names hold `_` (nginx drops them otherwise).",
			set: parseInto(grammar.Bool, func(s *model.Settings) *bool { return &h(s).UnderscoresInHeaders })},
		{Key: "ignore-invalid-headers", Group: g, Scope: ScopeGlobal, Syntax: boolSyntax, Default: "true",
			Doc: "Drop request headers with invalid names instead of passing them on.",
			set: parseInto(not(grammar.Bool), func(s *model.Settings) *bool { return &h(s).KeepInvalidHeaders })},
		{Key: "server-tokens", Group: g, Scope: ScopeGlobal, Syntax: boolSyntax, Default: "false",
			Doc: "Send nginx's version in the `Server` header and error pages (nginx's own default is on).",
			set: parseInto(grammar.Bool, func(s *model.Settings) *bool { return &h(s).ServerTokens })},
		{Key: "limit-req-status-code", Group: g, Scope: ScopeGlobal, Syntax: fmt.Sprintf(numberSyntax, 400, 599), Default: "503",
			Doc: "Status of requests refused by `limit-rps` and `limit-rpm`.",
			set: parseInto(status, func(s *model.Settings) *int { return &h(s).LimitReqStatus })},
		{Key: "http-redirect-code", Group: g, Scope: ScopeGlobal, Syntax: "`301`, `302`, `307` or `308`", Default: "308",
			Doc: "Status of the redirects of plain HTTP requests to HTTPS (`ssl-redirect`, `force-ssl-redirect`).",
			set: parseInto(redirectCode, func(s *model.Settings) *int { return &h(s).RedirectCode })},
		{Key: "no-tls-redirect-locations", Group: g, Scope: ScopeGlobal, Syntax: "comma-separated paths of letters, digits and `-._~/`", Default: model.DefaultNoTLSRedirectLocations,
			Doc: "Path prefixes never redirected to HTTPS, each matching whole path segments (`/a` covers `/a` and `/a/b`, not `/ab`). On a server that requires client certificates they are still refused over plain HTTP, except ACME challenges.",
			set: parseInto(grammar.List(grammar.URLPath), func(s *model.Settings) *[]string { return &h(s).NoTLSRedirectLocations })},
		{Key: "limit-conn-status-code", Group: g, Scope: ScopeGlobal, Syntax: fmt.Sprintf(numberSyntax, 400, 599), Default: "503",
			Doc: "Status of requests refused by `limit-connections`.",
			set: parseInto(status, func(s *model.Settings) *int { return &h(s).LimitConnStatus })},
	}
}

// upstreamSettings are the ConfigMap keys of the connections to backends
// that nginx keeps open.
func upstreamSettings() []SettingSpec {
	const g = "Backend connections"
	h := func(s *model.Settings) *model.HTTPSettings { return &s.HTTP }
	return []SettingSpec{
		{Key: "upstream-keepalive-connections", Group: g, Scope: ScopeGlobal, Syntax: fmt.Sprintf(numberSyntax, 0, 100_000), Default: "320",
			Doc: "Idle backend connections each worker keeps open for reuse; `0` closes each after its request.",
			set: parseInto(optional(grammar.IntRange(0, 100_000)), func(s *model.Settings) **int { return &h(s).UpstreamKeepalive })},
		{Key: "upstream-keepalive-timeout", Group: g, Scope: ScopeGlobal, Syntax: durationSyntax + ", from `1ms` to a day", Default: "60",
			Doc: "How long an idle backend connection stays open.",
			set: parseInto(grammar.Durations(time.Millisecond, 24*time.Hour), func(s *model.Settings) *time.Duration { return &h(s).UpstreamKeepaliveTimeout })},
		{Key: "upstream-keepalive-requests", Group: g, Scope: ScopeGlobal, Syntax: fmt.Sprintf(numberSyntax, 1, 1_000_000), Default: "10000",
			Doc: "Requests a backend connection may carry before it is closed (nginx's own default is 1000).",
			set: parseInto(grammar.IntRange(1, 1_000_000), func(s *model.Settings) *int { return &h(s).UpstreamKeepaliveRequests })},
		{Key: "upstream-keepalive-time", Group: g, Scope: ScopeGlobal, Syntax: durationSyntax + ", from `1ms` to a week", Default: "1h",
			Doc: "Longest life of a backend connection kept open.",
			set: parseInto(grammar.Durations(time.Millisecond, 7*24*time.Hour), func(s *model.Settings) *time.Duration { return &h(s).UpstreamKeepaliveTime })},
	}
}

// compressionSettings are the ConfigMap keys of gzip and brotli.
func compressionSettings() []SettingSpec {
	const g = "Compression"
	h := func(s *model.Settings) *model.HTTPSettings { return &s.HTTP }
	return []SettingSpec{
		{Key: "use-gzip", Group: g, Scope: ScopeGlobal, Syntax: boolSyntax, Default: "false",
			Doc: "Compress responses of `gzip-types` with gzip for clients that accept it.",
			set: parseInto(grammar.Bool, func(s *model.Settings) *bool { return &h(s).Gzip })},
		{Key: "gzip-level", Group: g, Scope: ScopeGlobal, Syntax: fmt.Sprintf(numberSyntax, 1, 9), Default: "1",
			Doc: "Compression level: higher is smaller and slower.",
			set: parseInto(grammar.IntRange(1, 9), func(s *model.Settings) *int { return &h(s).GzipLevel })},
		{Key: "gzip-min-length", Group: g, Scope: ScopeGlobal, Syntax: fmt.Sprintf(numberSyntax, 0, 1<<30), Default: "256",
			Doc: "Smallest response compressed, in bytes (by its `Content-Length`; nginx's own default is 20).",
			set: parseInto(optional(grammar.IntRange(0, 1<<30)), func(s *model.Settings) **int { return &h(s).GzipMinLength })},
		{Key: "gzip-types", Group: g, Scope: ScopeGlobal, Syntax: "space-separated MIME types (`text/css application/json`), or `*`", Default: model.DefaultGzipTypes,
			Doc: "Content types compressed; `text/html` always is (nginx's own default is `text/html` alone).",
			set: parseInto(mimeTypes, func(s *model.Settings) *[]string { return &h(s).GzipTypes })},
		{Key: "enable-brotli", Group: g, Scope: ScopeGlobal, Syntax: boolSyntax, Default: "false",
			Doc: "Compress responses of `brotli-types` with brotli for clients that accept `br` (preferred to gzip).",
			set: parseInto(grammar.Bool, func(s *model.Settings) *bool { return &h(s).Brotli })},
		{Key: "brotli-level", Group: g, Scope: ScopeGlobal, Syntax: fmt.Sprintf(numberSyntax, 0, 11), Default: "4",
			Doc: "Brotli compression level: higher is smaller and slower (the module's own default is 6).",
			set: parseInto(optional(grammar.IntRange(0, 11)), func(s *model.Settings) **int { return &h(s).BrotliLevel })},
		{Key: "brotli-min-length", Group: g, Scope: ScopeGlobal, Syntax: fmt.Sprintf(numberSyntax, 0, 1<<30), Default: "20",
			Doc: "Smallest response compressed with brotli, in bytes (by its `Content-Length`).",
			set: parseInto(optional(grammar.IntRange(0, 1<<30)), func(s *model.Settings) **int { return &h(s).BrotliMinLength })},
		{Key: "brotli-types", Group: g, Scope: ScopeGlobal, Syntax: "space-separated MIME types (`text/css application/json`), or `*`", Default: model.DefaultGzipTypes,
			Doc: "Content types compressed with brotli; `text/html` always is.",
			set: parseInto(mimeTypes, func(s *model.Settings) *[]string { return &h(s).BrotliTypes })},
	}
}

// mimeTypes accepts space-separated MIME types of lowercase letters,
// digits and "-.+" (parameters are refused), or "*".
func mimeTypes(s string) ([]string, error) {
	types := strings.Fields(s)
	if len(types) == 0 || len(types) > 100 {
		return nil, errors.New("want 1 to 100 MIME types")
	}
	for _, t := range types {
		if t == "*" && len(types) == 1 {
			continue
		}
		kind, sub, ok := strings.Cut(t, "/")
		if !ok || grammar.OnlyChars(kind, "-.+", 64) != nil || grammar.OnlyChars(sub, "-.+", 128) != nil || strings.ToLower(t) != t {
			return nil, fmt.Errorf("%q is not a MIME type such as text/css (lowercase, no parameters), or * alone", shorten(t))
		}
	}
	slices.Sort(types)
	return slices.Compact(types), nil
}

// sizeBetween returns a parser of sizes in [lo, hi].
func sizeBetween(lo, hi model.Size) func(string) (model.Size, error) {
	return func(s string) (model.Size, error) {
		n, err := grammar.Size[model.Size](s)
		if err != nil || n < lo || n > hi {
			return 0, fmt.Errorf("want a size such as 512, 8k or 1m, from %d to %d bytes", lo, hi)
		}
		return n, nil
	}
}

// buffers returns a parser of "NUMBER SIZE" within the bounds.
func buffers(minN, maxN int, minSize, maxSize model.Size) func(string) (model.Buffers, error) {
	return func(s string) (model.Buffers, error) {
		f := strings.Fields(s)
		if len(f) != 2 {
			return model.Buffers{}, errors.New("want a number and a size (4 8k)")
		}
		n, err := grammar.IntRange(minN, maxN)(f[0])
		if err != nil {
			return model.Buffers{}, fmt.Errorf("number: %w", err)
		}
		size, err := sizeBetween(minSize, maxSize)(f[1])
		if err != nil {
			return model.Buffers{}, fmt.Errorf("size: %w", err)
		}
		return model.Buffers{Number: n, Size: size}, nil
	}
}
