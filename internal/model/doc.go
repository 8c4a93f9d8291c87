// Package model holds archway's data-plane model: the servers, locations and
// backends that nginx must serve, with no Kubernetes types and no nginx syntax.
//
// In: nothing (plain data, built by package builder).
// Out: a Config that package render turns into nginx configuration.
// Invariants: every slice is sorted deterministically by build, so equal
// inputs always give equal Configs; every string in a Config has already been
// validated by build (hosts, paths, annotation values) and is safe to quote
// into nginx.conf; a Location's Policy holds typed values (sizes,
// durations, templates of text and variable names), never configuration
// text.
// Routes (Server, Location) name backends only by Backend.Name; endpoints
// live on the Backend alone, so moving endpoints out of nginx.conf touches
// backends, never routes.
package model
