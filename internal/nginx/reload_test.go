package nginx

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReloadParsesOnce: nginx reads a changed config once, when it
// reloads; only the first start is tested with nginx -t beforehand.
func TestReloadParsesOnce(t *testing.T) {
	real := nginxBinary(t)
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls")
	counting := filepath.Join(dir, "counting-nginx")
	script := "#!/bin/sh\necho \"$*\" >> " + calls + "\nexec " + real + " \"$@\"\n"
	require.NoError(t, os.WriteFile(counting, []byte(script), 0o755))
	t.Setenv("ARCHWAY_NGINX", counting)
	e := newEnv(t, 0)
	for _, name := range []string{"a", "b", "c"} {
		e.apply(e.config(name))
		e.requireServes("body-" + name)
	}
	data, err := os.ReadFile(calls)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	require.Len(t, lines, 2, "one test and one start: %q", lines)
	require.Contains(t, lines[0], "-t ")
	require.NotContains(t, lines[1], "-t ")
	require.Equal(t, 2, e.logs.count("(SIGHUP) received"))
}

// TestReloadsFollowTheMastersLog: the outcome of a reload is the master's
// next word after reconfiguring; other processes' lines and lines outside
// a reload tell nothing.
func TestReloadsFollowTheMastersLog(t *testing.T) {
	const (
		hup      = "2026/12/05 02:31:04 [notice] 42#42: signal 1 (SIGHUP) received from 7, reconfiguring"
		reconf   = "2026/12/05 02:31:04 [notice] 42#42: reconfiguring"
		started  = "2026/12/05 02:31:04 [notice] 42#42: start worker processes"
		refused  = `2026/12/05 02:31:04 [emerg] 42#42: unknown directive "x" in /run/nginx.conf:3`
		retrying = "2026/12/05 02:31:05 [emerg] 42#42: still could not bind()"
		worker   = "2026/12/05 02:31:04 [emerg] 43#43: some worker trouble"
	)
	r := newReloads(42)
	outcome := func() (error, bool) {
		select {
		case err := <-r.outcome:
			return err, true
		default:
			return nil, false
		}
	}
	for _, line := range []string{started, refused, hup} {
		r.see(line)
	}
	_, got := outcome()
	require.False(t, got, "no reload was under way")

	r.see(reconf)
	r.see(worker)
	_, got = outcome()
	require.False(t, got, "a worker's line is not the master's answer")
	r.see(started)
	err, got := outcome()
	require.True(t, got)
	require.NoError(t, err)

	r.see(reconf)
	r.see(refused)
	r.see(retrying)
	err, got = outcome()
	require.True(t, got)
	require.True(t, errors.Is(err, errReloadRefused) && errors.Is(err, ErrRejected), "%v", err)
	require.ErrorContains(t, err, `unknown directive "x"`)
	_, got = outcome()
	require.False(t, got, "one outcome per reload")
}
