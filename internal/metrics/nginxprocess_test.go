package metrics

import (
	"syscall"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
)

// TestNginxProcess reads the test's own process group as nginx's, and
// nothing while no nginx runs.
func TestNginxProcess(t *testing.T) {
	reg := prometheus.NewRegistry()
	pid := 0
	RegisterNginxProcess(reg, testLabels, func() int { return pid })
	families, err := reg.Gather()
	require.NoError(t, err)
	require.Empty(t, families, "no nginx, no series")

	pid = syscall.Getpgrp()
	got := gather(t, reg, "nginx_ingress_controller_nginx_process_num_procs", "nginx_ingress_controller_nginx_process_resident_memory_bytes",
		"nginx_ingress_controller_nginx_process_cpu_seconds_total", "nginx_ingress_controller_nginx_process_oldest_start_time_seconds")
	require.Len(t, got, 4)
	for name, s := range got {
		if name == "nginx_ingress_controller_nginx_process_cpu_seconds_total{}" {
			require.GreaterOrEqual(t, s.Value, 0.0, "ticks of 10 ms: a young process may have none")
			continue
		}
		require.Positive(t, s.Value, name)
	}
}
