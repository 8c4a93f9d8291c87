package metrics

import (
	"compress/gzip"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
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
func gather(t *testing.T, reg prometheus.Gatherer, names ...string) map[string]sample {
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

// served gathers what m.Handler serves for reg: reg's metrics and the
// request series, parsed back from the text format.
type served struct {
	t   *testing.T
	m   *Metrics
	reg prometheus.Gatherer
}

func (s served) Gather() ([]*dto.MetricFamily, error) {
	s.t.Helper()
	text := scrape(s.t, s.m.Handler(s.reg), "")
	parser := expfmt.NewTextParser(model.LegacyValidation)
	byName, err := parser.TextToMetricFamilies(strings.NewReader(text))
	require.NoError(s.t, err, "the exposition parses:\n%s", text)
	return slices.SortedFunc(maps.Values(byName), func(a, b *dto.MetricFamily) int {
		return strings.Compare(a.GetName(), b.GetName())
	}), nil
}

// scrape returns what handler answers to a GET with acceptEncoding,
// decompressed.
func scrape(t *testing.T, handler http.Handler, acceptEncoding string) string {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept-Encoding", acceptEncoding)
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "text/plain; version=0.0.4; charset=utf-8", rec.Header().Get("Content-Type"))
	body := io.Reader(rec.Body)
	if rec.Header().Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(rec.Body)
		require.NoError(t, err)
		body = gz
	}
	text, err := io.ReadAll(body)
	require.NoError(t, err)
	return string(text)
}
