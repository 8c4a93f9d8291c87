package controller

import (
	"reflect"
	"slices"

	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/source"
)

// withoutBuild returns the candidate of snap without a Build or a Render
// when snap differs from the Snapshot of the live config only in Secrets
// that builder.Renew can take (certificates of hosts renewed in place, and
// Secrets the live config never read) and in EndpointSlices, which
// builder.Reendpoint reads again. A renewal or an endpoint change then
// costs a push, not a Build of every Ingress, at any scale. ok is false
// when a Build is needed.
func (c *Controller) withoutBuild(snap source.Snapshot, opts builder.Options) (_ candidate, ok bool) {
	if !c.applied || len(c.culprits) > 0 || !sameBesides(c.good, snap, "Secrets", "EndpointSlices") {
		return candidate{}, false
	}
	var secrets []model.Ref
	for _, ch := range changedOf(nil, 0, kindSecret, c.good.Secrets, snap.Secrets) {
		secrets = append(secrets, ch.key.Ref)
	}
	// Renew also checks the clock, which may have expired a certificate.
	cfg, report, ok := builder.Renew(c.last, c.report, snap.Secrets, secrets, opts)
	if !ok {
		return candidate{}, false
	}
	out := c.out
	if len(secrets) > 0 {
		out = out.WithCertificates(cfg)
	}
	if !sameObjects(reflect.ValueOf(c.good.EndpointSlices), reflect.ValueOf(snap.EndpointSlices)) {
		cfg, report = builder.Reendpoint(cfg, report, snap.EndpointSlices, changedPointers(c.good.EndpointSlices, snap.EndpointSlices), opts)
		var err error
		if out, err = out.WithEndpoints(cfg, c.last); err != nil {
			return candidate{}, false // the renderer's refusal, which a Render reports
		}
	}
	return candidate{snap: snap, cfg: cfg, report: report, out: out}, true
}

// changedPointers returns the objects that are in one of a and b only.
func changedPointers[T comparable](a, b []T) []T {
	inA := make(map[T]bool, len(a))
	for _, o := range a {
		inA[o] = true
	}
	var out []T
	for _, o := range b {
		if !inA[o] {
			out = append(out, o)
		}
		delete(inA, o)
	}
	for _, o := range a {
		if inA[o] {
			out = append(out, o)
		}
	}
	return out
}

// sameBesides reports whether a and b hold the same objects in every
// field of the Snapshot but those named: the same pointers, in any order,
// as informer caches share unchanged objects between Snapshots (a folder
// source reads new ones every time, which always differ).
func sameBesides(a, b source.Snapshot, except ...string) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	for i := range va.NumField() {
		if slices.Contains(except, va.Type().Field(i).Name) {
			continue
		}
		if !sameObjects(va.Field(i), vb.Field(i)) {
			return false
		}
	}
	return true
}

// sameObjects reports whether two values of a Snapshot field hold the
// same objects: slices of pointers as sets, anything else deeply equal.
func sameObjects(a, b reflect.Value) bool {
	if a.Kind() != reflect.Slice || a.Type().Elem().Kind() != reflect.Pointer {
		return reflect.DeepEqual(a.Interface(), b.Interface())
	}
	if a.Len() != b.Len() {
		return false
	}
	count := make(map[uintptr]int, a.Len())
	for i := range a.Len() {
		count[a.Index(i).Pointer()]++
	}
	for i := range b.Len() {
		p := b.Index(i).Pointer()
		if count[p] == 0 {
			return false
		}
		count[p]--
	}
	return true
}
