// Package controller is archway's sync loop.
//
// In: a source.Source, a renderer and an nginx applier.
// Out: nginx serving the configuration built from the latest Snapshot, and
// the outcome of every sync in logs and metrics.
// Invariants: changes are coalesced (a hold-off after the last change, and a
// maximum delay after the first) so a burst costs a handful of reloads; a
// failed sync never replaces the live config and is retried with backoff;
// each distinct rejected object is logged once, when it first appears.
// Build stays a function of the Snapshot: when nginx or the renderer refuses
// a config, the controller builds again from Snapshots with some changed
// objects held back at their last good version, to find the culprits and
// serve everything else (isolate.go); endpoints keep being pushed. A sync
// whose only changes are hosts' certificates renewed in place takes
// builder.Renew instead of a Build and Render (renewal.go): a push.
// Build gets the sync's start time to check certificates for expiry, and
// every reload sets the certificate expiry metric from the live model.
package controller
