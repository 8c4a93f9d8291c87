package builder

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/source"
)

// TestAnnotationCacheEqualsBuild makes random changes, as informers show
// them (a changed object is a new one), to Ingresses and their
// annotations (valid, invalid, unsupported, refused, snippets, values that
// conflict with the ConfigMap's defaults), the ConfigMap's defaults and
// snippet setting, the annotations prefix, and the Secrets and Services
// that annotations name. Every Build through one AnnotationCache must
// equal a Build without it, model and report, and must leave the model of
// the Build before it as it was: Builds share what the cache holds.
func TestAnnotationCacheEqualsBuild(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 15))
			w := newAnnotationWorld(t)
			cache := NewAnnotationCache()
			var last struct {
				snap   source.Snapshot
				opts   Options
				cfg    model.Config
				report Report
			}
			for step := range 80 {
				w.change(rng)
				snap, opts := w.snapshot(), w.opts
				cached := opts
				cached.Annotations = cache
				cfg, report := Build(snap, cached)
				wantCfg, wantReport := Build(snap, opts)
				require.Equal(t, wantCfg, cfg, "step %d", step)
				require.Equal(t, wantReport, report, "step %d", step)
				if step > 0 {
					oldCfg, oldReport := Build(last.snap, last.opts)
					require.Equal(t, oldCfg, last.cfg, "step %d changed the model of the step before", step)
					require.Equal(t, oldReport, last.report, "step %d changed the report of the step before", step)
				}
				last.snap, last.opts, last.cfg, last.report = snap, opts, cfg, report
			}
			require.NotEmpty(t, cache.gen.prev, "the cache holds nothing")
		})
	}
}

// annotationWorld is a namespace whose Ingresses take their annotations
// from a pool.
type annotationWorld struct {
	t         *testing.T
	base      source.Snapshot
	opts      Options
	ingresses []*networkingv1.Ingress
	configMap *corev1.ConfigMap
	htpasswd  *corev1.Secret
	next      int
}

func newAnnotationWorld(t *testing.T) *annotationWorld {
	w := &annotationWorld{t: t, base: tenantSnapshot(t), opts: defaultOpts()}
	w.htpasswd = caSecret("htpasswd", map[string][]byte{"auth": []byte("bob:{PLAIN}bob")})
	for range 12 {
		w.ingresses = append(w.ingresses, w.ingress())
	}
	return w
}

// annotationPool are the annotations the Ingresses pick from, by name.
var annotationPool = [][2]string{
	{"proxy-body-size", "8m"}, {"proxy-body-size", "huge"}, {"proxy-read-timeout", "120"}, {"limit-rps", "10"},
	{"configuration-snippet", `more_set_headers "X: y";`}, {"configuration-snippet", "lua_block {}"},
	{"server-snippet", `add_header X-S "s";`}, {"mirror-target", "https://m.example.com"},
	{"use-regex", "true"}, {"rewrite-target", "/$1"}, {"auth-type", "basic"}, {"auth-secret", "htpasswd"},
	{"auth-secret", "nope"}, {"default-backend", "app"}, {"default-backend", "gone"}, {"ssl-redirect", "false"},
	{"enable-cors", "true"}, {"load-balance", "ewma"}, {"service-upstream", "true"},
	{"whitelist-source-range", "10.0.0.0/8"}, {"whitelist-source-range", "bad"}, {"proxy-buffer-size", "8k"},
	{"proxy-busy-buffers-size", "64k"}, {"canary", "true"}, {"canary-weight", "10"},
}

// annotationPrefixes are the ones Ingresses write their annotations under: the
// default, another that Options may name, and archway's own.
var annotationPrefixes = []string{annotations.DefaultPrefix, "example.com/ingress", annotations.OwnPrefix}

func (w *annotationWorld) ingress() *networkingv1.Ingress {
	w.next++
	ing := pathIngress(fmt.Sprint("ing-", w.next), w.next, fmt.Sprintf("h%d.example.com", w.next%4), fmt.Sprint("/p", w.next%5), nil)
	ing.Annotations = w.annotations(rand.New(rand.NewPCG(uint64(w.next), 1)))
	return ing
}

func (w *annotationWorld) annotations(rng *rand.Rand) map[string]string {
	a := map[string]string{"kubectl.kubernetes.io/last-applied-configuration": "{}"}
	for range rng.IntN(5) {
		kv := annotationPool[rng.IntN(len(annotationPool))]
		a[annotationPrefixes[rng.IntN(2)]+"/"+kv[0]] = kv[1]
	}
	if rng.IntN(6) == 0 {
		a[annotations.OwnPrefix+"/modsecurity-paranoia-level"] = fmt.Sprint(rng.IntN(6))
	}
	return a
}

// change makes one random change, as an informer shows it: a changed
// object is a new object.
func (w *annotationWorld) change(rng *rand.Rand) {
	i := rng.IntN(len(w.ingresses))
	switch rng.IntN(9) {
	case 0:
		w.ingresses = append(w.ingresses, w.ingress())
	case 1:
		if len(w.ingresses) > 1 {
			w.ingresses = append(w.ingresses[:i:i], w.ingresses[i+1:]...)
		}
	case 2, 3: // new annotations
		ing := w.ingresses[i].DeepCopy()
		ing.Annotations = w.annotations(rng)
		w.ingresses[i] = ing
	case 4: // the same annotations, another path
		ing := w.ingresses[i].DeepCopy()
		ing.Spec.Rules[0].HTTP.Paths[0].Path = fmt.Sprint("/q", rng.IntN(5))
		w.ingresses[i] = ing
	case 5:
		data := map[string]string{}
		if rng.IntN(2) == 0 {
			data[SafeSnippetsKey] = "true"
		}
		if v := []string{"", "2m", "bad", "16k"}[rng.IntN(4)]; v != "" {
			data[[]string{"proxy-body-size", "proxy-busy-buffers-size"}[rng.IntN(2)]] = v
		}
		w.configMap = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "archway", Name: "archway"}, Data: data}
	case 6:
		w.opts.AnnotationsPrefix = annotationPrefixes[rng.IntN(2)]
	case 7:
		w.htpasswd = caSecret("htpasswd", map[string][]byte{"auth": []byte(fmt.Sprintf("bob:{PLAIN}bob%d", rng.IntN(3)))})
		if rng.IntN(3) == 0 {
			w.htpasswd.Data = nil
		}
	case 8: // the same annotations in a new map
		ing := w.ingresses[i].DeepCopy()
		w.ingresses[i] = ing
	}
}

func (w *annotationWorld) snapshot() source.Snapshot {
	snap := w.base
	snap.Ingresses = append([]*networkingv1.Ingress(nil), w.ingresses...)
	snap.Secrets = append(snap.Secrets[:len(snap.Secrets):len(snap.Secrets)], w.htpasswd)
	snap.ConfigMap = w.configMap
	return snap
}

// TestAnnotationCacheConcurrentInputs builds, at the same time through
// one cache, Snapshots whose ConfigMaps set other defaults: each Build
// keeps to the entries of its own defaults.
func TestAnnotationCacheConcurrentInputs(t *testing.T) {
	w := newAnnotationWorld(t)
	cache := NewAnnotationCache()
	var snaps [2]source.Snapshot
	for i, size := range []string{"2m", "16k"} {
		w.configMap = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "archway", Name: "archway"},
			Data: map[string]string{"proxy-body-size": size}}
		snaps[i] = w.snapshot()
	}
	done := make(chan error, len(snaps))
	for _, snap := range snaps {
		wantCfg, wantReport := Build(snap, w.opts)
		go func() {
			opts := w.opts
			opts.Annotations = cache
			for range 20 {
				cfg, report := Build(snap, opts)
				if !reflect.DeepEqual(cfg, wantCfg) || !reflect.DeepEqual(report, wantReport) {
					done <- fmt.Errorf("a Build through the cache differs from one without, ConfigMap %v", snap.ConfigMap.Data)
					return
				}
			}
			done <- nil
		}()
	}
	for range snaps {
		require.NoError(t, <-done)
	}
}
