package model

// Passthrough is the front of the HTTPS port with --enable-ssl-passthrough:
// nginx's stream module reads the server name (SNI) of each TLS
// connection and sends the connections of Hosts, unopened, to their
// backends; every other connection goes on to the HTTP servers' TLS
// listener, which still learns the client's address.
type Passthrough struct {
	// Hosts are sorted by Host; each Host appears once.
	Hosts []PassthroughHost
}

// PassthroughHost is one host whose TLS connections go to the ready
// endpoints of a Service port, as they come.
type PassthroughHost struct {
	// Host is an exact DNS name or a wildcard ("*.example.com", exactly
	// one more label); a Server's exact Host or alias beats a wildcard,
	// as the Ingress rules want.
	Host string
	// Owner is the Ingress that passes the host through.
	Owner Owner
	// Service and ServicePort (a number or a name, as written) are where
	// the connections go.
	Service     Ref
	ServicePort string
	// ProxyProtocol sends the backend a PROXY protocol v1 header naming
	// the client before the client's bytes.
	ProxyProtocol bool
	// Endpoints are the Service port's ready endpoints, sorted; none
	// means connections are closed.
	Endpoints []Endpoint
}
