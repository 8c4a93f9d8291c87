// Package status is archway's cluster-facing side: it writes the load
// balancer address into the status of the Ingresses this instance serves (for
// ExternalDNS), turns rejected Ingress parts into Kubernetes Events, and
// elects the one replica that does both.
//
// In: the (Snapshot, Report) of every sync whose config went live (Synced),
// the publish Service or fixed addresses, and a clientset.
// Out: UpdateStatus calls on Ingresses, Warning Events on Ingresses, and a
// Lease held by the leader.
// Invariants: only the leader writes; every replica serves traffic. Served
// Ingresses carry exactly archway's addresses; an unserved Ingress is touched
// only to remove archway's addresses when its status is exactly them, so
// Ingresses of other classes are never touched. Only changed statuses are
// written, never from a mutated cache object. Each distinct problem becomes
// one Event, again only after it went away and came back or leadership moved.
// Synced never blocks: the writer runs on its own goroutine, latest wins.
package status
