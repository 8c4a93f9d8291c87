package builder

import (
	"cmp"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/source"
)

// TestSharedPoliciesEqualCopies builds random Snapshots twice: as Build
// does, locations sharing policies, and with every location given a deep
// copy of the policy it would share (build.ownPolicies). A processor that
// wrote through a shared policy, or through what it points to, would
// change the locations that share it in the first Build only. The
// Snapshots exercise every processor that changes policies: Ingresses of
// several hosts and paths with TLS sections, ssl-redirect and
// force-ssl-redirect, ModSecurity, global auth with no-auth-locations,
// upstream-vhost, aliases, client certificates, canaries and default
// backends; HTTPRoutes with filters on several hosts; and the annotations
// of TestAnnotationCacheEqualsBuild, through an AnnotationCache.
func TestSharedPoliciesEqualCopies(t *testing.T) {
	gateway := load(t, "gateway.yaml", "gateway-filters.yaml")
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 16))
			w := newAnnotationWorld(t)
			opts := w.opts
			opts.GatewayController, opts.Annotations = gatewayOpts().GatewayController, NewAnnotationCache()
			for step := range 60 {
				w.change(rng)
				snap := policyWorld(w, gateway, rng)
				opts.AnnotationsPrefix = w.opts.AnnotationsPrefix
				want, wantReport := run(snap, opts, append([]func(*build){ownPolicies}, processors...))
				cfg, report := Build(snap, opts)
				require.Equal(t, want, cfg, "step %d", step)
				require.Equal(t, wantReport, report, "step %d", step)
			}
		})
	}
}

// ownPolicies gives every location a deep copy of the policy it would
// share.
func ownPolicies(b *build) {
	b.ownPolicies = func(p *model.Policy) *model.Policy {
		return deepCopyValue(reflect.ValueOf(p)).Interface().(*model.Policy)
	}
}

// deepCopyValue copies v and everything it points to.
func deepCopyValue(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		c := reflect.New(v.Type().Elem())
		c.Elem().Set(deepCopyValue(v.Elem()))
		return c
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			c.Index(i).Set(deepCopyValue(v.Index(i)))
		}
		return c
	case reflect.Struct:
		c := reflect.New(v.Type()).Elem()
		c.Set(v)
		for i := range v.NumField() {
			if f := c.Field(i); f.CanSet() {
				f.Set(deepCopyValue(v.Field(i)))
			}
		}
		return c
	case reflect.Map, reflect.Interface, reflect.Func, reflect.Chan:
		panic("no deep copy of " + v.Type().String())
	}
	return v
}

// policyPool are the annotations that processors after addIngresses turn
// into changes of the routes' policies.
var policyPool = [][2]string{
	{"upstream-vhost", "$service_name.$namespace.svc"}, {"upstream-vhost", "static.example.com"},
	{"server-alias", "alias.example.com"}, {"from-to-www-redirect", "true"}, {"force-ssl-redirect", "true"},
	{"ssl-redirect", "false"}, {"preserve-trailing-slash", "true"}, {"enable-global-auth", "false"},
	{"auth-url", "https://$host/auth"}, {"auth-tls-secret", "web/ca"}, {"enable-modsecurity", "true"},
	{"enable-modsecurity", "false"}, {"enable-opentelemetry", "true"}, {"canary-by-header", "x-canary"},
	{"limit-rps", "5"},
}

// policyWorld returns w's Snapshot with the Gateway API objects of gateway,
// a ConfigMap with global auth, and every Ingress given more hosts,
// paths, a TLS section, a default backend, another namespace and more
// annotations, at random.
func policyWorld(w *annotationWorld, gateway source.Snapshot, rng *rand.Rand) source.Snapshot {
	snap := w.snapshot()
	snap.GatewayClasses, snap.Gateways, snap.HTTPRoutes = gateway.GatewayClasses, gateway.Gateways, gateway.HTTPRoutes
	snap.ReferenceGrants = gateway.ReferenceGrants
	snap.Services = append(slices.Clip(snap.Services), gateway.Services...)
	snap.EndpointSlices = append(slices.Clip(snap.EndpointSlices), gateway.EndpointSlices...)
	data := map[string]string{"global-auth-url": "http://auth.example.com/check", "no-auth-locations": "/p1,/q2"}
	if snap.ConfigMap != nil {
		maps.Copy(data, snap.ConfigMap.Data)
	}
	if rng.IntN(2) == 0 {
		data["enable-modsecurity"] = "true"
	}
	snap.ConfigMap = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "archway", Name: "archway"}, Data: data}
	prefix := cmp.Or(w.opts.AnnotationsPrefix, annotations.DefaultPrefix)
	prefixType := networkingv1.PathTypePrefix
	for i, ing := range snap.Ingresses {
		ing = ing.DeepCopy()
		backend := ing.Spec.Rules[0].HTTP.Paths[0].Backend
		for range rng.IntN(3) {
			host := []string{"", sharedHost, "h1.example.com", "www.h2.example.com"}[rng.IntN(4)]
			var paths []networkingv1.HTTPIngressPath
			for k := range 1 + rng.IntN(3) {
				paths = append(paths, networkingv1.HTTPIngressPath{Path: fmt.Sprint("/p", k+rng.IntN(3)), PathType: &prefixType, Backend: backend})
			}
			ing.Spec.Rules = append(ing.Spec.Rules, networkingv1.IngressRule{Host: host,
				IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: paths}}})
		}
		if rng.IntN(2) == 0 {
			var hosts []string
			for _, r := range ing.Spec.Rules {
				if r.Host != "" && rng.IntN(3) > 0 {
					hosts = append(hosts, r.Host)
				}
			}
			ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: hosts, SecretName: "tls"}}
		}
		if rng.IntN(6) == 0 {
			ing = withDefaultBackend(ing)
		}
		if rng.IntN(5) == 0 {
			ing = inNamespace(intruder, ing)
		}
		for range rng.IntN(4) {
			kv := policyPool[rng.IntN(len(policyPool))]
			ing.Annotations[prefix+"/"+kv[0]] = kv[1]
		}
		snap.Ingresses[i] = ing
	}
	return snap
}
