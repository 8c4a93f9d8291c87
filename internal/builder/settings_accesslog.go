package builder

import (
	"fmt"
	"slices"
	"strings"

	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
)

// UpstreamInfo is ingress-nginx's default log-format-upstream, archway's
// too, so that log pipelines that parse it keep working.
const UpstreamInfo = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" ` +
	`"$http_user_agent" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] ` +
	`$upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id`

// streamInfo is ingress-nginx's default log-format-stream.
const streamInfo = `[$remote_addr] [$time_local] $protocol $status $bytes_sent $bytes_received $session_time`

// accessLogSettings are the ConfigMap keys of the access log (see
// model.AccessLog).
func accessLogSettings() []SettingSpec {
	const g = "Access log"
	log := func(s *model.Settings) *model.AccessLog { return &s.AccessLog }
	return []SettingSpec{
		{Key: "disable-access-log", Group: g, Scope: ScopeGlobal, Syntax: boolSyntax, Default: "false",
			Doc: "`true` writes no access log (the request metrics keep counting).",
			set: parseInto(grammar.Bool, func(s *model.Settings) *bool { return &log(s).Off })},
		{Key: "access-log-path", Group: g, Scope: ScopeGlobal, Syntax: "`stdout`, `stderr`, or a file name of letters, digits, `_` and `-` ending in `.log`", Default: model.AccessLogStdout,
			Doc: "`stdout` or `stderr` are archway's; a file name is a file in the runtime dir (`access.log`), which nginx appends to.",
			set: parseInto(accessLogPath, func(s *model.Settings) *string { return &log(s).Path })},
		{Key: "log-format-upstream", Group: g, Scope: ScopeGlobal, Syntax: "text (printable ASCII but `'` and `\\`) and `$name` or `${name}` of the variables the README's access log section lists",
			Default: UpstreamInfo,
			Doc:     "The access log line; ingress-nginx's `upstreaminfo` by default.",
			set:     parseInto(logFormat(httpLogVariables, true), func(s *model.Settings) *model.LogFormat { return &log(s).Format })},
		// archway does not log its TCP and UDP services yet: the stream
		// format is only checked, so that a ConfigMap written for
		// ingress-nginx is told what archway would refuse.
		{Key: "log-format-stream", Group: g, Scope: ScopeGlobal, Syntax: "as `log-format-upstream`, with the stream variables `remote_addr`, `remote_port`, `time_local`, `time_iso8601`, `msec`, " +
			"`protocol`, `status`, `bytes_sent`, `bytes_received`, `session_time`, `server_addr`, `server_port`, `connection`, `hostname`, `upstream_addr`, " +
			"`upstream_bytes_sent`, `upstream_bytes_received`, `upstream_connect_time`", Default: streamInfo,
			Doc: "Checked only: archway does not log its TCP and UDP services yet.",
			set: func(value string, _ *model.Settings) error {
				_, err := logFormat(streamLogVariables, false)(value)
				return err
			}},
		{Key: "log-format-escape-json", Group: g, Scope: ScopeGlobal, Syntax: boolSyntax, Default: "false",
			Doc: "Escape variable values for JSON (`\\\"`, `\\n`, `\\u0001`).",
			set: escape("json")},
		{Key: "log-format-escape-none", Group: g, Scope: ScopeGlobal, Syntax: boolSyntax, Default: "false",
			Doc: "Escape nothing (wins over `log-format-escape-json`): a client can then write line breaks into the log.",
			set: escape("none")},
		{Key: "skip-access-log-urls", Group: g, Scope: ScopeGlobal, Syntax: "comma-separated request URIs (`/healthz, /metrics?x=1`)",
			Doc: "Requests whose exact `$request_uri` is listed are never logged.",
			set: parseInto(requestURIs, func(s *model.Settings) *[]string { return &log(s).SkipURLs })},
	}
}

// escape returns the setter of a log-format-escape-* key. As in
// ingress-nginx, "none" wins over "json": the table sets json first.
func escape(mode string) func(string, *model.Settings) error {
	return func(value string, s *model.Settings) error {
		on, err := grammar.Bool(value)
		switch {
		case err != nil:
			return err
		case on:
			s.AccessLog.Escape = mode
		case s.AccessLog.Escape == "":
			s.AccessLog.Escape = "default"
		}
		return nil
	}
}

// accessLogPath accepts stdout, stderr, or the name of a file in the
// runtime dir ending in ".log", so that it never names one of archway's
// own files.
func accessLogPath(s string) (string, error) {
	if s == model.AccessLogStdout || s == model.AccessLogStderr {
		return s, nil
	}
	name, ok := strings.CutSuffix(s, ".log")
	if ok && name != "" && len(s) <= 100 && strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == "" {
		return s, nil
	}
	return "", fmt.Errorf("%q is not stdout, stderr or a file name in the runtime dir such as access.log (letters, digits, '_' and '-', then .log)", shorten(s))
}

// requestURIs accepts comma-separated request URIs: "/" then the bytes of
// a path and query that need no percent-encoding, as $request_uri holds
// them.
func requestURIs(s string) ([]string, error) {
	var out []string
	for _, u := range strings.Split(s, ",") {
		u = strings.TrimSpace(u)
		if u == "" {
			continue
		}
		if !strings.HasPrefix(u, "/") || len(u) > 256 || strings.Trim(u, uriChars) != "" {
			return nil, fmt.Errorf("%q is not a request URI such as /healthz or /metrics?format=json", shorten(u))
		}
		if !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return out, nil
}

// uriChars are the bytes of an unencoded URI path and query (RFC 3986's
// unreserved and sub-delims, ':', '@', '/', '?', '%'), less those that
// nginx.conf quoting refuses.
const uriChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!&'()*+,=:@/?%"
