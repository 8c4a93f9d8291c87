// Package lint tells, before a switch from ingress-nginx, what archway will
// do with each Ingress and the controller's ConfigMap: `archway lint`.
//
// In: a source.Snapshot (files, stdin or a cluster) and builder.Options.
// Out: Findings, one per problem or difference, sorted by object and field,
// each with a Severity: error (archway will not serve it as written),
// warning (served, but differently from ingress-nginx) or info.
// Invariants: findings come from the parsers and build that serve traffic,
// never from a second implementation of them: Lint runs builder.Build over
// the Snapshot with every Ingress taken as this instance's class (they were
// written for ingress-nginx's), and maps the Report's Problems to findings
// (fixes.go). What build cannot know, how ingress-nginx behaved, is a
// documented table of differences (differences.go; README.md lists it).
// Lint is pure and never modifies the Snapshot's objects.
//
// Files: lint.go runs it; fixes.go gives each Problem its severity and
// fix; differences.go holds the ingress-nginx behaviours that differ;
// load.go reads files, folders and stdin; output.go prints text and JSON.
package lint
