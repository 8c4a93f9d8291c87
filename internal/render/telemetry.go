package render

import "github.com/archway-ingress/archway/internal/model"

// nginx's side of archway's metrics. nginx sends one record per request to
// archway over a unix datagram socket (access_log syslog:...); package
// accesslog reads them into the request metrics. Each location sets the
// variables that name its route, so the labels come from the config, never
// from the request. nginx's connection counters come from stub_status.
const (
	// StubStatusPath is where nginx's status server (on StatusSocket)
	// answers stub_status.
	StubStatusPath = "/nginx_status"
	// AccessLogSocket is the socket, relative to the runtime dir, that
	// archway listens on for access log records. Its folder is private to
	// archway and nginx's workers.
	AccessLogSocket = "access-log/log.sock"
	// AccessLogTag is the syslog tag before each record. The record is
	// tab-separated: namespace, Ingress, Service, host, status, method,
	// request time (seconds) and bytes sent, escaped with escape=json so
	// that no value can hold a tab. nginx.conf.tmpl holds the log_format.
	AccessLogTag = "archway"
	// StreamLogTag is the syslog tag of the records of TCP connections
	// and UDP sessions, on the same socket: server name
	// ("<protocol>_<port>"), namespace and name of its Service, stream
	// status, and bytes sent to and received from the client. stream.tmpl
	// holds the log_format.
	StreamLogTag = "archway_stream"
)

// logVarsView is what a location sets for its access log record; each
// field is a quoted nginx string.
type logVarsView struct {
	Namespace, Ingress, Service, Host string
}

// accessLogTarget returns the quoted access_log destination. The socket
// path is relative to the working directory nginx inherits from package
// nginx, the runtime dir: nginx splits syslog parameters at commas, which an
// absolute path may hold, and workers that run as another user may not be
// allowed to walk the absolute path's parents.
func accessLogTarget() (string, error) {
	return logTarget(AccessLogTag)
}

// logTarget is the quoted access_log destination of records with tag.
func logTarget(tag string) (string, error) {
	return quote("syslog:server=unix:" + AccessLogSocket + ",tag=" + tag + ",nohostname")
}

// logVars returns the access log labels of a location of the server for
// host ("" is the catch-all, labelled "_") owned by owner and routed to
// service; q keeps the error.
func logVars(q *quoter, host string, owner model.Owner, service string) logVarsView {
	if host == "" {
		host = "_"
	}
	return logVarsView{
		Namespace: q.quote(owner.Namespace),
		Ingress:   q.quote(owner.Name),
		Service:   q.quote(service),
		Host:      q.quote(host),
	}
}

// metricsPath returns the request metrics' path label of an Ingress path:
// the path as written, but for the bytes quote refuses, which only regex
// paths hold ("$", "\\", ...): those become "_".
func metricsPath(path string) string {
	if plainASCII(path) {
		return path
	}
	b := []byte(path)
	for i, c := range b {
		if !plainByte[c] {
			b[i] = '_'
		}
	}
	return string(b)
}
