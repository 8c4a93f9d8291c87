package accesslog

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/archway-ingress/archway/internal/metrics"
)

// parseStream reads one TCP connection's or UDP session's datagram,
// "<PRI>TIMESTAMP archway_stream: " then six tab-separated fields
// (render's StreamLogTag): "<protocol>_<port>", the Service's namespace
// and name, status, bytes sent and bytes received.
func parseStream(datagram []byte) (metrics.Stream, error) {
	record, err := syslogRecord(datagram, streamTag)
	if err != nil {
		return metrics.Stream{}, err
	}
	f := strings.Split(record, "\t")
	if len(f) != 6 {
		return metrics.Stream{}, fmt.Errorf("%d fields, want 6", len(f))
	}
	s := metrics.Stream{Namespace: f[1], Service: f[2], Status: f[3]}
	protocol, port, _ := strings.Cut(f[0], "_")
	switch protocol {
	case "tcp", "udp":
		s.Protocol = strings.ToUpper(protocol)
	default:
		return metrics.Stream{}, fmt.Errorf("invalid server %q", f[0])
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
		return metrics.Stream{}, fmt.Errorf("invalid server %q", f[0])
	}
	s.Port = port
	for _, name := range []string{s.Namespace, s.Service} {
		if !validName(name, false) {
			return metrics.Stream{}, fmt.Errorf("invalid name %q", name)
		}
	}
	if len(s.Status) != 3 || strings.Trim(s.Status, "0123456789") != "" {
		return metrics.Stream{}, fmt.Errorf("invalid status %q", s.Status)
	}
	if s.Sent, err = bytesCount(f[4]); err != nil {
		return metrics.Stream{}, fmt.Errorf("invalid bytes sent: %w", err)
	}
	if s.Received, err = bytesCount(f[5]); err != nil {
		return metrics.Stream{}, fmt.Errorf("invalid bytes received: %w", err)
	}
	return s, nil
}
