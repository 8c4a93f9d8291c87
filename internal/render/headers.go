package render

import (
	"fmt"
	"slices"
	"strings"

	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
)

// headerView is one request header set for the backend: a finished name
// and value token.
type headerView struct{ Name, Value string }

// proxyHeaders are the request headers every proxied request carries:
// archway's own, then the ConfigMap's (proxy-set-headers), which replace
// archway's of the same name. nginx.conf.tmpl sets them in the http block;
// a location that sets any header of its own loses all inherited ones
// (nginx's rule for proxy_set_header), so such a location sets this whole
// list again (policies.proxyHeaders), with its changes. Add a header
// here, never in a template.
func proxyHeaders(settings model.HeaderSettings) ([]headerView, error) {
	headers := archwayHeaders()
	if settings.OriginalURI {
		headers = append(headers, headerView{"X-Original-URI", "$request_uri"})
	}
	for _, h := range settings.Request {
		value, err := headerValueToken(h.Value)
		if err != nil {
			return nil, fmt.Errorf("proxy-set-headers: %s: %w", h.Name, err)
		}
		if _, err := grammar.HeaderName(h.Name); err != nil {
			return nil, fmt.Errorf("proxy-set-headers: %w", err)
		}
		headers = setHeader(headers, h.Name, value)
	}
	return headers, nil
}

// archwayHeaders are the request headers archway sends every backend,
// and ingress-nginx's compatibility headers.
func archwayHeaders() []headerView {
	return []headerView{
		{"Upgrade", "$http_upgrade"},
		{"Connection", "$connection_upgrade"},
		{"Host", "$host"},
		// The real client address, and what trusted peers said about the
		// client (http_clients.tmpl defines the variables).
		{"X-Real-IP", "$remote_addr"},
		{"X-Forwarded-For", "$archway_forwarded_for"},
		{"X-Forwarded-Proto", "$archway_forwarded_proto"},
		{"X-Forwarded-Host", "$archway_forwarded_host"},
		{"X-Forwarded-Port", "$archway_forwarded_port"},
		{"X-Request-ID", "$archway_request_id"},
		// What ingress-nginx also sent: the scheme under two more names,
		// and the X-Forwarded-For the client sent.
		{"X-Scheme", "$archway_forwarded_proto"},
		{"X-Forwarded-Scheme", "$archway_forwarded_proto"},
		{"X-Original-Forwarded-For", "$http_x_forwarded_for"},
		// httpoxy: a "Proxy" request header must never reach a CGI-like
		// backend, where it becomes HTTP_PROXY.
		{"Proxy", `""`},
	}
}

// hopByHop drops Upgrade and Connection: HTTP/2 (gRPC) has neither, and
// error pages are never upgraded.
func hopByHop(headers []headerView) []headerView {
	return slices.DeleteFunc(headers, func(h headerView) bool { return h.Name == "Upgrade" || h.Name == "Connection" })
}

// setHeader returns headers with name (in any case, as nginx compares
// header names) set to value: replaced where it is, else appended.
func setHeader(headers []headerView, name, value string) []headerView {
	for i, h := range headers {
		if strings.EqualFold(h.Name, name) {
			headers[i].Value = value
			return headers
		}
	}
	return append(headers, headerView{name, value})
}
