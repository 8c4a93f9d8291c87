package webhook

import (
	"testing"

	"github.com/stretchr/testify/require"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// TestWebhookSafeSnippets judges with the controller's ConfigMap: with
// safe-snippet-annotations on, a snippet of the subset is admitted and one
// outside it is still denied, naming its token.
func TestWebhookSafeSnippets(t *testing.T) {
	opts := testOptions
	opts.ConfigMap = func() (*corev1.ConfigMap, error) {
		return &corev1.ConfigMap{Data: map[string]string{"safe-snippet-annotations": "true"}}, nil
	}
	h := New(opts)
	snippet := func(s string) *networkingv1.Ingress {
		return ingress(class, networkingv1.PathTypePrefix, "/", map[string]string{"nginx.ingress.kubernetes.io/configuration-snippet": s})
	}
	resp := answer(t, h, admissionv1.Create, snippet(`more_set_headers "X-Frame-Options: DENY";`))
	require.True(t, resp.Allowed, "%+v", resp.Result)
	resp = answer(t, h, admissionv1.Create, snippet("proxy_pass http://169.254.169.254;"))
	require.False(t, resp.Allowed)
	require.Contains(t, resp.Result.Message, `"proxy_pass" (line 1) is refused`)
	resp = answer(t, New(testOptions), admissionv1.Create, snippet(`more_set_headers "X-Frame-Options: DENY";`))
	require.False(t, resp.Allowed, "without the ConfigMap's key the snippet is not served")
	require.Contains(t, resp.Result.Message, "safe-snippet-annotations")
}
