package metrics

import (
	"bufio"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/archway-ingress/archway/internal/model"
)

// Request is one request nginx served, as its access log record told it.
// Every label value must already be bounded: the caller folds unknown
// methods and hosts, and Status is a three-digit code.
type Request struct {
	Namespace string // the Ingress's namespace; "" when no Ingress routed it
	Ingress   string
	Service   string
	Host      string // the server's configured host, "_" for the catch-all
	Status    string
	Method    string
	// Path is the Ingress rule's path that routed the request (never the
	// request's URI); Canary the canary backend that served it, or "".
	Path, Canary string
	Duration     float64 // seconds, nginx's $request_time
	Size         float64 // bytes sent to the client, nginx's $bytes_sent
	RequestSize  float64 // bytes received, nginx's $request_length
	// ResponseTime is the seconds spent on the backend's responses
	// ($upstream_response_time, summed over retries); negative when no
	// backend was asked.
	ResponseTime float64
}

// RequestOptions shape the request metrics as ingress-nginx's flags do.
type RequestOptions struct {
	// WithoutHost drops the host label (--metrics-per-host=false).
	WithoutHost bool
	// Buckets of the durations, of the request and response sizes, and of
	// bytes_sent (--time-buckets, --length-buckets, --size-buckets); nil
	// is ingress-nginx's default.
	TimeBuckets, LengthBuckets, SizeBuckets []float64
}

// ingress-nginx's default buckets.
var (
	DefaultTimeBuckets   = prometheus.DefBuckets
	DefaultLengthBuckets = prometheus.LinearBuckets(10, 10, 10)
	DefaultSizeBuckets   = prometheus.ExponentialBuckets(10, 10, 7)
)

// requestCollectors holds the request series compactly: one requestData
// (a few hundred bytes of counts) per series, turned into Prometheus
// metrics only at scrape time. client_golang's vectors keep a histogram
// object with its own label pairs per series and histogram, about ten
// kilobytes per series: at 10,000 served Ingresses, most of archway's
// memory.
type requestCollectors struct {
	withoutHost bool
	count       family
	histograms  [histogramCount]requestHistogram
	dropped     prometheus.Counter
	// order lists the histograms' indexes and countFamily in the order of
	// their names, which is the order they are written in.
	order []int
	// labels are the label names in the order they are written (sorted),
	// each with its constant value or the index of its value in values.
	labels []exposedLabel

	// series are by Ingress too, so that an Ingress no longer served
	// loses them: else every Ingress ever deleted would keep them per
	// status, method, path and host for the life of the process.
	mu     sync.Mutex
	series map[requestSeries]*requestData
}

// requestSeries is the label values of a request series.
type requestSeries struct {
	ingress                                     model.Ref
	service, status, method, path, canary, host string
}

// The histograms of each series, in requestCollectors.histograms' order.
const (
	durationHistogram = iota
	responseDurationHistogram
	requestSizeHistogram
	responseSizeHistogram
	bytesSentHistogram
	histogramCount
	// countFamily stands for the requests counter in requestCollectors.order.
	countFamily = -1
)

type requestHistogram struct {
	family
	buckets []float64 // upper bounds, ascending
	// le are the buckets' upper bounds as written, then "+Inf".
	le []string
}

// family is a metric's name and help text.
type family struct{ name, help string }

// exposedLabel is a label of the request series: a constant, or the
// value at index of values (when index >= 0).
type exposedLabel struct {
	name, constant string
	index          int
}

// requestData is what one series counted: requests, and per histogram the
// observations per bucket (the last one above every bound), their count
// and sum.
type requestData struct {
	requests uint64
	counts   [histogramCount][]uint64
	observed [histogramCount]uint64
	sums     [histogramCount]float64
}

func newRequestCollectors(constLabels prometheus.Labels, opts RequestOptions) *requestCollectors {
	// ingress-nginx's label names; the order is values'.
	labels := []string{"namespace", "ingress", "service", "status", "method", "path", "canary", "host"}
	if opts.WithoutHost {
		labels = labels[:len(labels)-1]
	}
	histogram := func(name, help string, buckets, def []float64) requestHistogram {
		if buckets == nil {
			buckets = def
		}
		var le []string
		for _, bound := range append(buckets, math.Inf(1)) {
			le = append(le, string(appendFloat(nil, bound)))
		}
		return requestHistogram{family: family{name, help}, buckets: buckets, le: le}
	}
	var exposed []exposedLabel
	for i, name := range labels {
		exposed = append(exposed, exposedLabel{name: name, index: i})
	}
	for name, value := range constLabels {
		exposed = append(exposed, exposedLabel{name: name, constant: value, index: -1})
	}
	slices.SortFunc(exposed, func(a, b exposedLabel) int { return strings.Compare(a.name, b.name) })
	c := &requestCollectors{
		withoutHost: opts.WithoutHost,
		labels:      exposed,
		series:      map[requestSeries]*requestData{},
		count:       family{"nginx_ingress_controller_requests", "Client requests served, by Ingress, status and method."},
		histograms: [histogramCount]requestHistogram{
			durationHistogram: histogram("nginx_ingress_controller_request_duration_seconds",
				"Time from the first byte of the request to the last byte of the response.", opts.TimeBuckets, DefaultTimeBuckets),
			responseDurationHistogram: histogram("nginx_ingress_controller_response_duration_seconds",
				"Time spent on receiving the response from the backend, over all attempts.", opts.TimeBuckets, DefaultTimeBuckets),
			requestSizeHistogram: histogram("nginx_ingress_controller_request_size",
				"Bytes of the request: request line, headers and body.", opts.LengthBuckets, DefaultLengthBuckets),
			responseSizeHistogram: histogram("nginx_ingress_controller_response_size",
				"Bytes sent to the client per response, headers included.", opts.LengthBuckets, DefaultLengthBuckets),
			bytesSentHistogram: histogram("nginx_ingress_controller_bytes_sent",
				"Bytes sent to the client per response, headers included (ingress-nginx's deprecated twin of response_size).", opts.SizeBuckets, DefaultSizeBuckets),
		},
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "archway_access_log_records_dropped_total", Help: "Request records nginx could not send to archway because the access log socket's queue was full; the request metrics miss them.",
			ConstLabels: constLabels,
		}),
	}
	c.order = []int{countFamily}
	for h := range histogramCount {
		c.order = append(c.order, h)
	}
	name := func(h int) string {
		if h == countFamily {
			return c.count.name
		}
		return c.histograms[h].name
	}
	slices.SortFunc(c.order, func(a, b int) int { return strings.Compare(name(a), name(b)) })
	return c
}

func (c *requestCollectors) collectors() []prometheus.Collector {
	return []prometheus.Collector{c.dropped}
}

// ObserveRequest records one served request.
func (m *Metrics) ObserveRequest(r Request) {
	c := m.requests
	s := requestSeries{model.Ref{Namespace: r.Namespace, Name: r.Ingress}, r.Service, r.Status, r.Method, r.Path, r.Canary, r.Host}
	if c.withoutHost {
		s.host = ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.data(s)
	d.requests++
	c.observe(d, durationHistogram, r.Duration)
	if r.ResponseTime >= 0 {
		c.observe(d, responseDurationHistogram, r.ResponseTime)
	}
	c.observe(d, requestSizeHistogram, r.RequestSize)
	c.observe(d, responseSizeHistogram, r.Size)
	c.observe(d, bytesSentHistogram, r.Size)
}

// data returns the counts of a series, made on its first request; c.mu is
// held.
func (c *requestCollectors) data(s requestSeries) *requestData {
	d := c.series[s]
	if d == nil {
		d = &requestData{}
		n := 0
		for _, h := range c.histograms {
			n += len(h.buckets) + 1
		}
		counts := make([]uint64, n) // one allocation for every histogram
		for i, h := range c.histograms {
			d.counts[i], counts = counts[:len(h.buckets)+1:len(h.buckets)+1], counts[len(h.buckets)+1:]
		}
		c.series[s] = d
	}
	return d
}

// observe adds v to histogram i of d as Prometheus does: into the first
// bucket whose upper bound is at least v.
func (c *requestCollectors) observe(d *requestData, i int, v float64) {
	d.counts[i][sort.SearchFloat64s(c.histograms[i].buckets, v)]++
	d.observed[i]++
	d.sums[i] += v
}

// writeText writes every request series in Prometheus's text format,
// byte for byte as client_golang writes const metrics: each series' labels
// sorted by name, the series sorted by their label values, a histogram's
// buckets cumulative, then +Inf, _sum and _count. Handler writes them
// after the registry's metrics. Made into client_golang's metrics, every
// series of every histogram was held at once during a scrape: about
// 150 MB at 10,000 Ingresses with traffic, and twice that in garbage. It
// copies the series under the lock and writes them after, so that
// requests are not held up meanwhile.
func (c *requestCollectors) writeText(w *bufio.Writer) error {
	type copied struct {
		values []string // in c.labels' order, constants left out
		data   requestData
	}
	c.mu.Lock()
	all := make([]copied, 0, len(c.series))
	for s, d := range c.series {
		data := *d
		for i := range data.counts {
			data.counts[i] = slices.Clone(d.counts[i])
		}
		all = append(all, copied{c.sortedValues(s), data})
	}
	c.mu.Unlock()
	slices.SortFunc(all, func(a, b copied) int { return slices.Compare(a.values, b.values) })
	labels := make([]string, len(all))
	for i, s := range all {
		labels[i] = c.labelText(s.values)
	}
	var number []byte
	sample := func(name, suffix, labels, le string, value float64) {
		w.WriteString(name)
		w.WriteString(suffix)
		w.WriteString(labels)
		if le != "" {
			w.WriteString(`,le="`)
			w.WriteString(le)
			w.WriteByte('"')
		}
		w.WriteString("} ")
		number = appendFloat(number[:0], value)
		w.Write(number)
		w.WriteByte('\n')
	}
	count := func() {
		if len(all) > 0 {
			c.count.writeHeader(w, "counter")
		}
		for i, s := range all {
			sample(c.count.name, "", labels[i], "", float64(s.data.requests))
		}
	}
	histogram := func(h int) {
		histogram := c.histograms[h]
		header := false
		for i, s := range all {
			if s.data.observed[h] == 0 {
				continue // a series without a backend's answer has no response duration
			}
			if !header {
				histogram.writeHeader(w, "histogram")
				header = true
			}
			var below uint64
			for k := range histogram.buckets {
				below += s.data.counts[h][k]
				sample(histogram.name, "_bucket", labels[i], histogram.le[k], float64(below))
			}
			sample(histogram.name, "_bucket", labels[i], histogram.le[len(histogram.buckets)], float64(s.data.observed[h]))
			sample(histogram.name, "_sum", labels[i], "", s.data.sums[h])
			sample(histogram.name, "_count", labels[i], "", float64(s.data.observed[h]))
		}
	}
	// The families in name order, as client_golang writes them.
	for _, h := range c.order {
		if h == countFamily {
			count()
		} else {
			histogram(h)
		}
	}
	return w.Flush()
}

// sortedValues returns the label values of a series in c.labels' order,
// the constants left out: the order client_golang sorts series in.
func (c *requestCollectors) sortedValues(s requestSeries) []string {
	values := c.values(s)
	sorted := make([]string, 0, len(values))
	for _, l := range c.labels {
		if l.index >= 0 {
			sorted = append(sorted, values[l.index])
		}
	}
	return sorted
}

// labelText returns a series' labels as written, `{name="value",...`
// without the closing brace, from its sortedValues.
func (c *requestCollectors) labelText(sorted []string) string {
	var b strings.Builder
	separator := "{"
	for _, l := range c.labels {
		value := l.constant
		if l.index >= 0 {
			value, sorted = sorted[0], sorted[1:]
		}
		b.WriteString(separator)
		b.WriteString(l.name)
		b.WriteString(`="`)
		_, _ = labelEscaper.WriteString(&b, value)
		b.WriteByte('"')
		separator = ","
	}
	return b.String()
}

// values returns the label values of a series in the collectors' order.
func (c *requestCollectors) values(s requestSeries) []string {
	values := []string{s.ingress.Namespace, s.ingress.Name, s.service, s.status, s.method, s.path, s.canary, s.host}
	if c.withoutHost {
		values = values[:len(values)-1]
	}
	return values
}

// AccessLogRecordDropped counts one request record that nginx could not
// send.
func (m *Metrics) AccessLogRecordDropped() { m.requests.dropped.Inc() }

// forgetAllBut deletes the request series of every Ingress not in served.
// A request that was in flight when its Ingress went away brings a series
// back, until the next sync.
func (c *requestCollectors) forgetAllBut(served []model.Ref) {
	keep := make(map[model.Ref]bool, len(served))
	for _, ref := range served {
		keep[ref] = true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for s := range c.series {
		if s.ingress.Name != "" && !keep[s.ingress] { // requests no Ingress routed stay
			delete(c.series, s)
		}
	}
}
