// Package ingressclass decides whether an Ingress belongs to this archway
// instance.
//
// In: an Ingress, the IngressClasses by name, and the instance's Selector.
// Out: true when the instance serves the Ingress.
// Invariants: pure (no clients, no state); an Ingress that does not match is
// invisible to the instance: it is never served and its status is never
// touched.
package ingressclass
