package webhook

import (
	"encoding/json"
	"fmt"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// reviewVersion is the only AdmissionReview version archway answers; the
// chart's ValidatingWebhookConfiguration asks for it.
var reviewVersion = admissionv1.SchemeGroupVersion.String()

// decodeReview reads an AdmissionReview request about an Ingress. The
// Ingress is nil when the request needs no judgement (DELETE, CONNECT).
// Its errors say why the request cannot be answered (a 400).
func decodeReview(body []byte) (*admissionv1.AdmissionRequest, *networkingv1.Ingress, error) {
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &review); err != nil {
		return nil, nil, fmt.Errorf("the body is not an AdmissionReview: %v", err)
	}
	if review.APIVersion != reviewVersion || review.Kind != "AdmissionReview" {
		return nil, nil, fmt.Errorf("want apiVersion %s and kind AdmissionReview, not %q and %q", reviewVersion, review.APIVersion, review.Kind)
	}
	req := review.Request
	switch {
	case req == nil:
		return nil, nil, fmt.Errorf("the AdmissionReview has no request")
	case req.UID == "":
		return nil, nil, fmt.Errorf("the AdmissionReview's request has no uid")
	case req.Kind.Group != networkingv1.GroupName || req.Kind.Version != "v1" || req.Kind.Kind != "Ingress":
		return nil, nil, fmt.Errorf("archway reviews networking.k8s.io/v1 Ingresses only, not %s", req.Kind.String())
	}
	if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
		return req, nil, nil
	}
	if len(req.Object.Raw) == 0 {
		return nil, nil, fmt.Errorf("the %s request has no object", req.Operation)
	}
	var ing networkingv1.Ingress
	if err := json.Unmarshal(req.Object.Raw, &ing); err != nil {
		return nil, nil, fmt.Errorf("the request's object is not an Ingress: %v", err)
	}
	// The API server fills both before validating admission; a request
	// without them names the object only in the request.
	if ing.Namespace == "" {
		ing.Namespace = req.Namespace
	}
	if ing.Name == "" {
		ing.Name = req.Name
	}
	return req, &ing, nil
}

// verdict is the webhook's answer to one request.
type verdict struct {
	allowed  bool
	message  string // why it is denied
	warnings []string
}

// writeReview answers req with v.
func writeReview(w http.ResponseWriter, req *admissionv1.AdmissionRequest, v verdict) error {
	resp := &admissionv1.AdmissionResponse{UID: req.UID, Allowed: v.allowed, Warnings: v.warnings}
	if !v.allowed {
		resp.Result = &metav1.Status{Status: metav1.StatusFailure, Code: http.StatusUnprocessableEntity,
			Reason: metav1.StatusReasonInvalid, Message: v.message}
	}
	body, err := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: reviewVersion, Kind: "AdmissionReview"},
		Response: resp,
	})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	_, err = w.Write(body)
	return err
}
