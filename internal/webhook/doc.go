// Package webhook is archway's validating admission webhook for Ingresses
// (--webhook-address): it answers the API server's AdmissionReviews (v1)
// so that `kubectl apply` refuses an Ingress that archway would not serve
// as written, instead of the user finding a 503 later.
//
// In: AdmissionReview requests over HTTP (the caller serves them over
// HTTPS), builder Options of the running controller, and a lookup of
// IngressClasses by name (the controller's informer cache).
// Out: AdmissionReview responses: denied with every error finding in the
// message, allowed with the warnings as admission warnings (kubectl prints
// them); a malformed request gets 400, never a crash.
// Invariants: the verdict comes from the parsers and build that serve
// traffic, through package lint (lint of the one Ingress, as
// `archway lint FILE` gives it); nothing runs nginx. An Ingress is judged
// alone: what depends on other objects (a Service, a Secret or a canary's
// main Ingress that may be created after it, another Ingress's conflicting
// route) never refuses it, and the controller reports it as Events once it
// serves. Ingresses of other classes are always allowed, and so is every
// request about an object being deleted (removing a finalizer must work).
// Work per request is bounded: a body limit, a concurrency limit and a
// timeout; the build of one Ingress is bounded by builder's Limits.
//
// Files: webhook.go serves and judges; review.go decodes and answers
// AdmissionReviews; certificate.go reloads the serving certificate when
// its files change (cert-manager renewals).
package webhook
