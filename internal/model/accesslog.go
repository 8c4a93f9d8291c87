package model

// AccessLog is the human access log nginx writes, one line per request,
// beside the per-request records that feed the request metrics (those are
// always on). The zero value writes none.
type AccessLog struct {
	// Off writes no access log (disable-access-log).
	Off bool
	// Path is where nginx writes it: AccessLogStdout, AccessLogStderr, or
	// a file name in the runtime dir.
	Path string
	// Format is the log_format of HTTP requests (log-format-upstream).
	Format LogFormat
	// Escape is nginx's log_format escape: "default", "json" or "none".
	Escape string
	// SkipURLs are request URIs (path and query, exactly as sent) that are
	// not logged (skip-access-log-urls).
	SkipURLs []string
}

// The two streams AccessLog.Path may name instead of a file.
const (
	AccessLogStdout = "stdout"
	AccessLogStderr = "stderr"
)

// LogFormat is a log line: literal text and nginx variables, in order.
type LogFormat []LogPart

// LogPart is literal Text, or the nginx variable Var (its name without
// "$"): exactly one of them is set. Text never holds "$"; Var is a name
// the format grammar allowed.
type LogPart struct {
	Text string
	Var  string
}
