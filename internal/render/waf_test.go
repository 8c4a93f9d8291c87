package render

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

// crsWAF blocks with the OWASP CRS at its defaults.
func crsWAF(mode model.WAFMode) *model.WAF {
	return &model.WAF{Mode: mode, CoreRules: true, Paranoia: 1, InboundThreshold: 5, OutboundThreshold: 4}
}

func withWAF(l model.Location, ingress string, w *model.WAF) model.Location {
	return with(l, ingress, model.Policy{WAF: w})
}

// wafGoldenCase shows the directives of each kind of WAF location.
func wafGoldenCase(backends []model.Backend) model.Config {
	excluded := crsWAF(model.WAFOn)
	excluded.Paranoia, excluded.InboundThreshold = 2, 10
	excluded.ExcludeIDs = []model.RuleIDRange{{First: 942100, Last: 942100}, {First: 920000, Last: 920999}}
	excluded.ExcludeTags = []string{"attack-xss", "paranoia-level/2"}
	excluded.TransactionID = model.Template{{Text: "app-"}, {Var: "request_id"}}
	return model.Config{
		Backends: backends,
		Servers: []model.Server{{Host: "waf.example.com", Locations: []model.Location{
			withWAF(prefix("/", "web"), "shop", crsWAF(model.WAFOn)),
			withWAF(prefix("/base", "web"), "base", &model.WAF{Mode: model.WAFDetectionOnly}),
			withWAF(prefix("/excluded", "api"), "api", excluded),
			prefix("/open", "web"),
		}}},
	}
}

// Probes the CRS refuses at paranoia level 1.
const (
	sqlInjection  = "/?id=" + "1%27%20OR%20%271%27%3D%271"
	crossSite     = "/?q=%3Cscript%3Ealert(document.cookie)%3C%2Fscript%3E"
	pathTraversal = "/?file=..%2F..%2F..%2Fetc%2Fpasswd"
)

// TestWAF runs ModSecurity and the CRS in nginx beside the Lua balancer:
// probes get 403 where it is on and reach the backend where it is off,
// DetectionOnly logs them to the JSON audit log and lets them through, an
// exclusion lets its request through while other rules still block, and a
// legitimate JSON body with quotes passes at the default paranoia level.
func TestWAF(t *testing.T) {
	sqlOnly := crsWAF(model.WAFOn)
	sqlOnly.ExcludeIDs = []model.RuleIDRange{{First: 942100, Last: 942100}}
	xssOnly := crsWAF(model.WAFOn)
	xssOnly.ExcludeTags = []string{"attack-xss"}
	lenient := crsWAF(model.WAFOn)
	lenient.InboundThreshold = model.MaxAnomalyThreshold
	e := newAnnotationEnv(t, model.Config{
		Backends: []model.Backend{handlerBackend(t, "app", echo("app"))},
		Servers: []model.Server{{Host: "waf.test", Locations: []model.Location{
			withWAF(prefix("/protected", "app"), "protected", crsWAF(model.WAFOn)),
			withWAF(prefix("/detect", "app"), "detect", crsWAF(model.WAFDetectionOnly)),
			withWAF(prefix("/no-libinjection", "app"), "sqlonly", sqlOnly),
			withWAF(prefix("/no-xss", "app"), "xssonly", xssOnly),
			withWAF(prefix("/lenient", "app"), "lenient", lenient),
			withWAF(prefix("/base", "app"), "base", &model.WAF{Mode: model.WAFOn}),
			prefix("/open", "app"),
		}}},
	})
	probes := map[string]string{"sql injection": sqlInjection, "xss": crossSite, "path traversal": pathTraversal}
	tests := map[string]exchange{
		"plain request passes": {host: "waf.test", path: "/protected/items?page=2", status: 200, wantBody: "app /protected/items?page=2"},
		"JSON with quotes":     {method: http.MethodPost, host: "waf.test", path: "/protected/notes", header: http.Header{"Content-Type": {"application/json"}}, body: `{"author":"O'Brien","text":"She said \"hello\" and left; it's fine","tags":["a","b"]}`, status: 200},
		"excluded rule passes": {host: "waf.test", path: "/no-libinjection" + sqlInjection, status: 200},
		"other rules block":    {host: "waf.test", path: "/no-libinjection" + crossSite, status: 403},
		"excluded tag passes":  {host: "waf.test", path: "/no-xss" + crossSite, status: 200},
		"other tags block":     {host: "waf.test", path: "/no-xss" + pathTraversal, status: 403},
		"threshold lets pass":  {host: "waf.test", path: "/lenient" + sqlInjection, status: 200},
		"base rules: bad JSON": {method: http.MethodPost, host: "waf.test", path: "/base/x", header: http.Header{"Content-Type": {"application/json"}}, body: `{"a":`, status: 400},
		"base rules: no CRS":   {host: "waf.test", path: "/base" + sqlInjection, status: 200},
	}
	for name, probe := range probes {
		tests[name+": protected"] = exchange{host: "waf.test", path: "/protected" + probe, status: 403}
		tests[name+": detection only"] = exchange{host: "waf.test", path: "/detect" + probe, status: 200, wantBody: "app /detect" + probe}
		tests[name+": open"] = exchange{host: "waf.test", path: "/open" + probe, status: 200, wantBody: "app /open" + probe}
	}
	e.check(t, tests)

	// The audit log (nginx's stdout) names the Ingress and the rules,
	// including those DetectionOnly let through.
	audit := func() string {
		data, err := os.ReadFile(filepath.Join(e.dir, "nginx.stderr"))
		require.NoError(t, err)
		return string(data)
	}
	records := func() (detected, blocked bool) {
		for line := range strings.Lines(audit()) {
			if !strings.HasPrefix(line, `{"transaction":`) {
				continue
			}
			detected = detected || strings.Contains(line, `"unique_id":"web/detect/`) && strings.Contains(line, `"ruleId":"942100"`) &&
				strings.Contains(line, `"secrules_engine":"DetectionOnly"`) && strings.Contains(line, `"http_code":200`)
			blocked = blocked || strings.Contains(line, `"unique_id":"web/protected/`) && strings.Contains(line, `"ruleId":"949110"`) &&
				strings.Contains(line, `"http_code":403`)
		}
		return detected, blocked
	}
	// Workers write the records after their responses.
	deadline := time.Now().Add(5 * time.Second)
	detected, blocked := records()
	for (!detected || !blocked) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		detected, blocked = records()
	}
	require.True(t, detected, "no DetectionOnly record of rule 942100:\n%s", audit())
	require.True(t, blocked, "no record of a blocked request:\n%s", audit())
}
