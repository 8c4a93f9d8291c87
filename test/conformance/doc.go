// Package conformance runs the Gateway API conformance suite
// (sigs.k8s.io/gateway-api/conformance, the version of go.mod), profile
// GATEWAY-HTTP, against archway in the e2e harness's cluster: a real etcd
// and kube-apiserver with the Gateway API's standard CRDs, and
// kube-controller-manager with the harness's node (test/harness Workloads),
// so that the suite's own Deployments of echo-basic run and its Services
// get real EndpointSlices.
//
// In: what test/e2e needs, and kube-controller-manager (scripts/e2e-tools.sh).
// Out: pass or fail, and the suite's ConformanceReport, which must equal
// report.yaml but for its date and archway's version; regenerate it with
// `go test -count=1 -run TestConformance ./test/conformance/ -args -update`.
// Invariants: every test of the profile that archway supports passes, but
// those listed in notyet_test.go, which are skipped, each with the reason.
// archway runs on the host's network as in test/e2e; the suite reaches the
// Gateway at its status address, 127.0.0.1, where a dialer plays the
// load balancer in front of archway: listener port 80 goes to archway's
// HTTP port and 443 to its HTTPS port, as the chart's Service maps them.
package conformance
