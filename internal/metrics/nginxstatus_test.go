package metrics

import (
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
)

// page is what nginx 1.22's stub_status prints, trailing spaces included.
const page = "Active connections: 3 \nserver accepts handled requests\n 17 16 42 \nReading: 0 Writing: 1 Waiting: 2 \n"

func TestParseStubStatus(t *testing.T) {
	tests := map[string]struct {
		page string
		want stubStatus
		err  string
	}{
		"nginx's page": {page: page, want: stubStatus{active: 3, accepts: 17, handled: 16, requests: 42, writing: 1, waiting: 2}},
		"truncated":    {page: "Active connections: 3 \nserver accepts handled requests\n", err: "unexpected layout"},
		"renamed":      {page: strings.Replace(page, "Waiting", "Idle", 1), err: `"Idle:" where "Waiting:" belongs`},
		"not a number": {page: strings.Replace(page, "42", "4x", 1), err: "invalid syntax"},
		"negative":     {page: strings.Replace(page, "42", "-42", 1), err: "invalid syntax"},
		"empty":        {page: "", err: "unexpected layout"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := parseStubStatus(tc.page)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

// serveStatus answers body at /nginx_status on a unix socket, like nginx's
// status server.
func serveStatus(t *testing.T, body string) string {
	t.Helper()
	socket := filepath.Join(t.TempDir(), "status.sock")
	l, err := net.Listen("unix", socket)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /nginx_status", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, body) })
	server := &http.Server{Handler: mux}
	go func() { _ = server.Serve(l) }()
	t.Cleanup(func() { _ = server.Close() })
	return socket
}

func TestNginxStatusCollector(t *testing.T) {
	tests := map[string]struct {
		socket func(t *testing.T) string
		want   map[string]sample
	}{
		"nginx answers": {
			socket: func(t *testing.T) string { return serveStatus(t, page) },
			want: map[string]sample{
				`nginx_ingress_controller_nginx_process_connections{state="active"}`:         {Value: 3},
				`nginx_ingress_controller_nginx_process_connections{state="reading"}`:        {Value: 0},
				`nginx_ingress_controller_nginx_process_connections{state="writing"}`:        {Value: 1},
				`nginx_ingress_controller_nginx_process_connections{state="waiting"}`:        {Value: 2},
				`nginx_ingress_controller_nginx_process_connections_total{state="accepted"}`: {Value: 17},
				`nginx_ingress_controller_nginx_process_connections_total{state="handled"}`:  {Value: 16},
				`nginx_ingress_controller_nginx_process_requests_total{}`:                    {Value: 42},
			},
		},
		"nginx not running: nothing, and the scrape still succeeds": {
			socket: func(t *testing.T) string { return filepath.Join(t.TempDir(), "missing.sock") },
			want:   map[string]sample{},
		},
		"garbage page: nothing": {
			socket: func(t *testing.T) string { return serveStatus(t, "<html>") },
			want:   map[string]sample{},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			RegisterNginxStatus(reg, NginxStatusOptions{Labels: testLabels, Socket: tc.socket(t), Path: "/nginx_status"})
			require.Equal(t, tc.want, gather(t, reg,
				"nginx_ingress_controller_nginx_process_connections",
				"nginx_ingress_controller_nginx_process_connections_total",
				"nginx_ingress_controller_nginx_process_requests_total"))
		})
	}
}
