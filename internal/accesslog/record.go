package accesslog

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/archway-ingress/archway/internal/metrics"
)

// The syslog tags nginx puts before each record: render's AccessLogTag
// (requests) and StreamLogTag (TCP connections and UDP sessions).
const (
	requestTag = "archway"
	streamTag  = "archway_stream"
)

// errOtherTag says a datagram is not a record of the tag asked for.
var errOtherTag = errors.New("no syslog header with the tag")

// syslogRecord returns the record of a datagram "<PRI>TIMESTAMP TAG: "
// and the record.
func syslogRecord(datagram []byte, tag string) (string, error) {
	header, record, ok := strings.Cut(string(datagram), tag+": ")
	if !ok || !strings.HasPrefix(header, "<") {
		return "", fmt.Errorf("%w %s", errOtherTag, tag)
	}
	return record, nil
}

// maxName is the longest Kubernetes name or DNS host.
const maxName = 253

// fields is the number of tab-separated fields of a record: twelve of the
// request metrics, then six of the span (span.go).
const fields = 18

// parse reads one request's datagram, "<PRI>TIMESTAMP archway: " then
// the tab-separated fields (render's AccessLogTag); traced is false when
// the request's location does not trace.
func parse(datagram []byte) (r metrics.Request, span Span, traced bool, err error) {
	record, err := syslogRecord(datagram, requestTag)
	if err != nil {
		return r, span, false, err
	}
	f := strings.Split(record, "\t")
	if len(f) != fields {
		return r, span, false, fmt.Errorf("%d fields, want %d", len(f), fields)
	}
	if r, err = parseRequest(f); err != nil {
		return r, span, false, err
	}
	span, traced, err = parseSpan(f[12:], r)
	return r, span, traced, err
}

// parseRequest reads the fields of the request metrics.
func parseRequest(f []string) (metrics.Request, error) {
	r := metrics.Request{Namespace: f[0], Ingress: f[1], Service: f[2], Host: f[3], Status: f[4], Method: method(f[5]),
		Path: f[8], Canary: f[9]}
	for _, name := range []string{r.Namespace, r.Ingress, r.Service} {
		if !validName(name, false) {
			return metrics.Request{}, fmt.Errorf("invalid name %q", name)
		}
	}
	if r.Host != "_" && !validName(r.Host, true) {
		return metrics.Request{}, fmt.Errorf("invalid host %q", r.Host)
	}
	if len(r.Status) != 3 || strings.Trim(r.Status, "0123456789") != "" {
		return metrics.Request{}, fmt.Errorf("invalid status %q", r.Status)
	}
	// The path comes from the config: printable ASCII, escape=json has
	// escaped nothing in it.
	if len(r.Path) > maxPath || strings.IndexFunc(r.Path, func(c rune) bool { return c <= ' ' || c > '~' || c == '\\' }) >= 0 {
		return metrics.Request{}, fmt.Errorf("invalid path %q", r.Path)
	}
	if len(r.Canary) > maxName || strings.Trim(r.Canary, "abcdefghijklmnopqrstuvwxyz0123456789_.-") != "" {
		return metrics.Request{}, fmt.Errorf("invalid canary %q", r.Canary)
	}
	var err error
	if r.Duration, err = seconds(f[6]); err != nil {
		return metrics.Request{}, fmt.Errorf("invalid request time: %w", err)
	}
	if r.Size, err = bytesCount(f[7]); err != nil {
		return metrics.Request{}, fmt.Errorf("invalid size: %w", err)
	}
	if r.RequestSize, err = bytesCount(f[10]); err != nil {
		return metrics.Request{}, fmt.Errorf("invalid request length: %w", err)
	}
	if r.ResponseTime, err = responseTime(f[11]); err != nil {
		return metrics.Request{}, fmt.Errorf("invalid upstream response time: %w", err)
	}
	return r, nil
}

// maxPath bounds the path label.
const maxPath = 2048

// seconds reads nginx's seconds with a millisecond fraction: digits and a
// dot only, so neither NaN nor Inf nor a sign gets through.
func seconds(s string) (float64, error) {
	if s == "" || strings.Trim(s, "0123456789.") != "" {
		return 0, fmt.Errorf("%q is not seconds", s)
	}
	return strconv.ParseFloat(s, 64)
}

func bytesCount(s string) (float64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	return float64(n), err
}

// responseTime sums $upstream_response_time: one time per backend tried,
// separated by ", " (retries) or " : " (internal redirects); "" or "-"
// when no backend was asked, which is -1.
func responseTime(s string) (float64, error) {
	if s == "" || s == "-" {
		return -1, nil
	}
	sum := 0.0
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ':' || r == ' ' }) {
		if part == "-" {
			continue // a backend that did not answer
		}
		t, err := seconds(part)
		if err != nil {
			return 0, err
		}
		sum += t
	}
	return sum, nil
}

// validName accepts "" and the alphabet of Kubernetes names and DNS hosts,
// plus '*' for wildcard hosts.
func validName(s string, host bool) bool {
	if len(s) > maxName {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '.' && c != '-' && (!host || c != '*') {
			return false
		}
	}
	return true
}

// method returns m if it is a standard HTTP method and "OTHER" otherwise:
// a client can send any token.
func method(m string) string {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH":
		return m
	}
	return "OTHER"
}
