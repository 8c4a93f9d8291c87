package render

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/source"
)

// FuzzHeaderConfigMap builds one header ConfigMap entry as add-headers,
// proxy-set-headers and an Ingress's custom-headers read it: build either
// reports it or keeps it with a value free of line breaks, quotes,
// backslashes and braces, and render turns what build kept into known
// directives only.
func FuzzHeaderConfigMap(f *testing.F) {
	for _, seed := range [][2]string{{"X-Frame-Options", "DENY"}, {"Strict-Transport-Security", "max-age=31536000; includeSubDomains"},
		{"X-Request-Start", "t=${msec}"}, {"X-A", "a\r\nSet-Cookie: x"}, {"X-A", `a"; return 200 "x`}, {"X-A", "a}; }"},
		{"X-A", "$http_cookie"}, {"X-A", `a\`}, {"X A", "x"}, {"X-A:", "x"}, {"X-A", "${host"}, {"X-A", "$"}} {
		f.Add(seed[0], seed[1])
	}
	known := templateDirectives(f)
	r, err := New("")
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, name, value string) {
		meta := func(ns, n string) metav1.ObjectMeta { return metav1.ObjectMeta{Namespace: ns, Name: n} }
		pathType := networkingv1.PathTypePrefix
		snap := source.Snapshot{
			ConfigMap: &corev1.ConfigMap{ObjectMeta: meta("ingress", "archway"), Data: map[string]string{
				"add-headers": "web/headers", "proxy-set-headers": "web/headers", "global-allowed-response-headers": name}},
			ConfigMaps: []*corev1.ConfigMap{{ObjectMeta: meta("web", "headers"), Data: map[string]string{name: value}}},
			Ingresses: []*networkingv1.Ingress{{ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: "app",
				Annotations: map[string]string{annotations.DefaultPrefix + "/custom-headers": "headers"}},
				Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: "a.test", IngressRuleValue: networkingv1.IngressRuleValue{
					HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &pathType,
						Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "app",
							Port: networkingv1.ServiceBackendPort{Number: 80}}}}}}}}}}}},
		}
		cfg, report := builder.Build(snap, builder.Options{WatchWithoutClass: true})
		refused := false
		for _, p := range report.Problems {
			refused = refused || p.Reason == reason.InvalidHeader
		}
		if !refused {
			require.Len(t, cfg.Settings.Headers.Response, 1, "%q: %q", name, value)
			for _, part := range cfg.Settings.Headers.Response[0].Value {
				require.False(t, strings.ContainsAny(part.Text, "\r\n\"\\{}$"), "%q: %q", name, value)
			}
		}
		out, err := r.Render(cfg, rootOptions("/run/archway"))
		require.NoError(t, err, "%q: %q", name, value)
		checkDirectives(t, known, out.Files[0].Data, name+": "+value)
	})
}
