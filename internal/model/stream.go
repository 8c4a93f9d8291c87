package model

// Protocol is the transport of a StreamServer.
type Protocol string

// The protocols of the --tcp-services-configmap and
// --udp-services-configmap entries.
const (
	TCP Protocol = "TCP"
	UDP Protocol = "UDP"
)

// StreamServer is one port that nginx's stream module forwards, as is,
// to the ready endpoints of one Service port: an entry of the TCP or UDP
// services ConfigMap.
type StreamServer struct {
	Protocol Protocol
	// Port is the port nginx listens on, 1 to 65535, unique per Protocol
	// and never one of the HTTP, HTTPS or metrics ports.
	Port int
	// Service and ServicePort (a number or a name, as written) are where
	// the connections go.
	Service     Ref
	ServicePort string
	// DecodeProxyProtocol says that every connection starts with a PROXY
	// protocol header (from a load balancer) naming the client (TCP only).
	DecodeProxyProtocol bool
	// SendProxyProtocol sends a PROXY protocol header naming the client to
	// the backend (TCP only).
	SendProxyProtocol bool
	// Endpoints are the Service port's ready endpoints, sorted; none
	// means connections are closed.
	Endpoints []Endpoint
}
