// Package grammar holds the value grammars that every reader of user text
// shares: the annotations (package annotations), the controller's
// ConfigMap (package builder) and render's last-line checks (package
// render) call these functions, never copies of them, so that a value the
// build accepts can never be one render refuses (which would stop the
// sync of every Ingress, not just the one holding it).
//
// In: one string (an annotation value, a ConfigMap value, or a string of
// the model that render checks again). Out: a typed value, or an error
// that completes "value "x": ...".
// Invariants: no value a grammar accepts holds a byte that could end an
// nginx string or directive (quotes, backslashes, ';', '{', '}', '#',
// spaces, control bytes) or a '$' (a regex's end anchor aside, which
// nginx never reads as a variable). Grammars are pure and allocate little.
//
// The rules, each chosen once for the annotations and the ConfigMap alike
// (docs/architecture.md lists them for users; ingress-nginx compatibility
// decides where it can, because manifests migrate unchanged):
//   - Booleans are strconv.ParseBool's words ("true", "false", "1", "0",
//     "t", "f", "TRUE", "True", ...): ingress-nginx reads annotations and
//     ConfigMap values both with strconv.ParseBool.
//   - Numbers are plain decimals: no sign, space or leading zero.
//   - Durations are seconds ("60") or a number with ms, s, m, h or d.
//   - Header names are 1 to 128 letters, digits, "-" and "_" (RFC 9110
//     tokens without the punctuation nginx would need escaped).
//     ingress-nginx accepts "_" in both places; note that nginx ignores a
//     client's headers whose names hold "_" (underscores_in_headers off).
//   - Addresses and CIDRs come out masked, and an IPv4-mapped IPv6 address
//     ("::ffff:10.0.0.1") as the IPv4 address it maps (10.0.0.1/32): nginx
//     matches a mapped client against its IPv4 rules, so a mapped rule
//     would never match. A mapped network ("::ffff:10.0.0.0/104") is
//     refused with a message naming the IPv4 form.
//   - DNS names are lowercase RFC 1123 names of at most 253 bytes, a
//     wildcard's "*." included (as the API server counts them).
//
// Files: values.go (booleans, numbers, sizes, durations, words, lists),
// names.go (DNS names, header names, tokens, methods), network.go
// (addresses, CIDRs, host:port), urls.go (paths and URLs), regex.go and
// pcre.go (regex paths and canary header patterns, as RE2 and PCRE read
// them alike), matchcn.go (auth-tls-match-cn).
package grammar
