package builder

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/internal/model"
)

func headerConfigMap(namespace, name string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, Data: data}
}

// TestBuildHeaderConfigMaps checks that a header ConfigMap's bad entries
// are skipped alone and reported on it, and that the controller's
// ConfigMap reports one it names that does not exist.
func TestBuildHeaderConfigMaps(t *testing.T) {
	snap := load(t, "classes.yaml")
	snap.ConfigMap = headerConfigMap("ingress", "archway", map[string]string{
		"add-headers": "ingress/response", "proxy-set-headers": "ingress/missing", "hide-headers": "X-Powered-By"})
	snap.ConfigMaps = []*corev1.ConfigMap{headerConfigMap("ingress", "response", map[string]string{
		"X-Frame-Options":         "DENY",
		"X-Request-Start":         "t=${msec}",
		"Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
		"X-Injected":              "a\r\nSet-Cookie: x=1",
		"X-Brace":                 "a}; return 200 x; #",
		"X-Variable":              "$http_authorization",
		"Bad Name":                "x",
	})}
	cfg, report := Build(snap, defaultOpts())
	require.Equal(t, []model.Header{
		{Name: "Content-Security-Policy", Value: model.Template{{Text: "default-src 'self'; frame-ancestors 'none'"}}},
		{Name: "X-Frame-Options", Value: model.Template{{Text: "DENY"}}},
		{Name: "X-Request-Start", Value: model.Template{{Text: "t="}, {Var: "msec"}}},
	}, cfg.Settings.Headers.Response)
	require.Nil(t, cfg.Settings.Headers.Request)
	require.Equal(t, []string{"X-Powered-By"}, cfg.Settings.Headers.Hide)
	require.Equal(t, []string{
		`ConfigMap ingress/archway data.proxy-set-headers: InvalidSetting: ConfigMap ingress/missing does not exist: no header is set`,
		`ConfigMap ingress/response data.Bad Name: InvalidHeader: header "Bad Name" is skipped: header name: not a header name: character ' ' is not allowed (letters, digits and "-_" only)`,
		`ConfigMap ingress/response data.X-Brace: InvalidHeader: header "X-Brace" is skipped: value "a}; return 200 x; #": character '}' is not allowed (letters, digits and " !#%&'()*+,-./:;<=>?@[]^_` + "`" + `|~" only) (variables allowed: $scheme, $host, $http_host, $server_port, $request_uri, $args, $is_args, $remote_addr, $request_id, $msec)`,
		`ConfigMap ingress/response data.X-Injected: InvalidHeader: header "X-Injected" is skipped: value "a\r\nSet-Cookie: x=1": character '\r' is not allowed (letters, digits and " !#%&'()*+,-./:;<=>?@[]^_` + "`" + `|~" only) (variables allowed: $scheme, $host, $http_host, $server_port, $request_uri, $args, $is_args, $remote_addr, $request_id, $msec)`,
		`ConfigMap ingress/response data.X-Variable: InvalidHeader: header "X-Variable" is skipped: value "$http_authorization": variable "$http_authorization" is not allowed here (variables allowed: $scheme, $host, $http_host, $server_port, $request_uri, $args, $is_args, $remote_addr, $request_id, $msec)`,
	}, problemStrings(report.Problems))
}

// TestBuildCustomHeaders checks the custom-headers annotation: only the
// names global-allowed-response-headers lists are set, others are
// reported; a ConfigMap of another namespace or none at all makes the
// Ingress answer 503.
func TestBuildCustomHeaders(t *testing.T) {
	snap := load(t, "classes.yaml", "service-web-app.yaml")
	snap.ConfigMap = headerConfigMap("ingress", "archway", map[string]string{"global-allowed-response-headers": "cache-control, X-Robots-Tag"})
	snap.ConfigMaps = []*corev1.ConfigMap{
		headerConfigMap("web", "headers", map[string]string{"Cache-Control": "no-store", "X-Robots-Tag": "noindex", "Server": "mine"}),
		headerConfigMap("other", "headers", map[string]string{"Cache-Control": "no-store"}),
	}
	snap.Ingresses = []*networkingv1.Ingress{
		pathIngress("own", 0, "own.example.com", "/", map[string]string{"custom-headers": "headers"}),
		pathIngress("qualified", 1, "qualified.example.com", "/", map[string]string{"custom-headers": "web/headers"}),
		pathIngress("foreign", 2, "foreign.example.com", "/", map[string]string{"custom-headers": "other/headers"}),
		pathIngress("missing", 3, "missing.example.com", "/", map[string]string{"custom-headers": "nothing"}),
	}
	cfg, report := Build(snap, defaultOpts())
	want := []model.Header{{Name: "Cache-Control", Value: model.Template{{Text: "no-store"}}},
		{Name: "X-Robots-Tag", Value: model.Template{{Text: "noindex"}}}}
	got := map[string][]model.Header{}
	for _, s := range cfg.Servers {
		if l := s.Locations[0]; l.Backend != "" {
			got[s.Host] = policyOf(l).ResponseHeaders
		}
	}
	require.Equal(t, map[string][]model.Header{"own.example.com": want, "qualified.example.com": want}, got)
	require.Equal(t, []string{
		`Ingress web/foreign metadata.annotations[nginx.ingress.kubernetes.io/custom-headers]: InvalidAnnotation: ConfigMap other/headers is in another namespace than the Ingress; only its own namespace is allowed`,
		`ConfigMap web/headers data.Server: InvalidHeader: header "Server" is skipped: the controller's ConfigMap key global-allowed-response-headers does not list it`,
		`Ingress web/missing metadata.annotations[nginx.ingress.kubernetes.io/custom-headers]: InvalidAnnotation: ConfigMap web/nothing does not exist`,
	}, problemStrings(report.Problems))
}

func problemStrings(problems []Problem) []string {
	var out []string
	for _, p := range problems {
		out = append(out, p.String())
	}
	return out
}
