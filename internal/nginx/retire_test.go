package nginx

import (
	"context"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/render"
)

// stall stops pid, a worker, as a loaded machine or a request that blocks
// its event loop would, until the test ends or it is resumed.
func stall(t *testing.T, pid int) (resume func()) {
	t.Helper()
	require.NoError(t, syscall.Kill(pid, syscall.SIGSTOP))
	resume = func() { _ = syscall.Kill(pid, syscall.SIGCONT) }
	// Before the env's cleanup (last in, first out): a stopped worker would
	// make nginx's graceful stop wait.
	t.Cleanup(resume)
	return resume
}

// TestReloadWaitsForSlowRetirement: a worker of the previous config that
// stops accepting only well after VerifyTimeout does not fail a config the
// master took: no rollback, no second reload.
func TestReloadWaitsForSlowRetirement(t *testing.T) {
	e := newEnv(t, time.Second)
	e.apply(e.config("a"))
	master := e.masterPid()
	slow := e.workers(master, 2)[0]
	resume := stall(t, slow)

	type applied struct {
		res Result
		err error
	}
	done := make(chan applied, 1)
	begin := time.Now()
	go func() {
		res, err := e.m.Apply(context.Background(), e.config("b"))
		done <- applied{res, err}
	}()
	require.Eventually(t, func() bool { return e.logs.count(workersStart) >= 2 }, 20*time.Second, 10*time.Millisecond,
		"the master started the new workers")
	// The verify bound, VerifyTimeout plus three times the read (at most
	// the time until now), runs from the new workers' start: resume the
	// worker well after it.
	read := time.Since(begin)
	time.Sleep(time.Second + 3*read + 2*time.Second)
	resume()

	got := <-done
	require.NoError(t, got.err)
	require.True(t, got.res.Changed)
	e.requireServes("body-b")
	require.Equal(t, 1, e.logs.count("(SIGHUP) received"), "no reload back to the previous config")
	require.Zero(t, e.logs.count("previous config serving again"))
	require.True(t, e.m.Ready())
	workers, err := activeWorkers(master)
	require.NoError(t, err)
	require.NotContains(t, workers, slow, "the resumed worker retired")
}

// TestReloadKillsStalledWorkers: a worker of the previous config that never
// stops accepting has RetireTimeout from the new workers' start, then is
// killed; the new config goes live, or, should its workers not answer its
// version, fails as any such config does and the previous one is back.
func TestReloadKillsStalledWorkers(t *testing.T) {
	const retireTimeout = 2 * failingVerifyTimeout
	const killed = "killed an nginx worker of the previous config"
	tests := map[string]struct {
		next    func(*env) render.Output
		wantErr string // empty: next goes live
	}{
		"the new config goes live": {
			next: func(e *env) render.Output { return e.config("b") },
		},
		"the new workers never answer the version": {
			next:    func(e *env) render.Output { return e.output("v-bad", "v-something-else", "body-bad") },
			wantErr: `status socket answers version "v-something-else"`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := newEnvWith(t, func(o *Options) { o.VerifyTimeout, o.RetireTimeout = failingVerifyTimeout, retireTimeout })
			good := e.config("a")
			e.apply(good)
			master := e.masterPid()
			stalled := e.workers(master, 2)[0]
			stall(t, stalled)

			res, err := e.m.Apply(context.Background(), tc.next(e))
			require.Eventually(t, func() bool { return !alive(stalled) }, 5*time.Second, 10*time.Millisecond,
				"the stalled worker is killed")
			require.Equal(t, 1, e.logs.count(killed))
			require.Equal(t, 1, e.logs.count(`pid="`+strconv.Itoa(stalled)+`"`), "archway says which worker it killed")
			require.Equal(t, master, e.masterPid())
			require.True(t, e.m.Ready())
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				require.Equal(t, good.Files[0].Data, e.diskConfig())
				e.requireServes("body-a")
				return
			}
			require.NoError(t, err)
			require.GreaterOrEqual(t, res.Duration, retireTimeout, "the stalled worker had RetireTimeout to stop accepting")
			e.requireServes("body-b")
			require.Equal(t, 1, e.logs.count("(SIGHUP) received"), "no reload back to the previous config")
			require.Zero(t, e.logs.count("previous config serving again"))

			// No stalled worker is left for the next reload to wait for.
			e.apply(e.config("c"))
			e.requireServes("body-c")
			require.Equal(t, 1, e.logs.count(killed))
		})
	}
}
