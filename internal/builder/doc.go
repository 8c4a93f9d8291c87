// Package builder turns a source.Snapshot into the data-plane model.
//
// In: a source.Snapshot and Options.
// Out: a model.Config and a Report of what was served and what was rejected.
// Invariants: Build is pure (no clients, no clock, no globals) and
// deterministic: equal inputs give equal outputs, whatever the order of the
// Snapshot's slices. Anything invalid is dropped alone and described in the
// Report; it never takes other Ingresses or other paths down with it.
// Ingresses of other classes are invisible: never served, never reported.
// Every string that reaches the model has passed an allow-list: hosts are
// DNS names, paths use A-Z a-z 0-9 . _ ~ / - only (regex paths pass
// grammar.CheckRegex), backend names are built from validated namespace,
// Service and port names, endpoint addresses are canonical IP literals, and
// annotation values passed the grammars of package annotations. An
// Ingress with an annotation that cannot be applied as written keeps its
// routes, which answer 503 (never served without what it asked for).
//
// How it works: Build runs the processors of processors.go in order over
// one build (build.go), in the style of Contour's DAG processors. Each
// reads the Snapshot's objects of its kind and what the processors before
// it decided, and adds to the route table (routes.go), the hosts' owners,
// the shared backends, the TLS claims, the Config and the problems. Routes
// name their model.Owner (kind, namespace, name); a new kind of route is a
// file of processors, not an edit of the Ingress ones. Ingresses are taken
// oldest first (creationTimestamp, then namespace/name), so the first to
// claim a route (host, path, match) or the default backend is the one that
// wins; later claims are reported. Each Service port is resolved to one
// shared Backend with the ready endpoints of the Service's EndpointSlices.
// All lookups go through maps built once per call, so Build grows with the
// size of the Snapshot, not its square. Endpoints are read once every
// backend is known, beside the processors after that; problems are sorted
// in the end, so the Report does not depend on scheduling.
//
// Files: build.go runs the processors that processors.go lists; routes.go
// holds the route table and the default backend that every kind claims
// from; ingress.go holds the Ingress processors; select.go picks this
// instance's Ingresses; limits.go refuses those over Options.Limits;
// hosts.go and paths.go validate rule hosts, names and paths; conflicts.go
// orders Ingresses, tells losers who won, and groups routes into servers;
// owners.go gives each host to the namespace of its oldest Ingress, the
// only one that may set what applies to the whole host (TLS, host-scoped
// annotations, regex paths); backends.go and endpoints.go resolve Services
// and EndpointSlices; settings.go reads the controller's ConfigMap into
// model.Settings, one table row per key, and keeps the default of any
// value its parser refuses; annotations.go turns an Ingress's annotations
// into its routes' model.Policy, with secrets.go reading the Secrets they
// name, aliases.go adding server-alias and www redirects, clientauth.go
// the client certificates of hosts (auth-tls-*, decided per host by its
// oldest Ingress that asks), and serviceupstream.go making the backend
// twins of service-upstream and balancing annotations. canary.go attaches
// the paths of canary Ingresses, after every other Ingress, to the routes
// of their namespace they share host, path and match with. tls.go gives
// hosts the certificates of their owner namespace's TLS sections (the
// oldest section wins a host; a bad Secret leaves its hosts on the default
// certificate) and their locations the HTTPS redirects ssl-redirect asks
// for; certificates.go validates TLS Secrets (remembered across Builds by
// content in a CertificateCache, since RSA keys are slow to parse);
// renew.go gives Build's result for certificates renewed in place from the
// Secrets a Build read (Report), without building; and settings_tls.go holds the ConfigMap keys of TLS and client addresses.
// snippets.go parses configuration- and server-snippets into the safe
// subset when the ConfigMap turns it on, and gives each host the
// server-snippet of its owner namespace unless its locations would
// duplicate a path's or shadow another namespace's. waf.go gives every
// location its ModSecurity policy (the ConfigMap's keys of settings_waf.go
// refined by its Ingress's annotations) and the paths other namespaces add
// to a host the WAF of its owner's oldest Ingress there.
// Certificates are checked for expiry against Options.Now, never the clock.
package builder
