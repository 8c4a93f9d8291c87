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
		// The Host the client sent, port included (ingress-nginx's
		// $best_http_host; the Gateway API asks for it unchanged).
		{"Host", "$archway_best_http_host"},
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

// changeHeaders applies an HTTPRoute's request header changes to the
// header list. A removed header is set to "", which nginx does not send.
// An added one joins its value after a comma to the value the list (else
// the client) gives the header, through a map of the http block that
// leaves out the comma when there is none: nginx sends one line per name
// (two proxy_set_header lines of a long name break its header hash).
func (p *policies) changeHeaders(headers []headerView, c model.HeaderChanges) ([]headerView, error) {
	for _, h := range c.Set {
		value, err := requestHeader(h)
		if err != nil {
			return nil, err
		}
		headers = setHeader(headers, h.Name, value)
	}
	for _, name := range c.Remove {
		if _, err := grammar.HeaderName(name); err != nil {
			return nil, err
		}
		headers = setHeader(headers, name, `""`)
	}
	for _, h := range c.Add {
		value, err := requestHeader(h)
		if err != nil {
			return nil, err
		}
		before := "${http_" + strings.ToLower(strings.ReplaceAll(h.Name, "-", "_")) + "}"
		if i := slices.IndexFunc(headers, func(s headerView) bool { return strings.EqualFold(s.Name, h.Name) }); i >= 0 {
			before = strings.Trim(headers[i].Value, `"`)
		}
		if before == "" {
			headers = setHeader(headers, h.Name, value)
			continue
		}
		m := addedHeaderView{Source: `"` + before + `"`, Var: "$archway_add_" + shortHash(before, value), Value: value,
			Joined: `"` + before + "," + strings.Trim(value, `"`) + `"`}
		if p.once(m.Var) {
			p.http.AddedHeaders = append(p.http.AddedHeaders, m)
		}
		headers = setHeader(headers, h.Name, m.Var)
	}
	return headers, nil
}

// addedHeaderView maps Source, a request header's value, to Var: Value
// when Source is empty, else Joined, Source and Value after a comma.
type addedHeaderView struct{ Source, Var, Value, Joined string }

// requestHeader checks a header's name and returns its value's token.
func requestHeader(h model.Header) (string, error) {
	if _, err := grammar.HeaderName(h.Name); err != nil {
		return "", err
	}
	return headerValueToken(h.Value)
}
