package controller

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/internal/source"
	"github.com/archway-ingress/archway/internal/testutil"
)

// renewalWorld is a cluster of TLS Ingresses whose Secrets a test changes
// at random: hosts with a Secret each, two hosts sharing one, a wildcard,
// a Secret named but missing, a basic-auth Secret and the default
// certificate's Secret.
type renewalWorld struct {
	t       *testing.T
	now     time.Time
	hosts   map[string][]string // TLS Secret -> the hosts its certificate names
	secrets map[string]*corev1.Secret
	// valid are the TLS Secrets whose certificate is valid for their
	// hosts for the rest of the test.
	valid map[string]bool
	ings  []*networkingv1.Ingress
	base  source.Snapshot
}

func newRenewalWorld(t *testing.T) *renewalWorld {
	w := &renewalWorld{t: t, now: time.Now(), secrets: map[string]*corev1.Secret{}, valid: map[string]bool{}, hosts: map[string][]string{
		"a-tls":       {"a.example.com"},
		"shared-tls":  {"b.example.com", "c.example.com"},
		"w-tls":       {"*.w.example.com"},
		"missing-tls": {"e.example.com"},
		"default-tls": {"default.example.com"},
	}}
	for name, hosts := range w.hosts {
		if name != "missing-tls" {
			w.renew(name, hosts, w.now.Add(24*time.Hour))
			w.valid[name] = true
		}
	}
	w.setAuth("alice")
	for _, i := range []struct{ name, host, secret string }{
		{"a", "a.example.com", "a-tls"}, {"b", "b.example.com", "shared-tls"}, {"c", "c.example.com", "shared-tls"},
		{"w", "*.w.example.com", "w-tls"}, {"e", "e.example.com", "missing-tls"}, {"d", "d.example.com", "a-tls"},
	} {
		w.ings = append(w.ings, tlsIngress(i.name, i.host, i.secret))
	}
	// d's certificate does not cover its host; d also has basic auth.
	w.ings[5].Annotations = map[string]string{
		"nginx.ingress.kubernetes.io/auth-type": "basic", "nginx.ingress.kubernetes.io/auth-secret": "auth"}
	w.base = source.Snapshot{IngressClasses: archwayClass(), Services: []*corev1.Service{service("web")},
		EndpointSlices: []*discoveryv1.EndpointSlice{endpointSlice("web", 8080)}}
	return w
}

// renew gives Secret name a new certificate and key for hosts.
func (w *renewalWorld) renew(name string, hosts []string, notAfter time.Time) {
	w.secrets[name] = testutil.NewCert(w.t, testutil.CertOptions{Hosts: hosts, NotAfter: notAfter}).Secret("default", name)
}

func (w *renewalWorld) setAuth(user string) {
	w.secrets["auth"] = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "auth"},
		Data: map[string][]byte{"auth": []byte(user + ":{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n")}}
}

// snapshot lists the objects, Secrets in a random order as informers do.
func (w *renewalWorld) snapshot(rng *rand.Rand) source.Snapshot {
	snap := w.base
	snap.Ingresses = w.ings
	for _, s := range w.secrets {
		snap.Secrets = append(snap.Secrets, s)
	}
	rng.Shuffle(len(snap.Secrets), func(i, j int) { snap.Secrets[i], snap.Secrets[j] = snap.Secrets[j], snap.Secrets[i] })
	return snap
}

// change makes one change at random and says whether it only renewed
// certificates in place or touched Secrets no Ingress names, which a
// sync takes without a Build.
func (w *renewalWorld) change(rng *rand.Rand) (renewal bool) {
	names := []string{"a-tls", "shared-tls", "w-tls", "missing-tls", "default-tls"}
	name := names[rng.IntN(len(names))]
	valid := w.valid[name]
	w.valid[name] = false
	switch rng.IntN(9) {
	case 0, 1, 2: // renewed in place, as cert-manager does
		w.renew(name, w.hosts[name], w.now.Add(24*time.Hour))
		w.valid[name] = true
		return valid && name != "default-tls"
	case 3: // other names: the first host is no longer among them
		w.renew(name, append(slices.Clone(w.hosts[name][1:]), "x.example.com"), w.now.Add(24*time.Hour))
	case 4: // a key of another certificate
		if _, exists := w.secrets[name]; exists {
			broken := w.secrets[name].DeepCopy()
			broken.Data["tls.key"] = testutil.NewCert(w.t, testutil.CertOptions{Hosts: w.hosts[name]}).KeyPEM
			w.secrets[name] = broken
		}
	case 5: // expires within the hour, then the clock moves past it
		w.renew(name, w.hosts[name], w.now.Add(time.Hour))
	case 6:
		delete(w.secrets, name)
	case 7:
		w.valid[name] = valid
		w.now = w.now.Add(90 * time.Minute)
	default:
		w.valid[name] = valid
		switch rng.IntN(3) {
		case 0:
			w.setAuth(fmt.Sprintf("user%d", rng.IntN(3)))
		case 1:
			i := rng.IntN(len(w.ings))
			w.ings = slices.Clone(w.ings)
			w.ings[i] = w.ings[i].DeepCopy() // the same Ingress, a new object
		default:
			unread := fmt.Sprintf("unread-%d", rng.IntN(3))
			w.secrets[unread] = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: unread},
				Data: map[string][]byte{"x": []byte(time.Now().String())}}
			return true
		}
	}
	return false
}

// TestRenewalEqualsBuild changes Secrets, Ingresses and the clock at
// random and compares, after each change, the config a sync makes without
// a Build (renewal) with the one Build and Render make: model, report and
// Output must be equal. Certificates renewed in place must take the
// renewal, unless an earlier change broke what they renew.
func TestRenewalEqualsBuild(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 15))
			w := newRenewalWorld(t)
			src := &memorySource{Notifier: source.NewNotifier(), snap: w.snapshot(rng)}
			c := benchController(t, src, &diffingApplier{})
			c.opts.Build.DefaultCertificate = "default/default-tls"
			c.opts.Build.LoopbackEndpoints = true
			c.opts.Now = func() time.Time { return w.now }
			require.NoError(t, c.sync(t.Context()))
			renewals := syncWithoutBuild(t, c, src, 40, func() (source.Snapshot, bool) {
				renewal := w.change(rng) && len(c.culprits) == 0
				return w.snapshot(rng), renewal
			})
			require.NotZero(t, renewals)
		})
	}
}

// syncWithoutBuild makes rounds changes, each giving the next Snapshot and
// whether a sync must take it without a Build, and syncs c to each. It
// compares the candidate of each that withoutBuild makes with the one
// Build and Render make: model, report and Output must be equal. It
// returns how many were made without a Build.
func syncWithoutBuild(t *testing.T, c *Controller, src *memorySource, rounds int, change func() (source.Snapshot, bool)) int {
	t.Helper()
	fast := 0
	for range rounds {
		snap, expectFast := change()
		opts := c.opts.Build
		opts.Now = c.opts.Now()
		got, ok := c.withoutBuild(snap, opts)
		full := c.candidate(snap, opts)
		if ok {
			fast++
			require.NoError(t, full.renderErr)
			require.Equal(t, full.cfg, got.cfg)
			require.Equal(t, full.report, got.report)
			require.Equal(t, full.out, got.out)
		}
		if expectFast {
			require.True(t, ok, "a change the sync can take without a Build took a Build")
		}
		src.mu.Lock()
		src.snap = snap
		src.mu.Unlock()
		require.NoError(t, c.sync(t.Context()))
	}
	return fast
}
