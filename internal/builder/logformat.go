package builder

import (
	"fmt"
	"strings"

	"github.com/archway-ingress/archway/internal/model"
)

// httpLogVariables are the variables log-format-upstream may use: nginx's
// own, and ingress-nginx's names for what archway sets per location, with
// the nginx variable each stands for.
var httpLogVariables = logVariables(map[string]string{
	"proxy_upstream_name":             "archway_upstream",
	"proxy_alternative_upstream_name": "archway_canary",
	"req_id":                          "archway_request_id",
	"namespace":                       "archway_namespace",
	"ingress_name":                    "archway_ingress",
	"service_name":                    "archway_service",
}, "remote_addr", "remote_port", "remote_user", "realip_remote_addr", "time_local", "time_iso8601", "msec",
	"request", "request_method", "request_uri", "uri", "args", "server_protocol", "scheme", "https", "host",
	"hostname", "server_name", "server_addr", "server_port", "status", "body_bytes_sent", "bytes_sent",
	"request_length", "request_time", "connection", "connection_requests", "pipe", "request_id",
	"ssl_protocol", "ssl_cipher", "ssl_server_name", "upstream_addr", "upstream_status",
	"upstream_response_time", "upstream_response_length", "upstream_connect_time", "upstream_header_time",
	"upstream_bytes_received", "upstream_bytes_sent")

// streamLogVariables are the variables log-format-stream may use.
var streamLogVariables = logVariables(nil, "remote_addr", "remote_port", "time_local", "time_iso8601", "msec",
	"protocol", "status", "bytes_sent", "bytes_received", "session_time", "server_addr", "server_port",
	"connection", "hostname", "upstream_addr", "upstream_bytes_sent", "upstream_bytes_received",
	"upstream_connect_time")

// logVariables maps each allowed name to its nginx variable: renamed as
// given, else itself.
func logVariables(renamed map[string]string, names ...string) map[string]string {
	vars := map[string]string{}
	for _, n := range names {
		vars[n] = n
	}
	for n, v := range renamed {
		vars[n] = v
	}
	return vars
}

// maxLogFormat bounds a format's length.
const maxLogFormat = 4096

// logFormat returns the parser of a log format: printable ASCII text in
// which every "$name" or "${name}" is an allowed variable (headers too,
// as $http_NAME and $sent_http_NAME, when headers is set). Text may not
// hold "'" or "\": render prints the format in single quotes, and nginx's
// log_format has no escape for "$".
func logFormat(allowed map[string]string, headers bool) func(string) (model.LogFormat, error) {
	return func(s string) (model.LogFormat, error) {
		if s == "" || len(s) > maxLogFormat {
			return nil, fmt.Errorf("a log format must hold 1 to %d bytes", maxLogFormat)
		}
		var out model.LogFormat
		for s != "" {
			text, rest, _ := strings.Cut(s, "$")
			if text != "" {
				if i := strings.IndexFunc(text, func(r rune) bool { return r < ' ' || r > '~' || r == '\'' || r == '\\' }); i >= 0 {
					return nil, fmt.Errorf("log format text may not hold %q (printable ASCII but ' and \\)", text[i:i+1])
				}
				out = append(out, model.LogPart{Text: text})
			}
			if len(text) == len(s) {
				break
			}
			name, after, err := variableName(rest)
			if err != nil {
				return nil, err
			}
			v, ok := allowed[name]
			if !ok && headers {
				v, ok = headerVariable(name)
			}
			if !ok {
				return nil, fmt.Errorf("log format variable $%s is not among those archway allows (see the ConfigMap keys in README.md)", shorten(name))
			}
			out = append(out, model.LogPart{Var: v})
			s = after
		}
		return out, nil
	}
}

// variableName reads "name" or "{name}" after a "$".
func variableName(s string) (name, rest string, err error) {
	if inner, ok := strings.CutPrefix(s, "{"); ok {
		name, rest, ok = strings.Cut(inner, "}")
		if !ok || !isVariableName(name) {
			return "", "", fmt.Errorf("log format: %q is not ${name}", shorten("${"+inner))
		}
		return name, rest, nil
	}
	end := strings.IndexFunc(s, func(r rune) bool { return !isNameRune(r) })
	if end < 0 {
		end = len(s)
	}
	if end == 0 {
		return "", "", fmt.Errorf("log format: \"$\" must start a variable name")
	}
	return s[:end], s[end:], nil
}

// headerVariable allows $http_NAME and $sent_http_NAME (request and
// response headers) with lowercase names.
func headerVariable(name string) (string, bool) {
	for _, prefix := range []string{"http_", "sent_http_"} {
		if h, ok := strings.CutPrefix(name, prefix); ok && h != "" && len(h) <= 64 && strings.Trim(h, "abcdefghijklmnopqrstuvwxyz0123456789_") == "" {
			return name, true
		}
	}
	return "", false
}

func isVariableName(s string) bool {
	return s != "" && len(s) <= 64 && strings.IndexFunc(s, func(r rune) bool { return !isNameRune(r) }) < 0
}

func isNameRune(r rune) bool {
	return r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}
