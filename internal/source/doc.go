// Package source turns the outside world into an immutable Snapshot and says
// when it may have changed.
//
// In: a cluster (package source/kube) or a folder of manifests (package
// source/dir).
// Out: Snapshot values and a change signal.
// Invariants: objects in a Snapshot are shared with caches and must never be
// modified by the caller; a Snapshot is never partially updated after it is
// returned.
package source
