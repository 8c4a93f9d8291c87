package metrics

import (
	"bufio"
	"compress/gzip"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// Handler serves /metrics in Prometheus's text format: the metrics of
// gatherer, then m's request series, which are written as they are read
// (requestCollectors.writeText) rather than gathered. Every Prometheus
// scraper reads the text format, whatever else it offers to accept.
func (m *Metrics) Handler(gatherer prometheus.Gatherer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		families, err := gatherer.Gather()
		if err != nil {
			http.Error(w, "gather metrics: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
		out := bufio.NewWriterSize(w, 64<<10)
		if acceptsGzip(r) {
			w.Header().Set("Content-Encoding", "gzip")
			gz := gzip.NewWriter(w)
			defer gz.Close()
			out.Reset(gz)
		}
		for _, f := range families {
			if _, err := expfmt.MetricFamilyToText(out, f); err != nil {
				return // the scraper went away
			}
		}
		_ = m.requests.writeText(out)
	})
}

// acceptsGzip says whether the request's Accept-Encoding lists gzip with
// a weight above 0 ("gzip;q=0" refuses it). Codings and the weight's "q"
// are case-insensitive (RFC 9110, section 12.4.2).
func acceptsGzip(r *http.Request) bool {
	for part := range strings.SplitSeq(strings.ToLower(r.Header.Get("Accept-Encoding")), ",") {
		coding, params, _ := strings.Cut(part, ";")
		if strings.TrimSpace(coding) != "gzip" {
			continue
		}
		weight, found := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q=")
		if !found {
			return true
		}
		q, err := strconv.ParseFloat(weight, 64)
		return err == nil && q > 0
	}
	return false
}

// writeHeader writes the HELP and TYPE lines of f, of type kind.
func (f family) writeHeader(w *bufio.Writer, kind string) {
	w.WriteString("# HELP " + f.name + " ")
	_, _ = helpEscaper.WriteString(w, f.help)
	w.WriteString("\n# TYPE " + f.name + " " + kind + "\n")
}

// The text format's escapes: of help texts, and of label values.
var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

// appendFloat appends f as the text format writes sample values and
// bucket bounds.
func appendFloat(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "+Inf"...)
	case math.IsInf(f, -1):
		return append(b, "-Inf"...)
	case math.IsNaN(f):
		return append(b, "NaN"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}
