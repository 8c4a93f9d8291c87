package nginx

import (
	"slices"
	"strings"
	"sync/atomic"

	"github.com/archway-ingress/archway/internal/render"
)

// errorLogLevel is the least severity of the lines of nginx's error log
// that archway passes on to its own log: the error-log-level of the config
// nginx was last given (render.Output.ErrorLogLevel). nginx.conf logs at
// notice at least, whatever the user's level, for reloads.see to learn
// each reload's outcome from the master's notices; it sees every line, the
// user only those at their level.
type errorLogLevel struct {
	least atomic.Int32 // index in render.ErrorLogLevels; 0 (debug) passes every line
}

// use passes on the lines at level or above from now on; "" or an unknown
// level passes every line.
func (l *errorLogLevel) use(level string) {
	l.least.Store(int32(max(slices.Index(render.ErrorLogLevels, level), 0)))
}

// shows tells whether line is at the level or above. A line without a level
// tag (nginx's own words before its log is open) always is.
func (l *errorLogLevel) shows(line string) bool {
	at := slices.Index(render.ErrorLogLevels, levelTag(line))
	return at < 0 || at >= int(l.least.Load())
}

// levelTag returns the level of an nginx log line, "" for a line with none.
// nginx writes "2006/01/02 15:04:05 [warn] 1#1: ..." once its log is open
// and "nginx: [emerg] ..." before.
func levelTag(line string) string {
	at := strings.IndexByte(line, '[')
	if at < 0 || at > len("2006/01/02 15:04:05 ") {
		return ""
	}
	level, _, _ := strings.Cut(line[at+1:], "]")
	return level
}
