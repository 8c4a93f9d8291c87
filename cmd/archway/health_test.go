package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestProfilingFlag: Go's profiles are served on the metrics address only
// with --profiling, as they show the process's internals.
func TestProfilingFlag(t *testing.T) {
	get := func(profiling bool, path string) (int, string) {
		mux := healthMux(http.NotFoundHandler(), func() bool { return true }, func() {}, profiling)
		server := httptest.NewServer(mux)
		defer server.Close()
		resp, err := http.Get(server.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(body)
	}
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/cmdline"} {
		code, _ := get(false, path)
		require.Equal(t, http.StatusNotFound, code, "%s without --profiling", path)
	}
	code, body := get(true, "/debug/pprof/")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "heap")
	code, body = get(true, "/debug/pprof/heap?debug=1")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "heap profile")
	code, _ = get(true, "/healthz")
	require.Equal(t, http.StatusOK, code, "the health endpoints stay")
}
