package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

func TestEndpointsPushed(t *testing.T) {
	tests := map[string]struct {
		pushes              []string
		successes, failures float64
	}{
		"none":      {},
		"successes": {pushes: []string{PushSuccess, PushSuccess}, successes: 2},
		"mixed":     {pushes: []string{PushFailure, PushSuccess, PushFailure}, successes: 1, failures: 2},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m := New(prometheus.NewRegistry(), Labels{Class: "archway"})
			for _, outcome := range tc.pushes {
				m.EndpointsPushed(outcome)
			}
			require.Equal(t, tc.successes, testutil.ToFloat64(m.endpointPushes.WithLabelValues(PushSuccess)))
			require.Equal(t, tc.failures, testutil.ToFloat64(m.endpointPushes.WithLabelValues(PushFailure)))
		})
	}
}
