package metrics

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// stubStatusTimeout bounds one scrape of nginx's stub_status.
const stubStatusTimeout = 2 * time.Second

// NginxStatusOptions say where nginx's stub_status answers.
type NginxStatusOptions struct {
	Labels Labels
	// Socket is the unix socket nginx's status server listens on.
	Socket string
	// Path is stub_status's location on that server ("/nginx_status").
	Path string
}

// nginxStatus is a collector that asks nginx's stub_status for its
// connection and request counters on every collection. While nginx is not
// running it reports nothing rather than failing the whole scrape.
type nginxStatus struct {
	url         string
	client      *http.Client
	connections *prometheus.Desc
	accepted    *prometheus.Desc
	requests    *prometheus.Desc
}

// RegisterNginxStatus registers the nginx_ingress_controller_nginx_process_*
// metrics, read from stub_status at every scrape, on reg.
func RegisterNginxStatus(reg prometheus.Registerer, opts NginxStatusOptions) {
	constLabels := opts.Labels.constLabels()
	dialer := &net.Dialer{}
	reg.MustRegister(&nginxStatus{
		url: "http://nginx" + opts.Path,
		client: &http.Client{Timeout: stubStatusTimeout, Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return dialer.DialContext(ctx, "unix", opts.Socket)
			},
			// A kept-alive connection would be one more "active" one.
			DisableKeepAlives: true,
		}},
		connections: prometheus.NewDesc("nginx_ingress_controller_nginx_process_connections",
			"Client connections by state: active (all open ones), reading, writing, waiting.", []string{"state"}, constLabels),
		accepted: prometheus.NewDesc("nginx_ingress_controller_nginx_process_connections_total",
			"Client connections nginx accepted and handled.", []string{"state"}, constLabels),
		requests: prometheus.NewDesc("nginx_ingress_controller_nginx_process_requests_total",
			"Client requests nginx served.", nil, constLabels),
	})
}

func (c *nginxStatus) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.connections
	ch <- c.accepted
	ch <- c.requests
}

func (c *nginxStatus) Collect(ch chan<- prometheus.Metric) {
	s, err := c.fetch()
	if err != nil {
		return
	}
	gauge := func(v float64, state string) {
		ch <- prometheus.MustNewConstMetric(c.connections, prometheus.GaugeValue, v, state)
	}
	gauge(s.active, "active")
	gauge(s.reading, "reading")
	gauge(s.writing, "writing")
	gauge(s.waiting, "waiting")
	ch <- prometheus.MustNewConstMetric(c.accepted, prometheus.CounterValue, s.accepts, "accepted")
	ch <- prometheus.MustNewConstMetric(c.accepted, prometheus.CounterValue, s.handled, "handled")
	ch <- prometheus.MustNewConstMetric(c.requests, prometheus.CounterValue, s.requests)
}

func (c *nginxStatus) fetch() (stubStatus, error) {
	resp, err := c.client.Get(c.url)
	if err != nil {
		return stubStatus{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return stubStatus{}, fmt.Errorf("stub_status: %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return stubStatus{}, err
	}
	return parseStubStatus(string(body))
}

// stubStatus holds the numbers of nginx's stub_status page.
type stubStatus struct {
	active, accepts, handled, requests, reading, writing, waiting float64
}

// parseStubStatus reads nginx's stub_status page (lines end in a space):
//
//	Active connections: 2
//	server accepts handled requests
//	 10 10 25
//	Reading: 0 Writing: 1 Waiting: 1
func parseStubStatus(page string) (stubStatus, error) {
	words := strings.Fields(page)
	layout := []string{"Active", "connections:", "", "server", "accepts", "handled", "requests", "", "", "",
		"Reading:", "", "Writing:", "", "Waiting:", ""}
	var s stubStatus
	numbers := []*float64{&s.active, &s.accepts, &s.handled, &s.requests, &s.reading, &s.writing, &s.waiting}
	if len(words) != len(layout) {
		return stubStatus{}, fmt.Errorf("stub_status page %q: unexpected layout", page)
	}
	for i, want := range layout {
		if want != "" {
			if words[i] != want {
				return stubStatus{}, fmt.Errorf("stub_status page %q: %q where %q belongs", page, words[i], want)
			}
			continue
		}
		n, err := strconv.ParseUint(words[i], 10, 64)
		if err != nil {
			return stubStatus{}, fmt.Errorf("stub_status page %q: %w", page, err)
		}
		*numbers[0], numbers = float64(n), numbers[1:]
	}
	return s, nil
}
