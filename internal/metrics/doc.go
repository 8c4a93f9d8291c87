// Package metrics defines every Prometheus collector archway exports.
//
// In: a prometheus.Registerer and the instance's constant labels.
// Out: a Metrics value whose methods record what the controller observed.
// Invariants: names and labels of the metrics that ingress-nginx also exports
// are kept identical (nginx_ingress_controller_*), so its dashboards and
// alerts keep working; archway's own metrics use the archway_ prefix. There is
// no package-level registry: the caller injects one.
package metrics
