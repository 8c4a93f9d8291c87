package nginx

import (
	"context"
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/render"
)

func TestErrorLogLevelShows(t *testing.T) {
	line := func(level string) string { return "2026/01/02 15:04:05 [" + level + "] 7#7: something" }
	untagged := []string{
		"nginx: configuration file test failed",
		"oops",
		"2026/01/02 15:04:05 7#7: no tag",
		"2026/01/02 15:04:05 [lua] 7#7: not a level",
	}
	for least, level := range render.ErrorLogLevels {
		t.Run(level, func(t *testing.T) {
			var l errorLogLevel
			l.use(level)
			for i, other := range render.ErrorLogLevels {
				require.Equal(t, i >= least, l.shows(line(other)), "%s at %s", other, level)
			}
			require.True(t, l.shows("nginx: [emerg] bind() failed"), "nginx's own words before its log is open")
			require.Equal(t, level == "debug", l.shows("nginx: [debug] early"))
			for _, text := range untagged {
				require.True(t, l.shows(text), "%q", text)
			}
			require.Equal(t, least <= 1, l.shows("2026/01/02 15:04:05 [info] 7#7: client sent [emerg] in URI"),
				"the tag is the first bracket")
		})
	}
	var unset errorLogLevel
	require.True(t, unset.shows(line("debug")), "a hand-made config without a level shows every line")
}

// TestReloadOutcomesAtWarn: at error-log-level warn, nginx.conf still logs
// the master's notices, which tell archway each reload's outcome, and
// archway passes none of them on. A reload the master refuses (a port
// taken, which nginx -t does not find) ends at once as refused, with no
// reload back to the previous config; one it takes is known to be taken,
// so an old worker slow to retire gets RetireTimeout and is then killed.
func TestReloadOutcomesAtWarn(t *testing.T) {
	const killed = "killed an nginx worker of the previous config"
	e := newEnvWith(t, func(o *Options) { o.VerifyTimeout, o.RetireTimeout = failingVerifyTimeout, 2*failingVerifyTimeout })
	web := echo(t, "web")
	atWarn := func(port, keepAliveRequests int) render.Output {
		cfg := model.Config{DefaultBackend: "web", Backends: []model.Backend{{Name: "web", Endpoints: []model.Endpoint{web}}}}
		cfg.Settings.HTTP = model.HTTPSettings{ErrorLogLevel: "warn", WorkerProcesses: 2, KeepAliveRequests: keepAliveRequests}
		return e.render(cfg, port)
	}
	e.apply(atWarn(e.port, 1000))
	master := e.masterPid()
	workers := e.workers(master, 2)

	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	_, err = e.m.Apply(context.Background(), atWarn(taken.Addr().(*net.TCPAddr).Port, 1000))
	require.ErrorIs(t, err, errReloadRefused, "the master's refusal, not a verify that ran out")
	require.ErrorIs(t, err, ErrRejected)
	require.ErrorContains(t, err, "Address already in use")
	now, err := activeWorkers(master)
	require.NoError(t, err)
	require.ElementsMatch(t, workers, now, "no reload back to the previous config")
	require.Positive(t, e.logs.count("[emerg]"), "the master's complaint is logged")
	status, body := e.getPath("/")
	require.Equal(t, 200, status)
	require.Equal(t, "web", body)

	stalled := workers[0]
	stall(t, stalled)
	e.apply(atWarn(e.port, 1001))
	require.False(t, alive(stalled) && isActiveWorker(master, stalled), "the stalled worker was killed")
	require.Equal(t, 1, e.logs.count(killed))
	require.Equal(t, 1, e.logs.count("previous config serving again"), "only after the refused reload")
	e.requireServes("web")

	require.Empty(t, e.logs.matching("[notice]"), "nginx's notices are not passed on at warn")
}
