package controller

import (
	"cmp"
	"reflect"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/internal/builder"
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
	Kind string // a builder.Kind*, or kindSecret or kindConfigMap
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
	GetCreationTimestamp() metav1.Time
}

// changed is an object that a Snapshot added, changed or deleted.
type changed struct {
	key     objectKey
	created time.Time
	rank    int // of its kind: the order of changedObjects
}

// changedObjects lists the objects that snap added, changed or deleted
// since good, oldest first (then by kind, namespace and name): when two
// objects are refused only together (a canary and its main route), the
// search blames the one admitted last, the newer one, as conflicts do.
func changedObjects(good, snap source.Snapshot) []objectKey {
	var all []changed
	all = changedOf(all, 0, builder.KindIngressClass, good.IngressClasses, snap.IngressClasses)
	all = changedOf(all, 1, kindConfigMap, configMaps(good), configMaps(snap))
	all = changedOf(all, 2, kindSecret, good.Secrets, snap.Secrets)
	all = changedOf(all, 3, builder.KindService, good.Services, snap.Services)
	all = changedOf(all, 4, builder.KindIngress, good.Ingresses, snap.Ingresses)
	all = changedOf(all, 5, builder.KindGateway, good.Gateways, snap.Gateways)
	all = changedOf(all, 6, builder.KindHTTPRoute, good.HTTPRoutes, snap.HTTPRoutes)
	slices.SortFunc(all, func(a, b changed) int {
		return cmp.Or(a.created.Compare(b.created), cmp.Compare(a.rank, b.rank),
			cmp.Compare(a.key.Ref.Namespace, b.key.Ref.Namespace), cmp.Compare(a.key.Ref.Name, b.key.Ref.Name))
	})
	keys := make([]objectKey, len(all))
	for i, c := range all {
		keys[i] = c.key
	}
	return keys
}

// holdBack returns snap with each object of held at its version in good,
// or without it when good has none.
func holdBack[V any](snap, good source.Snapshot, held map[objectKey]V) source.Snapshot {
	if len(held) == 0 {
		return snap
	}
	out := snap
	out.IngressClasses = holdOf(builder.KindIngressClass, snap.IngressClasses, good.IngressClasses, held)
	out.Secrets = holdOf(kindSecret, snap.Secrets, good.Secrets, held)
	out.Services = holdOf(builder.KindService, snap.Services, good.Services, held)
	out.Ingresses = holdOf(builder.KindIngress, snap.Ingresses, good.Ingresses, held)
	out.Gateways = holdOf(builder.KindGateway, snap.Gateways, good.Gateways, held)
	out.HTTPRoutes = holdOf(builder.KindHTTPRoute, snap.HTTPRoutes, good.HTTPRoutes, held)
	out.ConfigMap = nil
	if cms := holdOf(kindConfigMap, controllerConfigMap(snap), controllerConfigMap(good), held); len(cms) > 0 {
		out.ConfigMap = cms[0]
	}
	out.ConfigMaps = holdOf(kindConfigMap, snap.ConfigMaps, good.ConfigMaps, held)
	return out
}

// version returns the object key names in snap, or nil when snap has none.
func version(snap source.Snapshot, key objectKey) any {
	switch key.Kind {
	case builder.KindIngressClass:
		return find(snap.IngressClasses, key.Ref)
	case kindConfigMap:
		return find(configMaps(snap), key.Ref)
	case kindSecret:
		return find(snap.Secrets, key.Ref)
	case builder.KindService:
		return find(snap.Services, key.Ref)
	case builder.KindGateway:
		return find(snap.Gateways, key.Ref)
	case builder.KindHTTPRoute:
		return find(snap.HTTPRoutes, key.Ref)
	default:
		return find(snap.Ingresses, key.Ref)
	}
}

func controllerConfigMap(snap source.Snapshot) []*corev1.ConfigMap {
	if snap.ConfigMap == nil {
		return nil
	}
	return []*corev1.ConfigMap{snap.ConfigMap}
}

// configMaps are the controller's ConfigMap and the others (the TCP and
// UDP services), each once: the folder source lists its controller's
// among the others too.
func configMaps(snap source.Snapshot) []*corev1.ConfigMap {
	if snap.ConfigMap == nil || slices.Contains(snap.ConfigMaps, snap.ConfigMap) {
		return snap.ConfigMaps
	}
	return append(controllerConfigMap(snap), snap.ConfigMaps...)
}

func refOf[T object](o T) model.Ref {
	return model.Ref{Namespace: o.GetNamespace(), Name: o.GetName()}
}

// changedOf appends to all the objects of kind that cur added, changed or
// deleted since good.
func changedOf[T object](all []changed, rank int, kind string, good, cur []T) []changed {
	before := make(map[model.Ref]T, len(good))
	for _, o := range good {
		before[refOf(o)] = o
	}
	add := func(o T) {
		all = append(all, changed{key: objectKey{kind, refOf(o)}, created: o.GetCreationTimestamp().Time, rank: rank})
	}
	for _, o := range cur {
		ref := refOf(o)
		old, ok := before[ref]
		delete(before, ref)
		// Equal pointers short-cut DeepEqual: informers share unchanged
		// objects between Snapshots.
		if !ok || !reflect.DeepEqual(old, o) {
			add(o)
		}
	}
	for _, o := range before {
		add(o)
	}
	return all
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
