package accesslog

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"

	"github.com/archway-ingress/archway/internal/metrics"
)

// Recorder receives every valid record of a request, TCP connection or
// UDP session; *metrics.Metrics is one.
type Recorder interface {
	ObserveRequest(metrics.Request)
	ObserveStream(metrics.Stream)
}

// SpanRecorder receives the span of every valid record of a request on a
// location that traces; package tracing's Exporter is one.
type SpanRecorder interface {
	RecordSpan(Span)
}

// Options configure a Listener.
type Options struct {
	// Socket is the path of the unix datagram socket. Its folder is
	// created, or made, 0700, in the runtime dir, which must exist:
	// package nginx creates it (OpenRuntimeDir) with the modes nginx's
	// workers need to reach their files.
	Socket string
	// WorkerUser is the user nginx's workers run as when it is not
	// archway's own (archway runs as root): the folder and the socket are
	// then given to that user so that the workers can send.
	WorkerUser string
	Recorder   Recorder
	// Spans, when set, receives the spans.
	Spans SpanRecorder
	// Logger receives dropped records at debug level; nil discards them.
	Logger *slog.Logger
}

// Listener receives nginx's access log records.
type Listener struct {
	conn   *net.UnixConn
	socket string
	rec    Recorder
	spans  SpanRecorder
	log    *slog.Logger
}

// readBuffer asks the kernel to queue this many bytes of records, so that a
// burst of requests does not find the socket full while archway is busy.
const readBuffer = 4 << 20

// Listen creates the socket, replacing a stale one that an earlier run left.
func Listen(opts Options) (*Listener, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	dir := filepath.Dir(opts.Socket)
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("access log socket: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("access log socket: %w", err)
	}
	if info, err := os.Lstat(opts.Socket); err == nil && info.Mode().Type() == fs.ModeSocket {
		if err := os.Remove(opts.Socket); err != nil {
			return nil, fmt.Errorf("access log socket: remove stale: %w", err)
		}
	}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: opts.Socket, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("access log socket: %w", err)
	}
	if err := giveTo(opts.WorkerUser, dir, opts.Socket); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("access log socket: %w", err)
	}
	_ = conn.SetReadBuffer(readBuffer) // the kernel caps it; any size works
	return &Listener{conn: conn, socket: opts.Socket, rec: opts.Recorder, spans: opts.Spans, log: opts.Logger}, nil
}

// giveTo makes name the owner of paths; "" leaves them to archway's user.
func giveTo(name string, paths ...string) error {
	if name == "" {
		return nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return err
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return fmt.Errorf("user %s: uid %q: %w", name, u.Uid, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return fmt.Errorf("user %s: gid %q: %w", name, u.Gid, err)
	}
	for _, p := range paths {
		if err := os.Lchown(p, uid, gid); err != nil {
			return err
		}
	}
	return nil
}

// Run reads records until ctx ends, then closes and removes the socket.
func (l *Listener) Run(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { _ = l.conn.Close() })
	defer stop()
	// nginx's syslog records are at most a few kilobytes.
	buf := make([]byte, 64<<10)
	for {
		n, _, err := l.conn.ReadFromUnix(buf)
		if err != nil {
			if ctx.Err() != nil && errors.Is(err, net.ErrClosed) {
				if err := os.Remove(l.socket); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("access log socket: %w", err)
				}
				return nil
			}
			return fmt.Errorf("access log socket: %w", err)
		}
		if err := l.take(buf[:n]); err != nil {
			l.log.Debug("dropped access log record", "err", err, "record", string(buf[:n]))
		}
	}
}

// take records one datagram: a request's, or else a TCP connection's or
// UDP session's.
func (l *Listener) take(datagram []byte) error {
	r, span, traced, err := parse(datagram)
	if err == nil {
		l.rec.ObserveRequest(r)
		if traced && l.spans != nil {
			l.spans.RecordSpan(span)
		}
		return nil
	}
	if !errors.Is(err, errOtherTag) {
		return err
	}
	s, err := parseStream(datagram)
	if err != nil {
		return err
	}
	l.rec.ObserveStream(s)
	return nil
}
