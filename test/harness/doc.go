// Package harness runs archway as a user would, for the end-to-end tests
// (test/e2e) and the benchmarks (test/perf): a real etcd and
// kube-apiserver, real nginx, HTTP backends that live in network
// namespaces it creates, and the archway binary, driven through the API.
//
// In: etcd (/usr/bin/etcd), kube-apiserver (built by scripts/e2e-tools.sh
// into .cache/e2e/bin/<version>/, or the folder in ARCHWAY_E2E_BIN), nginx
// (/usr/sbin/nginx or ARCHWAY_NGINX), `ip` and root, for the network
// namespaces. Start fails, naming what is missing, when any is.
// Out: a Suite that starts backends and archway processes and creates
// objects, and the logs of every process it started, in Suite.Dir.
// Invariants: one etcd and one API server per Suite; callers isolate their
// tests by Kubernetes namespace and ingress class. archway runs with a
// token bound to exactly the RBAC rules of the Helm chart
// (deploy/helm/archway/files). Backends listen only on 10.244.0.0/16
// addresses inside network namespaces named with the prefix "awe2e", which
// are removed when the test that made them ends, and swept at Start.
// Tests reach only loopback and those addresses; Backend.Curl sends a
// request from a backend's namespace to the host's address on its network.
package harness
