// Package accesslog turns nginx's per-request access log records into the
// request metrics of package metrics.
//
// In: datagrams that nginx's workers send to a unix socket in the runtime
// dir (access_log syslog:server=unix:...; the format is render's
// AccessLogFormat: tab-separated namespace, Ingress, Service, host, status,
// method, request time and bytes sent, escaped by escape=json so no value
// holds a tab).
// Out: one metrics.Request per valid record, handed to a Recorder.
// Invariants: every label value is bounded, whatever a client sends: methods
// outside the standard ones fold into "OTHER", status is three digits, hosts
// and names are the configured ones nginx set for the location (checked
// against the Kubernetes name alphabet); a record that does not parse is
// dropped. Only nginx's workers (and root) can reach the socket: its folder
// is 0700 and owned by the worker user.
//
// audit.go (Audit) reads libmodsecurity's JSON audit records, which package
// nginx hands over from nginx's stdout, into archway's WAF audit log lines
// and archway_waf_requests_total: the Ingress comes from the transaction ID
// render sets ("namespace/ingress/..."), checked like the request labels,
// and request headers and bodies are never copied.
package accesslog
