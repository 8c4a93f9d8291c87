package nginx

import (
	"fmt"
	"net"
	"slices"
	"strconv"

	"github.com/archway-ingress/archway/internal/render"
)

// checkStreamPorts refuses a config whose TCP or UDP services listen on a
// port that something else holds. nginx -t never binds, and a reload onto
// a busy port fails only after the master's retries, whole: without this
// check the culprit search could not tell which object is responsible, and
// every later change would wait behind it. Ports the live config listens
// on are nginx's own and not probed.
func checkStreamPorts(out render.Output, live *liveConfig) error {
	for _, p := range out.StreamPorts {
		if live != nil && slices.Contains(live.streamPorts, p) {
			continue
		}
		if err := probe(p); err != nil {
			return fmt.Errorf("%w: %s port %d is in use: %w", ErrRejected, p.Network, p.Port, err)
		}
	}
	return nil
}

// probe binds the port on every address, as nginx's listen does, and
// lets it go.
func probe(p render.StreamPort) error {
	address := ":" + strconv.Itoa(p.Port)
	if p.Network == "udp" {
		conn, err := net.ListenPacket("udp", address)
		if err != nil {
			return err
		}
		return conn.Close()
	}
	l, err := net.Listen("tcp", address)
	if err != nil {
		return err
	}
	return l.Close()
}
