//go:build perf

package perf

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// loadConns is how many keep-alive connections each load generator holds,
// and loadPause the pause between two requests on one connection, so the
// load stays well below what two CPUs shared with nginx and archway take.
const (
	loadConns = 4
	loadPause = 5 * time.Millisecond
)

// load counts what one load generator saw.
type load struct {
	requests, failures atomic.Int64
	// unanswered counts the failures on a kept-alive connection that
	// nginx closed before any byte of the answer: what a reload does to
	// the idle connections of the workers it retires, which a client may
	// have just sent a request on. sentAfterClose counts those of them
	// whose request left after nginx's close had arrived.
	unanswered, sentAfterClose atomic.Int64
	mu                         sync.Mutex
	firstFailure               string
}

// errUnanswered marks the failure of a request on a kept-alive connection
// that the server closed before answering. HTTP/1.1 allows that close at
// any time, and clients send such a request again on a new connection
// (RFC 9112, section 9.3.1), as Go's client does; errSentAfterClose is
// the case where the client could have seen the close before sending.
var (
	errUnanswered     = errors.New("kept-alive connection closed before any byte of the answer")
	errSentAfterClose = fmt.Errorf("%w, sent after the close arrived", errUnanswered)
)

// fail counts a failure; the first is kept, without its addresses
// ("read tcp 127.0.0.1:1->127.0.0.1:2: read: connection reset by peer").
func (l *load) fail(err error) {
	if errors.Is(err, errUnanswered) {
		l.unanswered.Add(1)
	}
	if errors.Is(err, errSentAfterClose) {
		l.sentAfterClose.Add(1)
	}
	what := err.Error()
	if i := strings.LastIndex(what, ": "); i >= 0 {
		what = what[i+2:]
	}
	if l.failures.Add(1) == 1 {
		l.mu.Lock()
		l.firstFailure = what
		l.mu.Unlock()
	}
}

func (l *load) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := fmt.Sprintf("%d failed of %d", l.failures.Load(), l.requests.Load())
	if unanswered := l.unanswered.Load(); unanswered > 0 {
		s += fmt.Sprintf(": %d on a kept-alive connection nginx closed before answering (%d sent after its close arrived), %d other",
			unanswered, l.sentAfterClose.Load(), l.failures.Load()-unanswered)
	}
	if l.firstFailure != "" {
		s += " (first: " + l.firstFailure + ")"
	}
	return s
}

// startLoad sends GET / for hosts, in turn, to addr (archway's nginx on
// loopback) until ctx ends; a request fails unless it gets a 200. With
// retry, it is Go's HTTP client, which, like browsers, sends a request
// again on a new connection when a kept-alive one turns out closed;
// without, a bare HTTP/1.1 client that counts every broken connection as
// a failure. wait returns once every connection stopped.
func startLoad(ctx context.Context, addr string, hosts []string, retry bool) (l *load, wait func()) {
	l = &load{}
	var wg sync.WaitGroup
	for c := range loadConns {
		send := bareSender(addr)
		if retry {
			send = clientSender(addr)
		}
		wg.Go(func() {
			for i := c; ctx.Err() == nil; i++ {
				l.requests.Add(1)
				if err := send(ctx, hosts[i%len(hosts)]); err != nil && ctx.Err() == nil {
					l.fail(err)
				}
				select {
				case <-ctx.Done():
				case <-time.After(loadPause):
				}
			}
		})
	}
	return l, wg.Wait
}

type sender func(ctx context.Context, host string) error

// clientSender is one connection's worth of Go's HTTP client.
func clientSender(addr string) sender {
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	return func(ctx context.Context, host string) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/", nil)
		if err != nil {
			return err
		}
		req.Host = host
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s answered %d", host, resp.StatusCode)
		}
		return nil
	}
}

// bareSender keeps one connection and never retries: an error drops the
// connection, and the next request opens a new one. It sends each request
// without looking whether nginx closed the connection meanwhile, but tells
// that failure apart (errUnanswered).
func bareSender(addr string) sender {
	var conn *countedConn
	var reader *bufio.Reader
	return func(ctx context.Context, host string) error {
		reused, closed := conn != nil, false
		if reused {
			closed = closedByPeer(conn.TCPConn)
		} else {
			c, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "tcp", addr)
			if err != nil {
				return err
			}
			conn = &countedConn{TCPConn: c.(*net.TCPConn)}
			reader = bufio.NewReader(conn)
		}
		conn.read = 0
		keep, err := roundTrip(conn, reader, host)
		unanswered := reused && conn.read == 0
		if err != nil || !keep {
			conn.Close()
			conn = nil
		}
		switch {
		case err != nil && unanswered && closed:
			err = fmt.Errorf("%w: %w", errSentAfterClose, err)
		case err != nil && unanswered:
			err = fmt.Errorf("%w: %w", errUnanswered, err)
		}
		return err
	}
}

// countedConn counts the bytes read from a connection.
type countedConn struct {
	*net.TCPConn
	read int
}

func (c *countedConn) Read(b []byte) (int, error) {
	n, err := c.TCPConn.Read(b)
	c.read += n
	return n, err
}

// closedByPeer tells whether the peer's end of conn, an idle connection,
// arrived already (its FIN): a read would return end of file at once.
func closedByPeer(conn *net.TCPConn) bool {
	raw, err := conn.SyscallConn()
	if err != nil {
		return false
	}
	closed := false
	_ = raw.Read(func(fd uintptr) bool {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		closed = n == 0 && err == nil
		return true // never wait: only a look
	})
	return closed
}

// roundTrip sends one request and reads its answer; keep is false when
// the server said it closes the connection.
func roundTrip(conn net.Conn, reader *bufio.Reader, host string) (keep bool, err error) {
	if err := conn.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return false, err
	}
	if _, err := fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", host); err != nil {
		return false, err
	}
	resp, err := http.ReadResponse(reader, nil)
	if err != nil {
		return false, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return false, err
	}
	if resp.StatusCode != http.StatusOK {
		return !resp.Close, fmt.Errorf("%s answered %d", host, resp.StatusCode)
	}
	return !resp.Close, nil
}
