package accesslog

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/metrics"
)

// auditLine is a record as libmodsecurity 3.0.9 writes it (shortened).
func auditLine(id, engine string, status int, withRules bool) string {
	messages := `[]`
	if withRules {
		messages = `[{"message":"SQL Injection Attack Detected via libinjection","details":{"ruleId":"942100","data":"Matched Data: s&sos"}},{"message":"Inbound Anomaly Score Exceeded","details":{"ruleId":"949110","data":""}}]`
	}
	return `{"transaction":{"client_ip":"10.0.0.7","time_stamp":"Sat Dec  5 02:07:40 2026","unique_id":"` + id +
		`","request":{"method":"GET","http_version":1.1,"uri":"/x?id=1"},"response":{"body":"secret","http_code":` +
		strconv.Itoa(status) + `},"producer":{"secrules_engine":"` + engine + `"},"messages":` + messages + `}}`
}

func TestAuditTake(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, metrics.Labels{})
	var out bytes.Buffer
	a := &Audit{W: &out, Metrics: m}

	require.False(t, a.Take([]byte(`127.0.0.1 - - "GET / HTTP/1.1" 200`)), "an access log line is not taken")
	require.True(t, a.Take([]byte(auditLine("web/shop/abc", "Enabled", 403, true))))
	require.True(t, a.Take([]byte(auditLine("web/probe/abc", "DetectionOnly", 200, true))))
	// Taken, neither logged nor counted: no rule matched (a 5xx), or the
	// ID does not name an Ingress.
	require.True(t, a.Take([]byte(auditLine("web/shop/abc", "Enabled", 502, false))))
	require.True(t, a.Take([]byte(auditLine("Web/x_y/abc", "Enabled", 403, true))))
	require.True(t, a.Take([]byte(`{"transaction": not json`)))

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 3)
	at := time.Date(2026, 12, 5, 2, 7, 40, 0, time.Local).Format(time.RFC3339)
	require.Equal(t, `{"time":"`+at+`","log":"modsecurity","namespace":"web","ingress":"shop","transaction":"web/shop/abc","client":"10.0.0.7","method":"GET","uri":"/x?id=1","status":403,"action":"blocked","rules":[{"id":"942100","message":"SQL Injection Attack Detected via libinjection","data":"Matched Data: s\u0026sos"},{"id":"949110","message":"Inbound Anomaly Score Exceeded"}]}`, lines[0])
	require.NotContains(t, out.String(), "secret", "response bodies never reach the log")
	require.Contains(t, lines[2], `"namespace":"","ingress":""`)

	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP archway_waf_requests_total Requests on which ModSecurity rules matched, by Ingress and action (blocked or detected), from its audit log.
# TYPE archway_waf_requests_total counter
archway_waf_requests_total{action="blocked",controller_class="",controller_namespace="",controller_pod="",ingress="shop",namespace="web"} 1
archway_waf_requests_total{action="detected",controller_class="",controller_namespace="",controller_pod="",ingress="probe",namespace="web"} 1
`), "archway_waf_requests_total"))

	// An Ingress no longer served loses its series.
	m.Synced(0, nil, nil)
	n, err := testutil.GatherAndCount(reg, "archway_waf_requests_total")
	require.NoError(t, err)
	require.Zero(t, n)
}
