package render

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/builder"
)

// grammarEdges are values at the edges of the grammars the annotations
// and the ConfigMap share (package grammar), and of the rules they used
// to disagree on: any of them may land in any annotation or ConfigMap
// key, where most are refused and some accepted.
var grammarEdges = []string{
	"0", "1", "2", "100", "1000000", "65535", "65536", "01", "true", "FALSE", "t", "on", "off", "yes",
	"512", "8k", "16M", "1g", "1024g", "1025g", "1ms", "0s", "60", "5m", "24h", "1d", "7d", "8d",
	"10.0.0.0/8", "10.1.2.3/8, 192.168.1.7", "::ffff:10.0.0.1", "::ffff:10.0.0.0/104", "fd00::1/8", "0.0.0.0/0, ::/0", "",
	"X-Canary", "x_user_group", "1X", strings.Repeat("H", 128), strings.Repeat("H", 129), "*, X-Custom",
	"GET, post", "beta", "always", "cookie", "ewma", "$request_uri", "^(alpha|beta)$", "CN=(a|b)$",
	"/", "/app", "/$1", "/api/$2?x=1", "https://b.example.com$request_uri", "http://10.0.0.1:8080/auth",
	"https://*.example.com, http://b.example.com:8080", "https://" + longWildcard, "b.example.com, c.example.com", maxHost,
	"site-tls", "web/site-tls", "error timeout", "HTTP", "GRPCS", "1.0", "200 202 10m, 401 5m",
	"TLSv1.2 TLSv1.3", "HIGH:!aNULL:!MD5", "X-Real-IP", "31536000", "240s",
}

// maxHost is a DNS name of 253 bytes, the most the grammar allows;
// longWildcard is "*." and a 252-byte name: 254 bytes, one too many.
// The build used to count a wildcard without its "*." and render with
// it, so such a host passed the build and then failed the whole render.
var (
	maxHost      = strings.Repeat(strings.Repeat("a", 62)+".", 4)[:249] + ".com"
	longWildcard = "*." + strings.Repeat(strings.Repeat("b", 62)+".", 4)[:248] + ".com"
)

// mutate returns v with one random edit at the edge of a grammar: a byte
// added, removed or doubled.
func mutate(rng *rand.Rand, v string) string {
	extra := "0-_:./*,$ \"k9aZ"
	i := rng.IntN(len(v) + 1)
	switch rng.IntN(3) {
	case 0:
		return v[:i] + string(extra[rng.IntN(len(extra))]) + v[i:]
	case 1:
		if i < len(v) {
			return v[:i] + v[i+1:]
		}
	}
	return v + v[i:]
}

// pick returns an edge value, a key's own default, or a mutation of
// either.
func pick(rng *rand.Rand, def string) string {
	v := grammarEdges[rng.IntN(len(grammarEdges))]
	if def != "" && rng.IntN(3) == 0 {
		v = def
	}
	if rng.IntN(4) == 0 {
		v = mutate(rng, v)
	}
	return v
}

// TestRenderAcceptsWhatBuildAccepts is the property that one bad value
// can never stop a sync: random Ingresses (several annotations each, at
// the edges of their grammars, on hosts at the edge of the DNS grammar)
// with a random controller ConfigMap go through build, and render must
// accept every model the build makes; a sample also passes nginx -t.
// The seed is fixed so that a failure reproduces; the message names the
// input.
func TestRenderAcceptsWhatBuildAccepts(t *testing.T) {
	const iterations, nginxTestEvery = 500, 50
	rng := rand.New(rand.NewPCG(16, 2))
	specs := annotations.Specs()
	settingKeys := builder.SettingKeys()
	hosts := []string{"a.example.com", "*.example.com", maxHost, longWildcard, "*." + maxHost[4:]}
	b := newBuildRender(t)
	accepted, total := 0, 0 // annotation and ConfigMap values
	for i := range iterations {
		in := baseInput()
		in.host = hosts[rng.IntN(len(hosts))]
		in.tlsHost = in.host
		values := map[string]string{}
		for range 1 + rng.IntN(6) {
			s := specs[rng.IntN(len(specs))]
			values[s.Key] = pick(rng, s.Default)
		}
		// The first key gets its companions (a canary's main Ingress,
		// auth-tls-secret) from snapshot.
		keys := slices.Sorted(maps.Keys(values))
		in.annotation, in.value = keys[0], values[keys[0]]
		snap := in.snapshot(b.cert)
		for _, k := range keys[1:] {
			snap.Ingresses[0].Annotations[annotations.DefaultPrefix+"/"+k] = values[k]
		}
		data := map[string]string{}
		for _, k := range settingKeys {
			if rng.IntN(3) == 0 {
				data[k] = pick(rng, "")
			}
		}
		snap.ConfigMap = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ingress", Name: "archway"}, Data: data}
		input := fmt.Sprintf("iteration %d: host %q, annotations %q, ConfigMap %q", i, in.host, values, data)

		cfg, report := builder.Build(snap, b.opts)
		refused := map[string]bool{}
		for _, p := range report.Problems {
			refused[strings.TrimPrefix(p.Key, annotations.DefaultPrefix+"/")] = true
		}
		for _, keys := range []map[string]string{values, data} {
			for k := range keys {
				total++
				if !refused[k] {
					accepted++
				}
			}
		}
		dir := goldenRuntimeDir
		if i%nginxTestEvery == 0 {
			dir = t.TempDir()
		}
		out, err := b.renderer.Render(cfg, rootOptions(dir))
		require.NoError(t, err, "%s: render refused a model the build made", input)
		if dir != goldenRuntimeDir {
			nginxCheck(t, dir, out.Files)
		}
	}
	// The property means little if the build refused nearly everything.
	t.Logf("the build accepted %d of %d values", accepted, total)
	require.Greater(t, accepted, total/10, "the generator must reach values the build accepts")
}
