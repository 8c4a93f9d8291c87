package accesslog

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/archway-ingress/archway/internal/metrics"
)

// tag is the syslog tag nginx puts before each record (render's
// AccessLogTag).
const tag = "archway: "

// maxName is the longest Kubernetes name or DNS host.
const maxName = 253

// parse reads one datagram, "<PRI>TIMESTAMP archway: " then eight
// tab-separated fields.
func parse(datagram []byte) (metrics.Request, error) {
	header, record, ok := strings.Cut(string(datagram), tag)
	if !ok || !strings.HasPrefix(header, "<") {
		return metrics.Request{}, errors.New("no syslog header")
	}
	f := strings.Split(record, "\t")
	if len(f) != 8 {
		return metrics.Request{}, fmt.Errorf("%d fields, want 8", len(f))
	}
	r := metrics.Request{Namespace: f[0], Ingress: f[1], Service: f[2], Host: f[3], Status: f[4], Method: method(f[5])}
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
	// $request_time is seconds with a millisecond fraction; digits and a
	// dot only, so neither NaN nor Inf nor a sign gets through.
	var err error
	if strings.Trim(f[6], "0123456789.") != "" {
		return metrics.Request{}, fmt.Errorf("invalid request time %q", f[6])
	}
	if r.Duration, err = strconv.ParseFloat(f[6], 64); err != nil {
		return metrics.Request{}, fmt.Errorf("invalid request time %q", f[6])
	}
	size, err := strconv.ParseUint(f[7], 10, 64)
	if err != nil {
		return metrics.Request{}, fmt.Errorf("invalid size %q", f[7])
	}
	r.Size = float64(size)
	return r, nil
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
