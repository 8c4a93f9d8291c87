package accesslog

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/archway-ingress/archway/internal/metrics"
)

// Span is the server span of one request on a location that traces
// (render's tracing.go, templates/lua/archway/tracing.lua), for the
// SpanRecorder.
type Span struct {
	TraceID [16]byte
	SpanID  [8]byte
	// Parent is the client's span the trace continues; zero for a new
	// trace.
	Parent [8]byte
	// Sampled is the decision nginx passed to the backend.
	Sampled    bool
	Start, End time.Time
	// Request holds the route (Path), host, method, status and the
	// Ingress of the request, as the request metrics get them.
	Request metrics.Request
	// Upstream is $upstream_addr: the endpoints tried, "" when none was.
	Upstream string
}

// maxUpstream bounds $upstream_addr: a few endpoints tried, with retries
// and internal redirects.
const maxUpstream = 512

// parseSpan reads the trace fields of a record (trace id, span id, parent
// span id, sampled flag, $msec, $upstream_addr); ok is false when the
// location does not trace (no trace id).
func parseSpan(f []string, r metrics.Request) (Span, bool, error) {
	traceID, spanID, parent, sampled, msec, upstream := f[0], f[1], f[2], f[3], f[4], f[5]
	if traceID == "" {
		return Span{}, false, nil
	}
	s := Span{Request: r, Sampled: sampled == "1"}
	if sampled != "0" && sampled != "1" {
		return Span{}, false, fmt.Errorf("invalid sampled flag %q", sampled)
	}
	if err := hexID(s.TraceID[:], traceID); err != nil {
		return Span{}, false, fmt.Errorf("invalid trace id: %w", err)
	}
	if err := hexID(s.SpanID[:], spanID); err != nil {
		return Span{}, false, fmt.Errorf("invalid span id: %w", err)
	}
	if parent != "" {
		if err := hexID(s.Parent[:], parent); err != nil {
			return Span{}, false, fmt.Errorf("invalid parent span id: %w", err)
		}
	}
	end, err := seconds(msec)
	if err != nil {
		return Span{}, false, fmt.Errorf("invalid msec: %w", err)
	}
	s.End = time.UnixMilli(int64(end*1000 + 0.5))
	s.Start = s.End.Add(-time.Duration(r.Duration*1000+0.5) * time.Millisecond)
	if upstream != "-" {
		s.Upstream = upstream
	}
	if len(s.Upstream) > maxUpstream || strings.Trim(s.Upstream, "0123456789abcdef.:[], ") != "" {
		return Span{}, false, fmt.Errorf("invalid upstream address %q", upstream)
	}
	return s, true, nil
}

// hexID decodes a lowercase hex id of len(dst) bytes that is not all
// zero.
func hexID(dst []byte, s string) error {
	if len(s) != 2*len(dst) || strings.ToLower(s) != s {
		return fmt.Errorf("%q is not %d lowercase hex bytes", s, len(dst))
	}
	if _, err := hex.Decode(dst, []byte(s)); err != nil {
		return err
	}
	if strings.Trim(s, "0") == "" {
		return fmt.Errorf("%q is all zero", s)
	}
	return nil
}

// Status returns the span's HTTP status code.
func (s Span) Status() int {
	code, _ := strconv.Atoi(s.Request.Status)
	return code
}
