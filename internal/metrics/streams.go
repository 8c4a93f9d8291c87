package metrics

import (
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/archway-ingress/archway/internal/model"
)

// Stream is one TCP connection or UDP session (one datagram and its
// reply) that a TCP or UDP service served, as its record told it when it
// ended. Every label value must already be bounded: Protocol is "TCP" or
// "UDP", Port a port number, the names checked Kubernetes names, Status
// nginx's three-digit stream status.
type Stream struct {
	Protocol, Port     string
	Namespace, Service string
	Status             string
	// Sent and Received are the bytes sent to and received from the
	// client.
	Sent, Received float64
}

// streamServer is what labels the series of one port.
type streamServer struct{ protocol, port, namespace, service string }

func (s streamServer) labels() prometheus.Labels {
	return prometheus.Labels{"protocol": s.protocol, "port": s.port, "namespace": s.namespace, "service": s.service}
}

// streamCollectors count the connections and bytes of the TCP and UDP
// services, and remember their servers so that those no longer served
// lose their series (as the request series do).
type streamCollectors struct {
	connections, sent, received *prometheus.CounterVec
	mu                          sync.Mutex
	seen                        map[streamServer]bool
}

func newStreamCollectors(constLabels prometheus.Labels) *streamCollectors {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: constLabels},
			append([]string{"protocol", "port", "namespace", "service"}, labels...))
	}
	return &streamCollectors{
		seen: map[streamServer]bool{},
		connections: counter("archway_stream_connections_total",
			"TCP connections and UDP sessions of the TCP and UDP services, counted when they end, by port, Service and nginx's stream status.", "status"),
		sent:     counter("archway_stream_sent_bytes_total", "Bytes the TCP and UDP services sent to clients, counted when their connections end."),
		received: counter("archway_stream_received_bytes_total", "Bytes the TCP and UDP services received from clients, counted when their connections end."),
	}
}

func (c *streamCollectors) collectors() []prometheus.Collector {
	return []prometheus.Collector{c.connections, c.sent, c.received}
}

// ObserveStream records one ended TCP connection or UDP session.
func (m *Metrics) ObserveStream(s Stream) {
	c := m.streams
	server := streamServer{s.Protocol, s.Port, s.Namespace, s.Service}
	c.mu.Lock()
	c.seen[server] = true
	c.mu.Unlock()
	labels := server.labels()
	c.sent.With(labels).Add(s.Sent)
	c.received.With(labels).Add(s.Received)
	labels["status"] = s.Status
	c.connections.With(labels).Inc()
}

// StreamsServed deletes the series of every TCP or UDP service that is not
// among servers any more.
func (m *Metrics) StreamsServed(servers []model.StreamServer) {
	c := m.streams
	keep := make(map[streamServer]bool, len(servers))
	for _, s := range servers {
		keep[streamServer{string(s.Protocol), strconv.Itoa(s.Port), s.Service.Namespace, s.Service.Name}] = true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for server := range c.seen {
		if keep[server] {
			continue
		}
		for _, vec := range []*prometheus.CounterVec{c.connections, c.sent, c.received} {
			vec.DeletePartialMatch(server.labels())
		}
		delete(c.seen, server)
	}
}
