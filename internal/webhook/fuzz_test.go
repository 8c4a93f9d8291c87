package webhook

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// FuzzReview sends random bodies, seeded with reviews of valid and refused
// Ingresses, and checks that every one gets an answer: a 400 (or 413)
// with a reason, or an AdmissionReview response to the request's uid that
// allows, or denies with a message.
func FuzzReview(f *testing.F) {
	prefix := networkingv1.PathTypePrefix
	snippet := map[string]string{"nginx.ingress.kubernetes.io/configuration-snippet": "proxy_pass http://169.254.169.254;"}
	for _, ing := range []*networkingv1.Ingress{
		ingress(class, prefix, "/", nil),
		ingress(class, prefix, "/", snippet),
		ingress(class, networkingv1.PathTypeImplementationSpecific, "/app(/|$)(.*)",
			map[string]string{"nginx.ingress.kubernetes.io/use-regex": "true", "nginx.ingress.kubernetes.io/rewrite-target": "/$2"}),
		ingress("nginx", prefix, "/", snippet),
	} {
		f.Add(review(f, admissionv1.Create, ing))
		f.Add(review(f, admissionv1.Update, ing))
	}
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u"}}`))
	h := New(Options{Build: testOptions.Build, IngressClass: testOptions.IngressClass, MaxBodyBytes: 1 << 16})
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := post(h, body)
		switch rec.Code {
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			if rec.Body.Len() < 2 {
				t.Fatalf("%d without a reason", rec.Code)
			}
			return
		case http.StatusOK:
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		var sent, got admissionv1.AdmissionReview
		if err := json.Unmarshal(body, &sent); err != nil {
			t.Fatalf("answered 200 to a body that is no AdmissionReview: %v", err)
		}
		if err := json.NewDecoder(bytes.NewReader(rec.Body.Bytes())).Decode(&got); err != nil || got.Response == nil {
			t.Fatalf("answer is no AdmissionReview response (%v): %s", err, rec.Body)
		}
		if got.Response.UID != sent.Request.UID {
			t.Fatalf("answer to uid %q, request %q", got.Response.UID, sent.Request.UID)
		}
		if !got.Response.Allowed && (got.Response.Result == nil || got.Response.Result.Message == "") {
			t.Fatalf("denied without a message")
		}
	})
}
