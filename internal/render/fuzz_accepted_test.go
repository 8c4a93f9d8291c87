package render

import (
	"hash/fnv"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/builder"
)

// acceptedSeeds are values that build accepts for the inputs nginx and
// its Lua side read with engines of their own (PCRE, OpenSSL, the
// balancer's parser): the fuzzer starts from them and mutates.
var acceptedSeeds = []struct {
	path       string
	regex      bool
	annotation string
	value      string
}{
	{path: "/api/v[0-9]+/users", regex: true},
	{path: "/(x|y)+/[a-z]{2,8}", regex: true},
	{path: "/a(b|c)*d$", regex: true},
	{path: "/app", annotation: "canary-by-header-pattern", value: "^(alpha|beta)$"},
	{path: "/app", annotation: "canary-by-header-value", value: "always"},
	{path: "/app", annotation: "canary-by-cookie", value: "canary"},
	{path: "/app", annotation: "canary-weight", value: "30"},
	{path: "/app", annotation: "upstream-hash-by", value: "$request_uri"},
	{path: "/app", annotation: "affinity", value: "cookie"},
	{path: "/app", annotation: "server-alias", value: "b.example.com"},
	{path: "/app", annotation: "cors-allow-origin", value: "https://b.example.com"},
	{path: "/app", annotation: "auth-tls-match-cn", value: "CN=(client1|client2)$"},
	{path: "/(.*)", regex: true, annotation: "rewrite-target", value: "/$1"},
	{path: "/app", annotation: "permanent-redirect", value: "https://b.example.com$request_uri"},
}

// nginxTestEvery is how often an accepted input also gets `nginx -t`:
// each takes about 40 ms, ten inputs' worth of build, render and the Lua
// side's check, so testing every one would leave a fraction of the inputs
// in make test's ten seconds. Which inputs is a hash of the input, so that
// a finding reproduces.
const nginxTestEvery = 16

// FuzzNginxAcceptsBuilt fuzzes an Ingress's host, path, regex flag and one
// annotation (any of the spec table, with its companions) through build,
// and checks that whatever build accepts whole, nginx takes too: nginx's
// Lua side the endpoints payload (asked with a dry-run push to a running
// nginx, every input) and `nginx -t` the rendered config (every
// nginxTestEvery-th input). FuzzBuildRender covers what build refuses.
func FuzzNginxAcceptsBuilt(f *testing.F) {
	specs := annotations.Specs()
	keyOf := func(annotation string) uint8 {
		for i, s := range specs {
			if s.Key == annotation {
				return uint8(i + 1)
			}
		}
		return 0
	}
	base := baseInput()
	for _, s := range acceptedSeeds {
		f.Add(base.host, s.path, uint8(2), s.regex, keyOf(s.annotation), s.value)
	}
	for _, s := range specs {
		if s.Default != "" {
			f.Add(base.host, base.path, base.pathType, false, keyOf(s.Key), s.Default)
		}
	}
	b := newBuildRender(f)
	lua := f.TempDir()
	// Each fuzz process starts one (the coordinator too): on ports of its
	// own.
	luaOpts := rootOptions(lua)
	luaOpts.HTTPPort, luaOpts.HTTPSPort = freePort(f), freePort(f)
	startNginx(f, lua, b.renderFor(f, baseInput(), luaOpts))
	f.Fuzz(func(t *testing.T, host, path string, pathType uint8, regex bool, key uint8, value string) {
		in := baseInput()
		in.host, in.tlsHost, in.path, in.pathType, in.regex, in.value = host, host, path, pathType, regex, value
		if k := int(key) % (len(specs) + 1); k > 0 {
			in.annotation = specs[k-1].Key
		}
		cfg, report := builder.Build(in.snapshot(b.cert), b.opts)
		if len(report.Problems) > 0 {
			return // refused: FuzzBuildRender's part
		}
		out, err := b.renderer.Render(cfg, rootOptions(goldenRuntimeDir))
		require.NoError(t, err, "input %s: a built model must always render", in)
		code, answer, err := pushStatus(lua, "?check=1", out.Endpoints.Payload())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, code, "input %s: build accepted it, nginx's Lua side refuses its endpoints: %s", in, answer)
		h := fnv.New32a()
		h.Write([]byte(in.String()))
		if h.Sum32()%nginxTestEvery == 0 {
			dir := t.TempDir()
			t.Logf("nginx -t on input %s", in)
			nginxCheck(t, dir, b.renderFor(t, in, rootOptions(dir)).Files)
		}
	})
}

// renderFor builds and renders in with opts.
func (b *buildRender) renderFor(t testing.TB, in ingressInput, opts Options) Output {
	t.Helper()
	cfg, _ := builder.Build(in.snapshot(b.cert), b.opts)
	out, err := b.renderer.Render(cfg, opts)
	require.NoError(t, err, "input %s", in)
	return out
}
