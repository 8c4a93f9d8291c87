package metrics

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
)

var testLabels = Labels{Namespace: "ingress", Class: "external", Pod: "archway-0", Version: "v1.2.3"}

// sample is one gathered series: its value for gauges and counters, its
// sample count and sum for histograms.
type sample struct {
	Value, Count, Sum float64
}

// gather returns every series of the named families, keyed by
// `name{label="value",...}` with the labels sorted and the constant
// controller_* labels checked and left out.
func gather(t *testing.T, reg *prometheus.Registry, names ...string) map[string]sample {
	t.Helper()
	families, err := reg.Gather()
	require.NoError(t, err)
	out := map[string]sample{}
	for _, f := range families {
		if !slices.Contains(names, f.GetName()) {
			continue
		}
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "controller_namespace", "controller_class", "controller_pod":
					want := map[string]string{"controller_namespace": testLabels.Namespace,
						"controller_class": testLabels.Class, "controller_pod": testLabels.Pod}[l.GetName()]
					require.Equal(t, want, l.GetValue(), "%s %s", f.GetName(), l.GetName())
				default:
					labels = append(labels, l.GetName()+`="`+l.GetValue()+`"`)
				}
			}
			sort.Strings(labels)
			var s sample
			switch {
			case m.GetHistogram() != nil:
				s = sample{Count: float64(m.GetHistogram().GetSampleCount()), Sum: m.GetHistogram().GetSampleSum()}
			case m.GetCounter() != nil:
				s = sample{Value: m.GetCounter().GetValue()}
			default:
				s = sample{Value: m.GetGauge().GetValue()}
			}
			out[f.GetName()+"{"+strings.Join(labels, ",")+"}"] = s
		}
	}
	return out
}
