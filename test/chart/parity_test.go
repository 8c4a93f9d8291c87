package chart

import (
	"bufio"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// ingressNginxSeries are the series, with their labels, that ingress-nginx's
// two Grafana dashboards ("NGINX Ingress controller" and "Request Handling
// Performance") and common alerts query. Every one carries the constant
// labels controller_namespace, controller_class and controller_pod too.
var ingressNginxSeries = map[string][]string{
	"nginx_ingress_controller_requests":                                        requestLabels,
	"nginx_ingress_controller_request_duration_seconds_bucket":                 append(requestLabels, "le"),
	"nginx_ingress_controller_request_duration_seconds_sum":                    requestLabels,
	"nginx_ingress_controller_request_duration_seconds_count":                  requestLabels,
	"nginx_ingress_controller_response_duration_seconds_bucket":                append(requestLabels, "le"),
	"nginx_ingress_controller_response_duration_seconds_sum":                   requestLabels,
	"nginx_ingress_controller_request_size_sum":                                requestLabels,
	"nginx_ingress_controller_request_size_bucket":                             append(requestLabels, "le"),
	"nginx_ingress_controller_response_size_sum":                               requestLabels,
	"nginx_ingress_controller_response_size_bucket":                            append(requestLabels, "le"),
	"nginx_ingress_controller_bytes_sent_sum":                                  requestLabels,
	"nginx_ingress_controller_bytes_sent_bucket":                               append(requestLabels, "le"),
	"nginx_ingress_controller_nginx_process_connections":                       {"state"},
	"nginx_ingress_controller_nginx_process_connections_total":                 {"state"},
	"nginx_ingress_controller_nginx_process_requests_total":                    nil,
	"nginx_ingress_controller_nginx_process_resident_memory_bytes":             nil,
	"nginx_ingress_controller_nginx_process_virtual_memory_bytes":              nil,
	"nginx_ingress_controller_nginx_process_cpu_seconds_total":                 nil,
	"nginx_ingress_controller_nginx_process_num_procs":                         nil,
	"nginx_ingress_controller_nginx_process_oldest_start_time_seconds":         nil,
	"nginx_ingress_controller_nginx_process_read_bytes_total":                  nil,
	"nginx_ingress_controller_nginx_process_write_bytes_total":                 nil,
	"nginx_ingress_controller_config_hash":                                     nil,
	"nginx_ingress_controller_config_last_reload_successful":                   nil,
	"nginx_ingress_controller_config_last_reload_successful_timestamp_seconds": nil,
	"nginx_ingress_controller_success":                                         nil,
	"nginx_ingress_controller_errors":                                          nil,
	"nginx_ingress_controller_ssl_expire_time_seconds":                         {"host", "namespace", "secret_name"},
}

// requestLabels are ingress-nginx's request labels (with
// --metrics-per-host, its default).
var requestLabels = []string{"namespace", "ingress", "service", "status", "method", "path", "canary", "host"}

// seriesLine reads a series line of an exposition: its name and labels.
var seriesLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? `)

// requireIngressNginxSeries fails for each series of ingressNginxSeries
// that exposition lacks, or that lacks one of its labels.
func requireIngressNginxSeries(t *testing.T, exposition string) {
	labelsOf := map[string][]string{}
	lines := bufio.NewScanner(strings.NewReader(exposition))
	for lines.Scan() {
		m := seriesLine.FindStringSubmatch(lines.Text())
		if m == nil || labelsOf[m[1]] != nil {
			continue
		}
		var names []string
		for _, pair := range regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="`).FindAllStringSubmatch(m[2], -1) {
			names = append(names, pair[1])
		}
		labelsOf[m[1]] = names
	}
	for name, labels := range ingressNginxSeries {
		got, ok := labelsOf[name]
		if !assertHas(t, ok, "archway exports no %s", name) {
			continue
		}
		for _, l := range append([]string{"controller_namespace", "controller_class", "controller_pod"}, labels...) {
			assertHas(t, slices.Contains(got, l), "%s has no label %s (it has %v)", name, l, got)
		}
	}
}

func assertHas(t *testing.T, ok bool, format string, args ...any) bool {
	t.Helper()
	if !ok {
		t.Errorf(format, args...)
	}
	return ok
}
