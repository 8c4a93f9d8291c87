package nginx

import (
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/render"
)

// TestCheckStreamPorts: a TCP or UDP service port that another process
// holds is a refusal (ErrRejected, so the culprit search can blame its
// object), unless the live config listens on it already.
func TestCheckStreamPorts(t *testing.T) {
	tcp, err := net.Listen("tcp", ":0")
	require.NoError(t, err)
	defer tcp.Close()
	udp, err := net.ListenPacket("udp", ":0")
	require.NoError(t, err)
	defer udp.Close()
	busyTCP := render.StreamPort{Network: "tcp", Port: tcp.Addr().(*net.TCPAddr).Port}
	busyUDP := render.StreamPort{Network: "udp", Port: udp.LocalAddr().(*net.UDPAddr).Port}

	for _, p := range []render.StreamPort{busyTCP, busyUDP} {
		err := checkStreamPorts(render.Output{StreamPorts: []render.StreamPort{p}}, nil)
		require.ErrorIs(t, err, ErrRejected)
		require.ErrorContains(t, err, "is in use")
	}
	live := &liveConfig{streamPorts: []render.StreamPort{busyTCP, busyUDP}}
	require.NoError(t, checkStreamPorts(render.Output{StreamPorts: []render.StreamPort{busyTCP, busyUDP}}, live), "the live config's own ports")
	require.NoError(t, checkStreamPorts(render.Output{StreamPorts: []render.StreamPort{{Network: "udp", Port: busyTCP.Port}}}, nil), "another protocol's port is free")
}

// TestStreamPortNotOursToBind: a bind that fails for lack of privilege
// (archway as non-root, a port below 1024 that nginx binds with its own
// capability) is no refusal; only a port that is in use is.
func TestStreamPortNotOursToBind(t *testing.T) {
	denied := &net.OpError{Op: "listen", Net: "tcp", Err: os.NewSyscallError("bind", syscall.EACCES)}
	require.False(t, inUse(denied))
	require.False(t, inUse(nil))
	_, err := net.Listen("tcp", "256.0.0.1:80")
	require.False(t, inUse(err), "an error that is not EADDRINUSE")

	held, err := net.Listen("tcp", ":0")
	require.NoError(t, err)
	defer held.Close()
	_, err = net.Listen("tcp", held.Addr().String())
	require.True(t, inUse(err))
}
