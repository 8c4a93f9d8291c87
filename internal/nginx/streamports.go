package nginx

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"syscall"

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
		if err := probe(p); inUse(err) {
			return fmt.Errorf("%w: %s port %d is in use: %w", ErrRejected, p.Network, p.Port, err)
		}
	}
	return nil
}

// inUse tells a port that another process holds from one archway itself
// may not bind: as non-root (the chart's user) a port below 1024 gives
// EACCES, while nginx binds it with its own NET_BIND_SERVICE, so that is
// nginx's to try, not a refusal.
func inUse(err error) bool {
	return errors.Is(err, syscall.EADDRINUSE)
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
