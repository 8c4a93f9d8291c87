package nginx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/render"
	"github.com/archway-ingress/archway/internal/testutil"
)

func TestApplyStartsThenReloads(t *testing.T) {
	e := newEnv(t, 0)
	require.False(t, e.m.Ready())
	_, err := os.Stat(e.dir)
	require.ErrorIs(t, err, os.ErrNotExist, "nothing may start before the first Apply")

	res := e.apply(e.config("a"))
	require.True(t, res.Changed)
	require.Positive(t, res.Duration)
	require.True(t, e.m.Ready())
	e.requireServes("body-a")
	master := e.masterPid()
	workersA := e.workers(master, 2)

	res = e.apply(e.config("b"))
	require.True(t, res.Changed)
	e.requireServes("body-b")
	require.Equal(t, master, e.masterPid(), "a reload keeps the master")
	require.Equal(t, 1, e.logs.count("(SIGHUP) received"))
	workersB := e.workers(master, 2)
	require.NotContains(t, workersB, workersA[0])
	require.NotContains(t, workersB, workersA[1])
}

func TestApplyIdenticalIsNoop(t *testing.T) {
	e := newEnv(t, 0)
	e.apply(e.config("a"))
	e.apply(e.config("b"))
	before, err := os.Stat(filepath.Join(e.dir, render.ConfigFile))
	require.NoError(t, err)
	// Apply returns once one new worker answers; the config's second
	// worker may still be starting.
	var workers []int
	require.Eventually(t, func() bool {
		workers, err = activeWorkers(e.masterPid())
		return err == nil && len(workers) == 2
	}, 10*time.Second, 10*time.Millisecond, "the two workers of config b")

	res := e.apply(e.config("b"))
	require.False(t, res.Changed)

	// A stray SIGHUP would show within milliseconds; wait well past that.
	time.Sleep(300 * time.Millisecond)
	require.Equal(t, 1, e.logs.count("(SIGHUP) received"))
	after, err := activeWorkers(e.masterPid())
	require.NoError(t, err)
	require.ElementsMatch(t, workers, after)
	now, err := os.Stat(filepath.Join(e.dir, render.ConfigFile))
	require.NoError(t, err)
	require.True(t, os.SameFile(before, now), "nginx.conf must not be rewritten")
	require.Equal(t, before.ModTime(), now.ModTime())
	e.requireServes("body-b")
}

func TestApplyFailureKeepsPreviousConfig(t *testing.T) {
	tests := map[string]struct {
		bad     func(*env) render.Output
		wantErr string
		// rejected: the error says nginx refused the config itself.
		rejected bool
	}{
		"the reload refuses the candidate": {
			bad: func(e *env) render.Output {
				return e.output("v-bad", "v-bad", "body-bad", "no_such_directive on;")
			},
			wantErr:  `unknown directive "no_such_directive"`,
			rejected: true,
		},
		"a certificate file is missing": {
			bad: func(e *env) render.Output {
				return e.output("v-bad", "v-bad", "body-bad", fmt.Sprintf(`server {
    listen 127.0.0.1:%d ssl;
    ssl_certificate %[2]s/missing.crt;
    ssl_certificate_key %[2]s/missing.key;
  }`, freePort(e.t), e.dir))
			},
			wantErr:  "missing.crt",
			rejected: true,
		},
		// nginx -t does not bind: only the reload finds the port taken.
		"a port is in use": {
			bad: func(e *env) render.Output {
				taken, err := net.Listen("tcp", "127.0.0.1:0")
				require.NoError(e.t, err)
				e.t.Cleanup(func() { _ = taken.Close() })
				return e.output("v-bad", "v-bad", "body-bad", fmt.Sprintf(`server { listen %s; }`, taken.Addr()))
			},
			wantErr:  "Address already in use",
			rejected: true,
		},
		"reloaded workers never answer the version": {
			bad: func(e *env) render.Output {
				return e.output("v-bad", "v-something-else", "body-bad")
			},
			wantErr: `status socket answers version "v-something-else"`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, failingVerifyTimeout)
			good := e.config("a")
			e.apply(good)
			master := e.masterPid()

			_, err := e.m.Apply(context.Background(), tc.bad(e))
			require.ErrorContains(t, err, tc.wantErr)
			require.Equal(t, tc.rejected, errors.Is(err, ErrRejected), "%v", err)
			if tc.rejected {
				// The old workers never stopped: no reload back to them.
				require.Equal(t, 1, e.logs.count("(SIGHUP) received"))
				require.Positive(t, e.logs.count("[emerg]"), "the master's complaint is logged")
			}

			require.Equal(t, good.Files[0].Data, e.diskConfig())
			_, err = os.Stat(filepath.Join(e.dir, candidateFile))
			require.ErrorIs(t, err, os.ErrNotExist)
			require.True(t, e.m.Ready())
			require.Equal(t, master, e.masterPid())
			e.requireServes("body-a")
			version, err := e.m.servedVersion(context.Background())
			require.NoError(t, err)
			require.Equal(t, "v-a", version)

			// The manager is not wedged: the next good config goes live.
			e.apply(e.config("c"))
			e.requireServes("body-c")
		})
	}
}

func TestFirstApplyFailureLeavesNothingRunning(t *testing.T) {
	tests := map[string]struct {
		bad     func(*env) render.Output
		wantErr string
	}{
		"nginx -t rejects the candidate": {
			bad: func(e *env) render.Output {
				return e.output("v-bad", "v-bad", "body-bad", "no_such_directive on;")
			},
			wantErr: "unknown directive",
		},
		"started nginx never answers the version": {
			bad: func(e *env) render.Output {
				return e.output("v-bad", "v-something-else", "body-bad")
			},
			wantErr: "verify version",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, failingVerifyTimeout)
			_, err := e.m.Apply(context.Background(), tc.bad(e))
			require.ErrorContains(t, err, tc.wantErr)
			require.False(t, e.m.Ready())
			_, err = os.Stat(filepath.Join(e.dir, render.ConfigFile))
			require.ErrorIs(t, err, os.ErrNotExist)
			if pid, err := readPid(e.dir); err == nil {
				require.False(t, alive(pid), "the unverified nginx must be stopped")
			}
			_, err = e.get()
			require.Error(t, err)

			e.apply(e.config("a"))
			e.requireServes("body-a")
		})
	}
}

func TestRunRestartsKilledNginx(t *testing.T) {
	e := newEnv(t, 0)
	e.apply(e.config("a"))
	master := e.masterPid()
	workers, err := activeWorkers(master)
	require.NoError(t, err)

	require.NoError(t, syscall.Kill(master, syscall.SIGKILL))

	require.Eventually(t, func() bool {
		pid, err := readPid(e.dir)
		return err == nil && pid != master && alive(pid) && e.m.Ready()
	}, 10*time.Second, 20*time.Millisecond)
	// archway adopted the orphaned workers and reaped them before the new
	// master started: not even a zombie of them is left.
	subreaper, err := isChildSubreaper()
	require.NoError(t, err)
	require.True(t, subreaper, "archway must adopt the workers of a dead master")
	for _, pid := range workers {
		require.NoDirExists(t, fmt.Sprintf("/proc/%d", pid), "orphaned worker %d must be killed and reaped", pid)
	}
	require.Equal(t, 1, e.logs.count("nginx exited unexpectedly"))
	e.requireServes("body-a")

	e.apply(e.config("b"))
	e.requireServes("body-b")
}

// TestRunAwaitsLateRestart: a restarted nginx that serves only after its
// verify gave up (a slow start on a busy machine) makes archway ready when
// it serves, without a new config.
func TestRunAwaitsLateRestart(t *testing.T) {
	// nginx started through a script that, while the file late exists,
	// waits as many seconds as it says before it runs nginx, once.
	dir := t.TempDir()
	late, binary := filepath.Join(dir, "late"), filepath.Join(dir, "nginx")
	script := fmt.Sprintf("#!/bin/sh\nif [ -e %[1]s ]; then sleep \"$(cat %[1]s)\"; rm %[1]s; fi\nexec %[2]s \"$@\"\n",
		late, testutil.NginxBinary(t))
	require.NoError(t, os.WriteFile(binary, []byte(script), 0o755))
	e := newEnvBinary(t, time.Second, binary)
	e.apply(e.config("a"))
	master := e.masterPid()

	// Late by a second more than the restart's verify waits.
	delay := e.m.verifyTimeout() + time.Second
	require.NoError(t, os.WriteFile(late, fmt.Appendf(nil, "%.1f", delay.Seconds()), 0o644))
	require.NoError(t, syscall.Kill(master, syscall.SIGKILL))

	require.Eventually(t, func() bool {
		pid, err := readPid(e.dir)
		return err == nil && pid != master && e.m.Ready()
	}, 60*time.Second, 20*time.Millisecond)
	require.NoFileExists(t, late, "nginx started late")
	require.Equal(t, 1, e.logs.count("nginx restarted but does not serve the live config"), "the restart's verify gave up")
	e.requireServes("body-a")

	e.apply(e.config("b"))
	e.requireServes("body-b")
}

func TestRunStopsNginxWhenContextEnds(t *testing.T) {
	e := newEnv(t, 0)
	e.apply(e.config("a"))
	master := e.masterPid()
	workers, err := activeWorkers(master)
	require.NoError(t, err)

	require.NoError(t, e.stop())

	require.False(t, e.m.Ready())
	require.False(t, alive(master))
	for _, pid := range workers {
		require.False(t, alive(pid))
	}
	require.ErrorIs(t, syscall.Kill(-master, 0), syscall.ESRCH, "no process of nginx's group may be left")
	_, err = e.get()
	require.Error(t, err)
	_, err = e.m.Apply(context.Background(), e.config("b"))
	require.True(t, errors.Is(err, ErrStopped))
}

func TestApplyWritesFilesWithTheirModes(t *testing.T) {
	e := newEnv(t, 0)
	out := e.config("a")
	out.Files = append(out.Files,
		render.File{Name: "certs/site.key", Data: []byte("secret key"), Mode: 0o600},
		render.File{Name: "certs/site.crt", Data: []byte("certificate"), Mode: 0o644},
		render.File{Name: "auth/users.htpasswd", Data: []byte("user:hash"), Mode: 0o640, Group: "nogroup"},
	)
	e.apply(out)

	info, err := os.Stat(e.dir)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o755), info.Mode().Perm())
	for _, f := range out.Files {
		info, err := os.Stat(filepath.Join(e.dir, f.Name))
		require.NoError(t, err)
		require.Equal(t, f.Mode, info.Mode().Perm(), f.Name)
		wantGID, err := groupID(f.Group)
		require.NoError(t, err)
		if wantGID < 0 {
			wantGID = os.Getegid()
		}
		require.Equal(t, uint32(wantGID), info.Sys().(*syscall.Stat_t).Gid, f.Name)
		data, err := os.ReadFile(filepath.Join(e.dir, f.Name))
		require.NoError(t, err)
		require.Equal(t, f.Data, data, f.Name)
	}
}
