package builder

import (
	"testing"
	"time"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// TestStreams reads the TCP and UDP services ConfigMaps of a folder beside
// the controller's ConfigMap: each good entry becomes a stream server on
// the ready endpoints of its Service port (by number or name, of its
// protocol), and each bad one is refused alone with its reason.
func TestStreams(t *testing.T) {
	opts := defaultOpts()
	opts.TCPServices, opts.UDPServices = "ingress/tcp-services", "ingress/udp-services"
	opts.ReservedPorts = []ReservedPort{{Port: 80, Use: "the HTTP port"}}
	settings := defaultSettings()
	settings.WorkerShutdownTimeout = 10 * time.Second
	db := ref("data", "db")
	endpoints := func(port int32) []model.Endpoint {
		return []model.Endpoint{{Address: "10.0.0.1", Port: port}, {Address: "10.0.0.2", Port: port}}
	}
	tcp, udp := ref("ingress", "tcp-services"), ref("ingress", "udp-services")
	problem := func(cm model.Ref, key string, why reason.Reason, message string) Problem {
		return Problem{Kind: KindConfigMap, Object: cm, Field: "data." + key, Key: key, Reason: why, Message: message + "; the entry is not served"}
	}
	runFixtures(t, map[string]fixture{"streams": {
		files: []string{"streams.yaml"},
		opts:  &opts,
		config: model.Config{Settings: settings, Backends: []model.Backend{}, Streams: []model.StreamServer{
			{Protocol: model.TCP, Port: 5432, Service: db, ServicePort: "5432", Endpoints: endpoints(15432)},
			{Protocol: model.TCP, Port: 5433, Service: db, ServicePort: "sql", DecodeProxyProtocol: true, Endpoints: endpoints(15432)},
			{Protocol: model.TCP, Port: 5434, Service: db, ServicePort: "sql", DecodeProxyProtocol: true, SendProxyProtocol: true, Endpoints: endpoints(15432)},
			{Protocol: model.UDP, Port: 53, Service: db, ServicePort: "dns", Endpoints: endpoints(1053)},
			{Protocol: model.UDP, Port: 5432, Service: db, ServicePort: "53", Endpoints: endpoints(1053)},
		}},
		report: Report{Problems: []Problem{
			problem(tcp, "0", reason.InvalidStreamService, `port "0" is not a number from 1 to 65535`),
			problem(tcp, "5435", reason.InvalidStreamService, "Service data/missing not found"),
			problem(tcp, "5436", reason.InvalidStreamService, `suffix "proxy" is not PROXY`),
			problem(tcp, "5437", reason.InvalidStreamService, `Service data/db has no TCP port "53"`),
			problem(tcp, "5438", reason.InvalidStreamService, `value "db:5432" is not <namespace>/<service>:<port>[:PROXY][:PROXY]`),
			problem(tcp, "80", reason.StreamPortConflict, "TCP port 80 is taken by the HTTP port"),
			problem(tcp, "db", reason.InvalidStreamService, `port "db" is not a number from 1 to 65535`),
			problem(udp, "54", reason.InvalidStreamService, "the PROXY protocol is for TCP services only"),
		}},
	}})
}
