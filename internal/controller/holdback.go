package controller

import (
	"cmp"
	"reflect"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/archway-ingress/archway/internal/build"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/source"
)

// A sync can hold objects back: build from the Snapshot with some objects
// at their version in the last good Snapshot (the one the live config was
// built from), or left out when they had none there. EndpointSlices are
// never held back: they only feed the endpoints push, which must follow
// the cluster whatever happens to the config.

// objectKey names an object of a Snapshot that a sync can hold back.
type objectKey struct {
	Kind string // a build.Kind*, or kindSecret or kindConfigMap
	Ref  model.Ref
}

const (
	kindSecret    = "Secret"
	kindConfigMap = "ConfigMap"
)

// object is what a Snapshot holds of each kind that can be held back.
type object interface {
	GetNamespace() string
	GetName() string
}

// changedObjects lists, sorted, the objects that snap added, changed or
// deleted since good.
func changedObjects(good, snap source.Snapshot) []objectKey {
	var keys []objectKey
	keys = changedOf(keys, build.KindIngressClass, good.IngressClasses, snap.IngressClasses)
	keys = changedOf(keys, kindConfigMap, configMaps(good), configMaps(snap))
	keys = changedOf(keys, kindSecret, good.Secrets, snap.Secrets)
	keys = changedOf(keys, build.KindService, good.Services, snap.Services)
	keys = changedOf(keys, build.KindIngress, good.Ingresses, snap.Ingresses)
	return keys
}

// holdBack returns snap with each object of held at its version in good,
// or without it when good has none.
func holdBack[V any](snap, good source.Snapshot, held map[objectKey]V) source.Snapshot {
	if len(held) == 0 {
		return snap
	}
	out := snap
	out.IngressClasses = holdOf(build.KindIngressClass, snap.IngressClasses, good.IngressClasses, held)
	out.Secrets = holdOf(kindSecret, snap.Secrets, good.Secrets, held)
	out.Services = holdOf(build.KindService, snap.Services, good.Services, held)
	out.Ingresses = holdOf(build.KindIngress, snap.Ingresses, good.Ingresses, held)
	out.ConfigMap = nil
	if cms := holdOf(kindConfigMap, configMaps(snap), configMaps(good), held); len(cms) > 0 {
		out.ConfigMap = cms[0]
	}
	return out
}

// version returns the object key names in snap, or nil when snap has none.
func version(snap source.Snapshot, key objectKey) any {
	switch key.Kind {
	case build.KindIngressClass:
		return find(snap.IngressClasses, key.Ref)
	case kindConfigMap:
		return find(configMaps(snap), key.Ref)
	case kindSecret:
		return find(snap.Secrets, key.Ref)
	case build.KindService:
		return find(snap.Services, key.Ref)
	default:
		return find(snap.Ingresses, key.Ref)
	}
}

func configMaps(snap source.Snapshot) []*corev1.ConfigMap {
	if snap.ConfigMap == nil {
		return nil
	}
	return []*corev1.ConfigMap{snap.ConfigMap}
}

func refOf[T object](o T) model.Ref {
	return model.Ref{Namespace: o.GetNamespace(), Name: o.GetName()}
}

// changedOf appends to keys, sorted, the objects of kind that cur added,
// changed or deleted since good.
func changedOf[T object](keys []objectKey, kind string, good, cur []T) []objectKey {
	before := make(map[model.Ref]T, len(good))
	for _, o := range good {
		before[refOf(o)] = o
	}
	start := len(keys)
	for _, o := range cur {
		ref := refOf(o)
		old, ok := before[ref]
		delete(before, ref)
		// Equal pointers short-cut DeepEqual: informers share unchanged
		// objects between Snapshots.
		if !ok || !reflect.DeepEqual(old, o) {
			keys = append(keys, objectKey{kind, ref})
		}
	}
	for ref := range before {
		keys = append(keys, objectKey{kind, ref})
	}
	slices.SortFunc(keys[start:], func(a, b objectKey) int {
		return cmp.Or(cmp.Compare(a.Ref.Namespace, b.Ref.Namespace), cmp.Compare(a.Ref.Name, b.Ref.Name))
	})
	return keys
}

// holdOf returns cur's objects of kind, with those in held replaced by
// their version in good, or left out.
func holdOf[T object, V any](kind string, cur, good []T, held map[objectKey]V) []T {
	isHeld := func(o T) bool {
		_, ok := held[objectKey{kind, refOf(o)}]
		return ok
	}
	out := slices.DeleteFunc(slices.Clone(cur), isHeld)
	for _, o := range good {
		if isHeld(o) {
			out = append(out, o)
		}
	}
	return out
}

// find returns the object of objs named ref, or nil.
func find[T object](objs []T, ref model.Ref) any {
	for _, o := range objs {
		if refOf(o) == ref {
			return o
		}
	}
	return nil
}
