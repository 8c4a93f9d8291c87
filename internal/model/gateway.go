package model

// GatewayPorts are the nginx ports of a Gateway served on ports of its own
// (--gateway-service=per-gateway): the Servers of this Gateway answer on
// them alone, so the hosts of one Gateway never mix with another's or with
// the Ingresses' on the HTTP and HTTPS ports.
type GatewayPorts struct {
	Gateway Ref
	// Ports are sorted by Port; no two share Port or Target.
	Ports []GatewayPort
}

// GatewayPort is one listener port of a Gateway and the nginx port that
// serves it, which the Gateway's Service targets.
type GatewayPort struct {
	// Port is the listeners' port, which the Gateway's Service exposes.
	Port int32
	// Target is nginx's port.
	Target int32
	// TLS says the listeners on Port are HTTPS.
	TLS bool
}
