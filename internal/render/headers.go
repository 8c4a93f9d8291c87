package render

import "slices"

// headerView is one request header set for the backend: a finished name
// and value token.
type headerView struct{ Name, Value string }

// proxyHeaders are the request headers every proxied request carries.
// nginx.conf.tmpl sets them in the http block; a location that sets any
// header of its own loses all inherited ones (nginx's rule for
// proxy_set_header), so such a location sets this whole list again, with
// its changes. Add a header here, never in a template.
func proxyHeaders() []headerView {
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
	}
}

// hopByHop drops Upgrade and Connection: HTTP/2 (gRPC) has neither, and
// error pages are never upgraded.
func hopByHop(headers []headerView) []headerView {
	return slices.DeleteFunc(headers, func(h headerView) bool { return h.Name == "Upgrade" || h.Name == "Connection" })
}

// setHeader returns headers with name set to value: replaced where it is,
// else appended.
func setHeader(headers []headerView, name, value string) []headerView {
	for i, h := range headers {
		if h.Name == name {
			headers[i].Value = value
			return headers
		}
	}
	return append(headers, headerView{name, value})
}
