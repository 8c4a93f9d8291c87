// Package annotations reads the ingress-nginx annotations of an Ingress
// into typed values.
//
// In: an Ingress's annotations and the prefix (--annotations-prefix).
// Out: a Parsed value (server- and location-scoped settings, typed: sizes,
// durations, enums, CIDR prefixes, URL templates) and the Problems of the
// keys that were not applied as written.
// Invariants: every annotation is defined once, in the table of Specs
// (table.go): key, grammar, scope, default and description; the docs
// (docs/annotations.md) are generated from that table, and a test fails
// when they are stale. Parsers accept strict grammars: no value that
// passes one can hold a byte that ends an nginx string or directive
// (quotes, backslashes, ';', '{', '}', '#', newlines), nor a '$' except
// the variables a grammar names. Values are never copied as text; package
// render rebuilds nginx tokens from the typed values. Parse is pure and
// deterministic; problems come sorted by key.
//
// Files: parse.go runs the table over a map of annotations; spec.go and
// table*.go hold the table; result.go the typed result; values.go and
// urls.go the grammars; docs.go and docs.md.tmpl generate the docs.
package annotations
