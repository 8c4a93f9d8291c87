// Package build turns a source.Snapshot into the data-plane model.
//
// In: a source.Snapshot and Options.
// Out: a model.Config and a Report of everything that was rejected.
// Invariants: Build is pure (no clients, no clock, no globals) and
// deterministic: equal inputs give equal outputs, whatever the order of the
// Snapshot's slices. Anything invalid is dropped alone and described in the
// Report; it never takes other Ingresses or other paths down with it.
package build
