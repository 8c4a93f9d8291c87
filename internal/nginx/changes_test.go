package nginx

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/render"
	"github.com/archway-ingress/archway/internal/testutil"
)

// manyBackends renders n backends "b-0".. "b-<n-1>", each serving
// /b-<i>/, all on endpoint ep except those in moved, which use other.
func (e *env) manyBackends(n int, ep, other model.Endpoint, moved ...int) render.Output {
	e.t.Helper()
	r, err := render.New("")
	require.NoError(e.t, err)
	var cfg model.Config
	server := model.Server{}
	for i := range n {
		be := model.Backend{Name: fmt.Sprintf("b-%d", i), Endpoints: []model.Endpoint{ep}}
		for _, m := range moved {
			if m == i {
				be.Endpoints = []model.Endpoint{other}
			}
		}
		cfg.Backends = append(cfg.Backends, be)
		server.Locations = append(server.Locations, model.Location{Path: "/" + be.Name, Match: model.MatchPrefix, Backend: be.Name})
	}
	cfg.Servers = []model.Server{server}
	opts := render.Options{HTTPPort: e.port, RuntimeDir: e.dir}
	opts.User, opts.Group = WorkerUser()
	out, err := r.Render(cfg, opts)
	require.NoError(e.t, err)
	return out
}

// TestEndpointChangeSendsOnlyTheChange: nginx is sent the backends that
// changed, not all of them, and reloads merge in only what is new.
func TestEndpointChangeSendsOnlyTheChange(t *testing.T) {
	e := newEnv(t, 0)
	a, b := echo(t, "a"), echo(t, "b")
	e.apply(e.manyBackends(300, a, b))
	require.Equal(t, 1, e.logs.count(`endpoints pushed merge="false" nginx="300 members, 300 entries changed"`))

	res := e.apply(e.manyBackends(300, a, b, 7))
	require.False(t, res.Changed)
	require.True(t, res.EndpointsPushed)
	require.Equal(t, 1, e.logs.count(`endpoints pushed merge="true" nginx="1 members, 1 entries changed"`))
	code, body := e.getPath("/b-7/")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "b", body)
	code, body = e.getPath("/b-8/")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "a", body)

	// Two backends fewer and one moved: a reload. Before it, only the
	// moved one is merged in; after it, which kept nginx's shared memory,
	// only the two are dropped.
	res = e.apply(e.manyBackends(298, a, b, 7, 9))
	require.True(t, res.Changed)
	require.Equal(t, 2, e.logs.count(`endpoints pushed merge="true" nginx="1 members, 1 entries changed"`))
	require.Equal(t, 1, e.logs.count(`endpoints pushed merge="true" nginx="2 members, 2 entries changed"`))
	require.Equal(t, 1, e.logs.count(`endpoints pushed merge="false"`), "only the start pushes the whole set")
	code, body = e.getPath("/b-9/")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "b", body)
	code, _ = e.getPath("/b-299/")
	require.Equal(t, http.StatusNotFound, code)
}

// TestVerifyWaitsAsLongAsNginxReads: nginx takes as long to start on a
// config as `nginx -t` took to read it (seconds at 10,000 servers), so a
// config that takes longer than VerifyTimeout to read still goes live.
func TestVerifyWaitsAsLongAsNginxReads(t *testing.T) {
	real := testutil.NginxBinary(t)
	slow := filepath.Join(t.TempDir(), "slow-nginx")
	require.NoError(t, os.WriteFile(slow, []byte("#!/bin/sh\nsleep 1\nexec "+real+" \"$@\"\n"), 0o755))
	t.Setenv("ARCHWAY_NGINX", slow)
	e := newEnv(t, 300*time.Millisecond)
	res := e.apply(e.config("a"))
	require.True(t, res.Changed)
	require.Greater(t, res.Duration, 2*time.Second, "nginx -t and the start each took a second")
	e.requireServes("body-a")
}
