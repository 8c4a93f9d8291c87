package render

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

// websocketGUID is RFC 6455's key suffix.
const websocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

func websocketAccept(key string) string {
	sum := sha1.Sum([]byte(key + websocketGUID))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// websocketEcho completes an RFC 6455 handshake and echoes one text frame.
func websocketEcho(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Upgrade") != "websocket" || r.Header.Get("Connection") != "upgrade" {
		http.Error(w, "not a websocket request: "+r.Header.Get("Connection"), http.StatusBadRequest)
		return
	}
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	fmt.Fprintf(rw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
		websocketAccept(r.Header.Get("Sec-WebSocket-Key")))
	_ = rw.Flush()
	payload, err := readFrame(rw.Reader)
	if err != nil {
		return
	}
	_, _ = rw.Write(append([]byte{0x81, byte(len(payload))}, payload...))
	_ = rw.Flush()
}

// readFrame reads one short text frame, unmasking it if masked.
func readFrame(r *bufio.Reader) ([]byte, error) {
	var head [2]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, err
	}
	if head[0] != 0x81 || head[1]&0x7f > 125 {
		return nil, fmt.Errorf("unexpected frame header %x", head)
	}
	var mask [4]byte
	masked := head[1]&0x80 != 0
	if masked {
		if _, err := io.ReadFull(r, mask[:]); err != nil {
			return nil, err
		}
	}
	payload := make([]byte, head[1]&0x7f)
	if _, err := io.ReadFull(r, payload); err != nil {
		return nil, err
	}
	for i := range payload {
		if masked {
			payload[i] ^= mask[i%4]
		}
	}
	return payload, nil
}

// TestWebsocket sends a real websocket handshake and a frame through
// nginx, with no annotation, with a long read timeout, and through a
// location that sets its own request headers (which must keep Upgrade
// and Connection).
func TestWebsocket(t *testing.T) {
	e := newAnnotationEnv(t, model.Config{
		Backends: []model.Backend{handlerBackend(t, "ws", websocketEcho)},
		Servers: []model.Server{{Host: "ws.test", Locations: []model.Location{
			prefix("/plain", "ws"),
			with(prefix("/long", "ws"), "long", annotated(t, map[string]string{"proxy-read-timeout": "3600", "proxy-send-timeout": "3600"})),
			with(prefix("/vhost", "ws"), "vhost", annotated(t, map[string]string{"upstream-vhost": "ws.internal", "x-forwarded-prefix": "/vhost"})),
		}}},
	})
	for _, path := range []string{"/plain", "/long", "/vhost"} {
		t.Run(path, func(t *testing.T) {
			conn, err := e.client.Transport.(*http.Transport).DialContext(t.Context(), "tcp", "")
			require.NoError(t, err)
			defer conn.Close()
			const key = "dGhlIHNhbXBsZSBub25jZQ=="
			fmt.Fprintf(conn, "GET %s/socket HTTP/1.1\r\nHost: ws.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
				"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", path, key)
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			require.NoError(t, err)
			require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
			require.Equal(t, websocketAccept(key), resp.Header.Get("Sec-WebSocket-Accept"))
			mask := []byte{1, 2, 3, 4}
			frame := []byte{0x81, 0x80 | 5}
			frame = append(frame, mask...)
			for i, c := range []byte("hello") {
				frame = append(frame, c^mask[i%4])
			}
			_, err = conn.Write(frame)
			require.NoError(t, err)
			payload, err := readFrame(br)
			require.NoError(t, err)
			require.Equal(t, "hello", string(payload))
		})
	}
}
