package nginx

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// errReloadRefused marks a reload whose config the master could not read:
// it printed why and kept its workers on the previous config.
var errReloadRefused = errors.New("nginx kept the previous config")

// The master's notices around a reload (nginx.conf.tmpl logs to stderr at
// notice at least, whatever the user's level, which errorLogLevel applies):
// after reconfiguring, it either starts workers on the new config or
// prints an [emerg] line and keeps the old one.
const (
	reconfiguring = ": reconfiguring"
	workersStart  = ": start worker processes"
	// bindRetry is an [emerg] line after which the master tries again
	// (five times, half a second apart); "still could not bind()" ends it.
	bindRetry = "(98: Address already in use)"
)

// reloads follows one master's error log and reports the outcome of each
// reload it attempts: nil once new workers start, errReloadRefused (and
// ErrRejected) with the master's complaint when it kept the old config.
// Only forward's goroutine calls see.
type reloads struct {
	master  string // the master's "] <pid>#" in its log lines
	reading bool   // a reconfiguring notice came, its outcome did not
	busy    string // the last bindRetry line of this reload, which says where
	outcome chan error
}

func newReloads(master int) *reloads {
	return &reloads{master: "] " + strconv.Itoa(master) + "#", outcome: make(chan error, 1)}
}

// see takes one line nginx printed. Lines of the master come in order, and
// it reads the next SIGHUP only after the outcome of the one before.
func (r *reloads) see(line string) {
	if !strings.Contains(line, r.master) {
		return
	}
	switch {
	case strings.HasSuffix(line, reconfiguring):
		r.reading, r.busy = true, ""
	case r.reading && strings.HasSuffix(line, workersStart):
		r.reading = false
		r.report(nil)
	case r.reading && strings.Contains(line, bindRetry):
		r.busy = line
	case r.reading && strings.Contains(line, "[emerg]"):
		r.reading = false
		if r.busy != "" {
			line = r.busy + "; " + line
		}
		r.report(fmt.Errorf("%w: %w: %s", errReloadRefused, ErrRejected, line))
	}
}

// report replaces an outcome nobody took (a reload archway gave up on).
func (r *reloads) report(err error) {
	for {
		select {
		case r.outcome <- err:
			return
		default:
		}
		select {
		case <-r.outcome:
		default:
		}
	}
}

// forget drops an outcome nobody took, before archway sends a SIGHUP.
func (r *reloads) forget() {
	select {
	case <-r.outcome:
	default:
	}
}
