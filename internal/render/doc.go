// Package render turns a model.Config into nginx configuration files with
// the templates of package templates (or an operator's --template-dir).
//
// In: a model.Config from package builder and the instance Options.
// Out: an Output holding nginx.conf and its Version, which nginx serves
// at VersionPath on the unix socket StatusSocket so that package nginx can
// verify a reload; the Lua modules of the balancer (templates/lua, embedded)
// as Files; and the endpoints payload, which package nginx pushes to the
// unix socket EndpointsSocket at runtime (endpoints.go, lua.go). nginx.conf
// also sends one access log record per request to AccessLogSocket, a path
// relative to nginx's working directory, which package nginx makes the
// runtime dir, and serves stub_status at StubStatusPath (telemetry.go).
//
// Invariants:
//   - Deterministic: equal inputs give equal bytes, and equal bytes carry
//     equal Versions.
//   - Endpoints and balancing never reach nginx.conf: every location with a
//     backend proxies to one balancer upstream, so they change only
//     Output.Endpoints, and nginx takes them without a reload. Endpoints
//     holds one JSON member per backend, so that package nginx can send
//     only the members that changed (Endpoints.Changes).
//     A location with canaries names a canary route instead, a member of
//     its own that lists the main backend and the canaries (canary.go);
//     one with candidates (HTTPRoute matches with conditions) names a
//     member that lists them in order (candidates.go).
//   - The templates are the only source of nginx.conf's text. Render runs
//     them with a compiled executor (exec.go) that gives the bytes
//     text/template would, ten times faster, and falls back to
//     text/template for anything outside the subset the templates use.
//   - Sizes: nginx's hashes of server names, maps and variables are sized
//     from the config (view.go, hashsizes.go), so nginx never warns.
//   - Every string from the model or the Options reaches nginx.conf only
//     through quote (or, for wildcard hosts, as a regex built from a
//     validated host); Render fails rather than emit anything else. Tokens
//     that Go builds from numbers and fixed words (ports, the HSTS value,
//     redirect targets) are the only other text.
//   - Routing follows the Ingress spec: Exact before Prefix, the longest
//     prefix wins, prefixes match whole path elements, and "*.example.com"
//     matches exactly one extra label. Regex paths (use-regex) rank below
//     every Exact and Prefix path but "/", longest first. See
//     locationViews and serverName.
//   - Annotations: each location's model.Policy becomes a policyView of
//     finished tokens (policy*.go), printed by location_policy.tmpl; the
//     zones, maps, pools and internal locations policies need are added
//     once each (policies.go), and the files they need (htpasswd,
//     certificates) are Files named by their content.
//   - Safe snippets (snippet.go): the typed directives of a model.Snippet
//     become lines Go writes from quoted values and fixed words, printed in
//     the location (after $archway_backend is set, since a rewrite's break
//     ends the rewrite directives) or the server with its location blocks;
//     the headers-more module is loaded only while a snippet uses it.
//   - The edge (tls.go, listen.go, clients.go, access.go): every server
//     listens on IPv4 and IPv6 (or the bind addresses), with a default
//     certificate also for HTTPS with HTTP/2, and each certificate
//     (chain and key) is one 0600 File named by its content, so a rotated
//     certificate is a new file and a reload. The real client address comes
//     from the realip module, believed only from trusted peers, before
//     allow and deny run; backends get the X-Forwarded-* headers through
//     variables that only trusted peers can set (http_clients.tmpl). A
//     server with client certificates (clientauth.go) has a TLS context of
//     its own, its CA files named by their content; every location of it
//     refuses plain HTTP when a certificate is required, and sends the
//     verification result to its backend.
package render
