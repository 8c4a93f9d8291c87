package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	admissionv1 "k8s.io/api/admission/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/archway-ingress/archway/internal/builder"
)

const (
	class      = "external"
	controller = "archway.dev/external"
)

var testOptions = Options{
	Build: builder.Options{IngressClass: class, ControllerClass: controller,
		Limits: builder.Limits{PathsPerIngress: 1000}},
	IngressClass: func(name string) (*networkingv1.IngressClass, error) {
		classes := map[string]string{class: controller, "nginx": "k8s.io/ingress-nginx"}
		if c, ok := classes[name]; ok {
			return &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: name},
				Spec: networkingv1.IngressClassSpec{Controller: c}}, nil
		}
		return nil, nil
	},
}

// ingress returns an Ingress of className routing host/path (pathType
// pathType) to Service web, with annotations.
func ingress(className string, pathType networkingv1.PathType, path string, annotations map[string]string) *networkingv1.Ingress {
	return &networkingv1.Ingress{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "Ingress"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web", Annotations: annotations},
		Spec: networkingv1.IngressSpec{
			IngressClassName: &className,
			Rules: []networkingv1.IngressRule{{Host: "shop.example.com", IngressRuleValue: networkingv1.IngressRuleValue{
				HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
					Path: path, PathType: &pathType,
					Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
						Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}}},
				}}},
			}}},
		},
	}
}

// review is the API server's AdmissionReview of op on ing.
func review(t testing.TB, op admissionv1.Operation, ing *networkingv1.Ingress) []byte {
	raw, err := json.Marshal(ing)
	require.NoError(t, err)
	body, err := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:       types.UID("0d9c2f6e-1"),
			Kind:      metav1.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "Ingress"},
			Resource:  metav1.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "ingresses"},
			Namespace: ing.Namespace, Name: ing.Name, Operation: op,
			Object: runtime.RawExtension{Raw: raw},
		},
	})
	require.NoError(t, err)
	return body
}

func post(h http.Handler, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, Path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// answer posts a review of op on ing and returns the webhook's response.
func answer(t *testing.T, h http.Handler, op admissionv1.Operation, ing *networkingv1.Ingress) *admissionv1.AdmissionResponse {
	rec := post(h, review(t, op, ing))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var got admissionv1.AdmissionReview
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	require.Equal(t, "admission.k8s.io/v1", got.APIVersion)
	require.Equal(t, "AdmissionReview", got.Kind)
	require.NotNil(t, got.Response)
	require.Equal(t, types.UID("0d9c2f6e-1"), got.Response.UID)
	return got.Response
}

func TestWebhookVerdicts(t *testing.T) {
	h := New(testOptions)
	prefix, specific := networkingv1.PathTypePrefix, networkingv1.PathTypeImplementationSpecific
	snippet := map[string]string{"nginx.ingress.kubernetes.io/configuration-snippet": "proxy_pass http://169.254.169.254;"}

	t.Run("valid Ingress of its class: allowed, no warning", func(t *testing.T) {
		resp := answer(t, h, admissionv1.Create, ingress(class, prefix, "/", nil))
		require.True(t, resp.Allowed)
		require.Empty(t, resp.Warnings)
	})
	t.Run("an error denies, with the finding and its fix", func(t *testing.T) {
		resp := answer(t, h, admissionv1.Create, ingress(class, prefix, "/", snippet))
		require.False(t, resp.Allowed)
		require.Equal(t, int32(http.StatusUnprocessableEntity), resp.Result.Code)
		msg := resp.Result.Message
		require.Contains(t, msg, "archway (class external) would not serve this Ingress as written")
		require.Contains(t, msg, "metadata.annotations[nginx.ingress.kubernetes.io/configuration-snippet]")
		require.Contains(t, msg, "(SnippetRefused); fix: ")
	})
	t.Run("an update is judged as a create", func(t *testing.T) {
		resp := answer(t, h, admissionv1.Update, ingress(class, prefix, "/a//b", nil))
		require.False(t, resp.Allowed)
		require.Contains(t, resp.Result.Message, "spec.rules[0].http.paths[0].path: ")
		require.Contains(t, resp.Result.Message, "(InvalidPath)")
	})
	t.Run("a warning is an admission warning", func(t *testing.T) {
		resp := answer(t, h, admissionv1.Create, ingress(class, specific, "/app", nil))
		require.True(t, resp.Allowed)
		require.Len(t, resp.Warnings, 1)
		require.True(t, strings.HasPrefix(resp.Warnings[0], "spec.rules[0].http.paths[0].path: ingress-nginx matched"), resp.Warnings[0])
		require.True(t, strings.HasSuffix(resp.Warnings[0], "(StringPrefix)"), resp.Warnings[0])
	})
	t.Run("other classes are always allowed", func(t *testing.T) {
		for _, name := range []string{"nginx", "absent"} {
			resp := answer(t, h, admissionv1.Create, ingress(name, prefix, "/", snippet))
			require.True(t, resp.Allowed, name)
			require.Empty(t, resp.Warnings, name)
		}
		legacy := ingress(class, prefix, "/", snippet)
		legacy.Spec.IngressClassName = nil
		legacy.Annotations["kubernetes.io/ingress.class"] = "nginx"
		require.True(t, answer(t, h, admissionv1.Create, legacy).Allowed)
	})
	t.Run("the legacy annotation names its class too", func(t *testing.T) {
		legacy := ingress(class, prefix, "/", snippet)
		legacy.Spec.IngressClassName = nil
		legacy.Annotations["kubernetes.io/ingress.class"] = class
		require.False(t, answer(t, h, admissionv1.Create, legacy).Allowed)
	})
	t.Run("what depends on other objects never denies", func(t *testing.T) {
		// Service web, Secrets tls and users, and the canary's main
		// Ingress are absent.
		ing := ingress(class, prefix, "/", map[string]string{
			"nginx.ingress.kubernetes.io/auth-type":   "basic",
			"nginx.ingress.kubernetes.io/auth-secret": "users",
		})
		ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{"shop.example.com"}, SecretName: "tls"}}
		resp := answer(t, h, admissionv1.Create, ing)
		require.True(t, resp.Allowed, "%+v", resp.Result)
		canary := ingress(class, prefix, "/", map[string]string{
			"nginx.ingress.kubernetes.io/canary":        "true",
			"nginx.ingress.kubernetes.io/canary-weight": "10",
		})
		resp = answer(t, h, admissionv1.Create, canary)
		require.True(t, resp.Allowed, "%+v", resp.Result)
	})
	t.Run("an object being deleted is allowed", func(t *testing.T) {
		ing := ingress(class, prefix, "/", snippet)
		ing.DeletionTimestamp = &metav1.Time{Time: time.Unix(1e9, 0)}
		ing.Finalizers = []string{"example.com/cleanup"}
		require.True(t, answer(t, h, admissionv1.Update, ing).Allowed)
		require.True(t, answer(t, h, admissionv1.Delete, &networkingv1.Ingress{ObjectMeta: ing.ObjectMeta}).Allowed)
	})
}

func TestWebhookRefusesMalformedRequests(t *testing.T) {
	h := New(Options{Build: testOptions.Build, IngressClass: testOptions.IngressClass, MaxBodyBytes: 4096})
	valid := review(t, admissionv1.Create, ingress(class, networkingv1.PathTypePrefix, "/", nil))
	swap := func(old, new string) []byte { return bytes.Replace(valid, []byte(old), []byte(new), 1) }
	for name, tc := range map[string]struct {
		body []byte
		code int
		says string
	}{
		"not JSON":           {[]byte("{"), 400, "not an AdmissionReview"},
		"empty":              {nil, 400, "not an AdmissionReview"},
		"another version":    {swap("admission.k8s.io/v1", "admission.k8s.io/v1beta1"), 400, "want apiVersion admission.k8s.io/v1"},
		"no request":         {[]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`), 400, "has no request"},
		"no uid":             {swap(`"uid":"0d9c2f6e-1"`, `"uid":""`), 400, "has no uid"},
		"another kind":       {swap(`"kind":"Ingress"`, `"kind":"Service"`), 400, "networking.k8s.io/v1 Ingresses only"},
		"no object":          {swap(`"object":{`, `"oldObject":{`), 400, "has no object"},
		"object not Ingress": {swap(`"spec":{`, `"spec":{"rules":7},"x":{`), 400, "not an Ingress"},
		"too large":          {append(valid, bytes.Repeat([]byte(" "), 4096)...), 413, "over 4096 bytes"},
	} {
		t.Run(name, func(t *testing.T) {
			rec := post(h, tc.body)
			require.Equal(t, tc.code, rec.Code, rec.Body.String())
			require.Contains(t, rec.Body.String(), tc.says)
		})
	}

	get := httptest.NewRecorder()
	h.ServeHTTP(get, httptest.NewRequest(http.MethodGet, Path, nil))
	require.Equal(t, http.StatusMethodNotAllowed, get.Code)
	text := httptest.NewRequest(http.MethodPost, Path, bytes.NewReader(valid))
	text.Header.Set("Content-Type", "text/plain")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, text)
	require.Equal(t, http.StatusUnsupportedMediaType, rec.Code)
}

// A review that cannot be judged in time (here: the classes are not known
// and the lookup hangs), or not at all, gets a 503, and the API server's
// failurePolicy decides.
func TestWebhookUnavailable(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	slow := New(Options{Build: testOptions.Build, Timeout: 50 * time.Millisecond,
		IngressClass: func(string) (*networkingv1.IngressClass, error) { <-release; return nil, nil }})
	body := review(t, admissionv1.Create, ingress(class, networkingv1.PathTypePrefix, "/", nil))
	rec := post(slow, body)
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.Contains(t, rec.Body.String(), "timed out")

	starting := New(Options{Build: testOptions.Build,
		IngressClass: func(string) (*networkingv1.IngressClass, error) { return nil, errors.New("caches not filled yet") }})
	rec = post(starting, body)
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.Contains(t, rec.Body.String(), "caches not filled yet")
}
