// Package chart tests what archway ships besides its code: the Helm chart in
// deploy/helm/archway with the example values in deploy/examples, the
// Grafana dashboards in deploy/grafana, and the image's files in rootfs.
//
// In: the chart, rendered by the real helm (ARCHWAY_HELM, else the one
// scripts/e2e-tools.sh builds into .cache/e2e/bin/helm-<version>/), and the
// archway binary built from ./cmd/archway, run with the real nginx.
// Out: test failures only; there is no non-test code here.
// Invariants checked: the chart lints; the example releases render to
// objects whose names never clash, in one namespace or two; the workload
// (a Deployment, or a DaemonSet without HPA or PodDisruptionBudget) runs
// archway with the class, ConfigMap, publish Service, Lease and ports that
// the other objects of the same release define (the tcp and udp values'
// ConfigMaps and ports too), non-root on a read-only
// root filesystem; an HPA scales the Deployment, which then has no replica
// count; a pod on its node's ports never surges in a rollout; a
// NetworkPolicy admits traffic from anywhere and the metrics port from
// selected namespaces only; values that cannot work together fail the
// render; the RBAC rules are exactly files/*.yaml;
// every metric a dashboard queries is one archway exports; and the image's
// accounts are Debian 12's base ones plus archway's 101, the user the
// Dockerfile and the chart run as.
package chart
