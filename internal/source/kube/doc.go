// Package kube is the cluster Source: shared informers over the API server.
//
// In: a Kubernetes client, an optional namespace to watch (Ingresses,
// Services, EndpointSlices, Secrets; IngressClasses are cluster-wide) and an
// optional "namespace/name" of the controller's ConfigMap, which is watched
// alone through a field selector.
// Out: a source.Snapshot listed from the informer caches, and a change
// signal from the informers' event handlers.
// Invariants: Snapshot hands out the cached objects themselves, which
// callers must not modify; the order of objects is unspecified.
// managedFields are dropped before objects enter the caches. The initial
// listing does not signal (Start returns when it is complete), and an update
// whose ResourceVersion did not change (a relist) does not signal either.
package kube
