package nginx

import (
	"bytes"
	"io"
	"os"
	"sync/atomic"

	"github.com/archway-ingress/archway/internal/model"
)

// accessLog routes nginx's stdout, where nginx.conf has the access log
// written (render.AccessLogStdout), to archway's stdout or stderr. nginx
// writes into a pipe of archway's own rather than archway's stdout itself:
// nginx opens /dev/stdout by path, which fails for a socket (journald),
// and, for a non-root nginx, for a terminal or pipe owned by another user.
type accessLog struct {
	streams map[string]io.Writer // by render.Output.AccessLogStream
	current atomic.Pointer[io.Writer]
	// audit takes the lines that are ModSecurity's audit records (see
	// Options.Audit); nil passes every line on.
	audit func(line []byte) bool
}

func newAccessLog(stdout, stderr io.Writer, audit func([]byte) bool) *accessLog {
	a := &accessLog{streams: map[string]io.Writer{model.AccessLogStdout: stdout, model.AccessLogStderr: stderr}, audit: audit}
	a.use(model.AccessLogStdout)
	return a
}

// use sends the lines that follow to stream ("stdout" or "stderr"); any
// other name (the log is off or goes to a file) keeps the stream: nginx
// then writes nothing to its stdout.
func (a *accessLog) use(stream string) {
	if w, ok := a.streams[stream]; ok {
		a.current.Store(&w)
	}
}

// copyLines copies r to the current stream until r ends, writing whole
// lines only: a line nginx wrote in one write never interleaves with
// archway's own output on the same stream.
func (a *accessLog) copyLines(r *os.File) {
	defer r.Close()
	buf := make([]byte, 64<<10)
	held := 0 // bytes of an unfinished line at the start of buf
	for {
		n, err := r.Read(buf[held:])
		held += n
		if end := bytes.LastIndexByte(buf[:held], '\n') + 1; end > 0 {
			a.write(buf[:end])
			held = copy(buf, buf[end:held])
		} else if held == len(buf) {
			// A line longer than the buffer: pass it on in pieces.
			_, _ = (*a.current.Load()).Write(buf)
			held = 0
		}
		if err != nil {
			return
		}
	}
}
