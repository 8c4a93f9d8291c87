// Package render turns a model.Config into nginx configuration files with
// the templates of package templates (or an operator's --template-dir).
//
// In: a model.Config from package build and the instance Options.
// Out: an Output holding nginx.conf and its Version, which nginx serves
// at VersionPath on the unix socket StatusSocket so that package nginx can
// verify a reload.
//
// Invariants:
//   - Deterministic: equal inputs give equal bytes, and equal bytes carry
//     equal Versions.
//   - Every string from the model or the Options reaches nginx.conf only
//     through quote (or, for wildcard hosts, as a regex built from a
//     validated host); Render fails rather than emit anything else.
//   - Routing follows the Ingress spec: Exact before Prefix, the longest
//     prefix wins, prefixes match whole path elements, and "*.example.com"
//     matches exactly one extra label. See locationViews and serverName.
package render
