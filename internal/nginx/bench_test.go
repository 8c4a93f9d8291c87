package nginx

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/render"
	"github.com/archway-ingress/archway/internal/testutil"
)

// BenchmarkApplyOneIngressMore measures the Apply of a config with one
// Ingress more (or less) than the live one, at 1,000 Ingresses: the
// reload, verified, with the endpoints pushed, on a real nginx.
func BenchmarkApplyOneIngressMore(b *testing.B) {
	const n = 1_000
	e := newEnv(b, 0)
	r, err := render.New("")
	require.NoError(b, err)
	opts := render.Options{HTTPPort: e.port, HTTPSPort: freePort(b), RuntimeDir: e.dir}
	opts.User, opts.Group = WorkerUser()
	var outs [2]render.Output
	for i := range outs {
		cfg, _ := builder.Build(testutil.ScaleSnapshot(n+i), builder.Options{
			IngressClass: testutil.ScaleIngressClass, ControllerClass: testutil.ScaleControllerClass,
		})
		outs[i], err = r.Render(cfg, opts)
		require.NoError(b, err)
	}
	e.apply(outs[0])
	b.Run(fmt.Sprintf("ingresses=%d", n), func(b *testing.B) {
		i := 1
		for b.Loop() {
			e.apply(outs[i])
			i = 1 - i
		}
	})
}
