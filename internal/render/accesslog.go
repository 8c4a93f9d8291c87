package render

import (
	"fmt"
	"strings"

	"github.com/archway-ingress/archway/internal/model"
)

// The human access log (model.AccessLog). nginx writes it to its stdout,
// a pipe that package nginx copies to archway's stdout or stderr
// (Output.AccessLogStream), or to a file in the runtime dir. nginx's
// error log is its stderr, which archway reads as its own log lines: the
// two never mix.
const (
	// AccessLogStdout is where nginx writes the access log for archway
	// to copy: its own stdout, which only the access log uses.
	AccessLogStdout = "/dev/stdout"
)

// accessLogView is what nginx.conf.tmpl prints for the human access log;
// nil when it is off.
type accessLogView struct {
	Format string // `escape=MODE 'TEXT'`
	// Target is the quoted path of the log; If is " if=..." when
	// SkipURLs are not logged. Stream names, in a comment, archway's
	// stream that gets a log written to /dev/stdout, so that a change of
	// stream is a change of nginx.conf.
	Target, If, Stream string
	SkipURLs           []string // quoted request URIs
}

// newAccessLogView returns the view of the access log, and the stream
// archway copies it to ("" for a file). A log without a format (the zero
// AccessLog) is off.
func newAccessLogView(log model.AccessLog) (*accessLogView, string, error) {
	if log.Off || len(log.Format) == 0 {
		return nil, "", nil
	}
	format, err := logFormat(log.Format)
	if err != nil {
		return nil, "", fmt.Errorf("log-format-upstream: %w", err)
	}
	if log.Escape != "default" && log.Escape != "json" && log.Escape != "none" {
		return nil, "", fmt.Errorf("log format escape %q", log.Escape)
	}
	var q quoter
	v := &accessLogView{Format: "escape=" + log.Escape + " " + format}
	stream := ""
	switch log.Path {
	case model.AccessLogStdout, model.AccessLogStderr:
		v.Target, stream = q.quote(AccessLogStdout), log.Path
		v.Stream = " # archway copies it to its " + stream
	default:
		// Relative to nginx's prefix, the runtime dir.
		if strings.ContainsAny(log.Path, "/") || !strings.HasSuffix(log.Path, ".log") {
			return nil, "", fmt.Errorf("access log path %q is not a file name", log.Path)
		}
		v.Target = q.quote(log.Path)
	}
	for _, u := range log.SkipURLs {
		v.SkipURLs = append(v.SkipURLs, q.quote(u))
	}
	if len(v.SkipURLs) > 0 {
		v.If = " if=$archway_loggable"
	}
	return v, stream, q.err
}

// logFormat returns format as a single-quoted nginx string. Text may
// hold '"' (unlike quote's strings) but no "'", '\' or '$'; variables are
// printed as ${name}, so that the text after one cannot extend its name.
func logFormat(format model.LogFormat) (string, error) {
	var b strings.Builder
	b.WriteByte('\'')
	for _, p := range format {
		switch {
		case p.Var != "" && p.Text == "" && isLogVariable(p.Var):
			b.WriteString("${" + p.Var + "}")
		case p.Var == "" && p.Text != "" && strings.IndexFunc(p.Text, unfitInLogFormat) < 0:
			b.WriteString(p.Text)
		default:
			return "", fmt.Errorf("log format part %+v may not reach nginx.conf", p)
		}
	}
	b.WriteByte('\'')
	return b.String(), nil
}

func isLogVariable(name string) bool {
	return len(name) <= 64 && strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == ""
}

func unfitInLogFormat(r rune) bool {
	return r < ' ' || r > '~' || r == '\'' || r == '\\' || r == '$'
}

// metricsLogOnly keeps only the request metrics' record for a location
// whose Ingress says enable-access-log: "false": an access_log in a
// location replaces every one it would inherit.
func metricsLogOnly(v *policyView, l model.Location) error {
	if l.Policy.AccessLog == nil || *l.Policy.AccessLog {
		return nil
	}
	target, err := accessLogTarget()
	v.MetricsLog = target
	return err
}
