// Package e2e drives the archway binary as a user would, through a real
// etcd and kube-apiserver, with real nginx and HTTP backends that live in
// network namespaces the tests create. The environment is package
// test/harness, which test/perf shares.
//
// In: etcd (/usr/bin/etcd), kube-apiserver (built by scripts/e2e-tools.sh
// into .cache/e2e/bin/<version>/, or the folder in ARCHWAY_E2E_BIN), nginx
// (/usr/sbin/nginx or ARCHWAY_NGINX), `ip` and root, for the network
// namespaces. The suite fails, never skips, when any is missing.
// Out: pass or fail, and the logs of every process it started, kept in a
// folder printed at the end when a test failed.
// Invariants: one etcd and one API server serve the whole test binary;
// tests are isolated by Kubernetes namespace and ingress class. archway
// runs with a token bound to exactly the RBAC rules of the Helm chart
// (deploy/helm/archway/files). Backends listen only on 10.244.0.0/16
// addresses inside network namespaces named with the prefix "awe2e", which
// are removed after each test and swept at the start of a run; the TCP and
// UDP echoes of the stream test listen on the host's address on such a
// network, since the API server refuses loopback endpoints.
//
// Run, as root: scripts/e2e-tools.sh && go test -race ./test/e2e/
package e2e
