package render

import (
	"os/exec"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/model"
)

// TestBusyBuffersAsNginx: build takes a proxy-busy-buffers-size exactly
// when nginx takes it with the proxy buffers the Ingress sets. Each
// value is rendered (bypassing build for the refused ones) and checked
// with nginx -t.
func TestBusyBuffersAsNginx(t *testing.T) {
	r, err := New("")
	require.NoError(t, err)
	const k = 1 << 10
	for _, c := range []struct {
		buffers map[string]string // proxy-buffer-size and -number
		busy    model.Size
	}{
		{nil, 4 * k}, {nil, 12 * k}, {nil, 4*k - 1}, {nil, 12*k + 1},
		{map[string]string{"proxy-buffer-size": "128k", "proxy-buffers-number": "4"}, 256 * k},
		{map[string]string{"proxy-buffer-size": "128k", "proxy-buffers-number": "4"}, 384 * k},
		{map[string]string{"proxy-buffer-size": "128k", "proxy-buffers-number": "4"}, 385 * k},
		{map[string]string{"proxy-buffer-size": "128k", "proxy-buffers-number": "4"}, 64 * k},
		{map[string]string{"proxy-buffer-size": "16k", "proxy-buffers-number": "2"}, 16 * k},
		{map[string]string{"proxy-buffer-size": "16k", "proxy-buffers-number": "2"}, 24 * k},
	} {
		values := map[string]string{annotations.DefaultPrefix + "/proxy-busy-buffers-size": strconv.Itoa(int(c.busy))}
		for key, v := range c.buffers {
			values[annotations.DefaultPrefix+"/"+key] = v
		}
		parsed, problems := annotations.Parse(values, annotations.DefaultPrefix)
		buildAccepts := len(problems) == 0
		policy := parsed.Location.Policy()
		if !buildAccepts {
			require.Len(t, problems, 1, "%+v", c)
			require.Contains(t, problems[0].Message, "all proxy buffers but one", "%+v", c)
			policy = annotated(t, c.buffers)
			policy.Proxy.BusyBuffersSize = &c.busy
		}
		dir := t.TempDir()
		out, err := r.Render(model.Config{Backends: []model.Backend{backend("web", 80, "10.0.3.1")},
			Servers: []model.Server{{Host: "a.example.com", Locations: []model.Location{with(prefix("/", "web"), "web", policy)}}}},
			rootOptions(dir))
		require.NoError(t, err)
		path := writeFiles(t, dir, out.Files)
		check, err := exec.Command(nginxBinary(t), "-t", "-p", dir, "-c", path, "-e", "stderr").CombinedOutput()
		require.Equal(t, buildAccepts, err == nil, "%+v: build accepts %v; nginx -t: %s", c, buildAccepts, check)
	}
}
