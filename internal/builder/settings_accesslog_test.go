package builder

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

func TestAccessLogDefaults(t *testing.T) {
	log := defaultSettings().AccessLog
	require.False(t, log.Off)
	require.Equal(t, model.AccessLogStdout, log.Path)
	require.Equal(t, "default", log.Escape)
	require.Equal(t, model.LogPart{Var: "remote_addr"}, log.Format[0])
	require.Contains(t, log.Format, model.LogPart{Var: "archway_upstream"}, "$proxy_upstream_name")
	require.Contains(t, log.Format, model.LogPart{Var: "archway_request_id"}, "$req_id")
	require.Contains(t, log.Format, model.LogPart{Text: `" `})
}

func TestLogFormat(t *testing.T) {
	parse := logFormat(httpLogVariables, true)
	valid := map[string]model.LogFormat{
		`$status`:                          {{Var: "status"}},
		`${status}ms "x" {}`:               {{Var: "status"}, {Text: `ms "x" {}`}},
		`[$namespace/$ingress_name]`:       {{Text: "["}, {Var: "archway_namespace"}, {Text: "/"}, {Var: "archway_ingress"}, {Text: "]"}},
		`$http_x_trace_id;$sent_http_etag`: {{Var: "http_x_trace_id"}, {Text: ";"}, {Var: "sent_http_etag"}},
	}
	for in, want := range valid {
		got, err := parse(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	invalid := map[string]string{
		"":                       "1 to 4096 bytes",
		`$request_body`:          "$request_body is not among",
		`$HTTP_X`:                "$HTTP_X is not among",
		`$http_`:                 "$http_ is not among",
		`cost: $`:                `"$" must start a variable name`,
		`${status`:               "is not ${name}",
		`${}`:                    "is not ${name}",
		`it's $status`:           `may not hold "'"`,
		`a\b`:                    `may not hold "\\"`,
		"a\nb":                   `may not hold "\n"`,
		"caf\u00e9":              "may not hold",
		`$status'; user root; #`: `may not hold "'"`,
	}
	for in, want := range invalid {
		_, err := parse(in)
		require.ErrorContains(t, err, want, in)
	}
	_, err := logFormat(streamLogVariables, false)(`$protocol $http_x`)
	require.ErrorContains(t, err, "$http_x is not among", "no headers in stream logs")
}

func TestAccessLogSettings(t *testing.T) {
	set := func(data map[string]string) (model.AccessLog, []string) {
		s := defaultSettings()
		var problems []string
		for _, st := range SettingSpecs() {
			if v, ok := data[st.Key]; ok {
				if err := st.set(v, &s); err != nil {
					problems = append(problems, st.Key)
				}
			}
		}
		return s.AccessLog, problems
	}
	log, problems := set(map[string]string{"log-format-escape-json": "true", "skip-access-log-urls": "/healthz, /metrics?x=1,/healthz",
		"access-log-path": "stderr", "disable-access-log": "true"})
	require.Empty(t, problems)
	require.Equal(t, "json", log.Escape)
	require.Equal(t, []string{"/healthz", "/metrics?x=1"}, log.SkipURLs)
	require.Equal(t, model.AccessLogStderr, log.Path)
	require.True(t, log.Off)

	log, _ = set(map[string]string{"log-format-escape-json": "true", "log-format-escape-none": "true"})
	require.Equal(t, "none", log.Escape, "as in ingress-nginx")

	for key, value := range map[string]string{
		"access-log-path":      "/var/log/nginx/access.log",
		"skip-access-log-urls": `/a"b`,
		"log-format-stream":    "$request_uri",
		"disable-access-log":   "yes",
	} {
		log, problems := set(map[string]string{key: value})
		require.Equal(t, []string{key}, problems, key)
		require.Equal(t, defaultSettings().AccessLog, log, "%s: the default stays", key)
	}
	for _, ok := range []string{"access.log", "ingress_access-1.log"} {
		_, err := accessLogPath(ok)
		require.NoError(t, err, ok)
	}
	for _, bad := range []string{".log", "nginx.conf", "../x.log", "a/b.log", "x.log;"} {
		_, err := accessLogPath(bad)
		require.Error(t, err, bad)
	}
}
