package nginx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/testutil"
)

// TestReloadParsesOnce: nginx reads a changed config once, when it
// reloads; only the first start is tested with nginx -t beforehand.
func TestReloadParsesOnce(t *testing.T) {
	real := testutil.NginxBinary(t)
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

// TestReloadWaitsForABusyPort: the master tries a busy port again before it
// gives up; freed in time, the port takes the new config.
func TestReloadWaitsForABusyPort(t *testing.T) {
	e := newEnv(t, 0)
	e.apply(e.config("a"))
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	next := e.output("v-b", "v-b", "body-b", fmt.Sprintf("server { listen %s; }", taken.Addr()))
	applied := make(chan error, 1)
	go func() {
		_, err := e.m.Apply(context.Background(), next)
		applied <- err
	}()
	require.Eventually(t, func() bool { return e.logs.count(bindRetry) > 0 }, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, taken.Close())
	require.NoError(t, <-applied)
	e.requireServes("body-b")
	require.Equal(t, next.Files[0].Data, e.diskConfig())
}

// TestReloadsFollowTheMastersLog: the outcome of a reload is the master's
// next word after reconfiguring; other processes' lines and lines outside
// a reload tell nothing.
func TestReloadsFollowTheMastersLog(t *testing.T) {
	const (
		hup     = "2026/12/05 02:31:04 [notice] 42#42: signal 1 (SIGHUP) received from 7, reconfiguring"
		reconf  = "2026/12/05 02:31:04 [notice] 42#42: reconfiguring"
		started = "2026/12/05 02:31:04 [notice] 42#42: start worker processes"
		refused = `2026/12/05 02:31:04 [emerg] 42#42: unknown directive "x" in /run/nginx.conf:3`
		busy    = "2026/12/05 02:31:04 [emerg] 42#42: bind() to 127.0.0.1:80 failed (98: Address already in use)"
		gaveUp  = "2026/12/05 02:31:06 [emerg] 42#42: still could not bind()"
		worker  = "2026/12/05 02:31:04 [emerg] 43#43: some worker trouble"
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
	r.see(gaveUp)
	err, got = outcome()
	require.True(t, got)
	require.True(t, errors.Is(err, errReloadRefused) && errors.Is(err, ErrRejected), "%v", err)
	require.ErrorContains(t, err, `unknown directive "x"`)
	_, got = outcome()
	require.False(t, got, "one outcome per reload")

	// The master tries a busy port again: only giving up is an outcome,
	// and a port freed in time is a reload like any other.
	r.see(reconf)
	r.see(busy)
	_, got = outcome()
	require.False(t, got, "the master tries the port again")
	r.see(started)
	err, got = outcome()
	require.True(t, got)
	require.NoError(t, err)
	r.see(reconf)
	r.see(busy)
	r.see(busy)
	r.see(gaveUp)
	err, got = outcome()
	require.True(t, got)
	require.ErrorIs(t, err, errReloadRefused)
	require.ErrorContains(t, err, "127.0.0.1:80 failed (98: Address already in use); ")
}
