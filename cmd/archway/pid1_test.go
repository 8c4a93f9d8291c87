package main

import (
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/testutil"
	"github.com/archway-ingress/archway/test/harness"
)

// TestPID1ReapsWorkersOfKilledNginx runs archway as PID 1, as its container
// image does, and kills its nginx master abruptly: the orphaned workers
// become archway's children. archway must reap them before it starts a new
// master, so no zombie is left and none holds the ports, and serve again.
func TestPID1ReapsWorkersOfKilledNginx(t *testing.T) {
	requireRoot(t) // for a PID namespace
	manifests := t.TempDir()
	writeManifests(t, manifests, workerManifests(bodyLengthBackend(t)))
	p := startProcess(t, manifests, processOptions{pid1: true,
		args: []string{"--runtime-dir", testutil.RuntimeDir(t)}})
	p.waitReady()
	archway := p.pid()
	require.NotEqual(t, p.cmd.Process.Pid, archway, "archway must run under unshare")
	master, workers, err := harness.NginxProcesses(archway)
	require.NoError(t, err)
	require.NotEmpty(t, workers)

	require.NoError(t, syscall.Kill(master, syscall.SIGKILL))

	// A restart slower than its verify (10 s) on a busy machine is checked
	// again for about 40 s more before archway gives up on it.
	require.Eventually(t, func() bool {
		restarted, _, err := harness.NginxProcesses(archway)
		return err == nil && restarted != master && p.readyz() == http.StatusOK
	}, 60*time.Second, 20*time.Millisecond)
	for _, pid := range workers {
		require.NoDirExists(t, fmt.Sprintf("/proc/%d", pid), "orphaned worker %d must be killed and reaped", pid)
	}
	children, err := harness.Children(archway)
	require.NoError(t, err)
	for pid, title := range children {
		require.True(t, strings.HasPrefix(title, "nginx: master"), "archway's child %d %q is no nginx master (a zombie has no title)", pid, title)
	}
	code, got := p.request(http.MethodGet, "open.example.com", "/", "", "", "")
	require.Equal(t, http.StatusOK, code, got)
}
