// Package perf measures archway at scale, against a real etcd,
// kube-apiserver and nginx (package test/harness), and writes what it
// measured as rows for the table that `make bench` prints.
//
// In: what test/harness needs (root, etcd, kube-apiserver, nginx, ip);
// ARCHWAY_PERF_SIZES, the numbers of existing Ingresses to measure at
// (default "100,1000,10000"); ARCHWAY_PERF_SAMPLES, the Ingresses created
// one by one at each size: one number, or one per size (default 20);
// ARCHWAY_PERF_TLS_SIZES, the numbers of Ingresses of TestPerfTLS (default
// "10000"); ARCHWAY_PERF_RESULTS, the file the rows go to (default: the test log
// only).
// Out: per size, rows "measurement<TAB>size<TAB>value": the time from
// archway's start to ready and to every Ingress serving; the time from
// creating one more Ingress to its first 200 (p50, p90, p99), and one more
// HTTPRoute (its own host, one rule, on a Gateway of archway's class
// created before the start) the same way, each split by archway's
// archway_sync_phase_seconds into archway's sync work (snapshot, build,
// render, write), the reload (SIGHUP to verified) and the rest (p50, p90;
// the syncs of one create summed; the log has the work's mean by phase);
// the server
// and location blocks of the config archway wrote; the bare nginx -t
// and reload of the config archway wrote, and the ratio; requests per
// second through nginx with the web application firewall (ModSecurity and
// the CRS, turned on for every Ingress by the ConfigMap) off and on, and
// the bare nginx -t and reload with it on; requests per second with the
// access log on, then off (disable-access-log in the ConfigMap), in the
// same run; requests per second with tracing off, then on for every
// Ingress (enable-opentelemetry, AlwaysOn, spans exported to an OTLP/HTTP
// receiver in the test), in the same run; archway's and
// nginx's memory; reloads and failed requests while endpoints and while
// Ingresses change under load; and, for a burst of 1,000 new apps
// (Service, EndpointSlice, Ingress) created at once, the time from the
// first create to all 1,000 serving and to all 1,000 carrying archway's
// status address (--publish-status-address, a documentation address).
// TestPerfTLS: the bare reload (its time and its CPU time) and nginx's
// memory (summed PSS) of N Ingresses without, then with, a TLS Secret
// each, in the same run; and
// 1,000 certificate renewals under HTTPS load (a handshake per request):
// reloads, failed requests, and the time from a Secret's update to the
// first handshake presenting its new certificate (p50, p99).
// TestPerfPassthrough: with --enable-ssl-passthrough, a new HTTPS
// connection, handshake and request (p50) through the HTTPS port's stream
// front and straight to the HTTP servers' TLS socket, alternately, in the
// same run: what the front adds to connections archway terminates.
// Invariants: nothing is asserted about speed; a run fails only when
// archway does not do its job (never ready, an Ingress never served).
// Traffic goes only to loopback and to the harness's backend addresses.
//
// Its tests build only with the tag "perf", so `go test ./...` compiles
// none of them: scripts/bench.sh runs them.
package perf
