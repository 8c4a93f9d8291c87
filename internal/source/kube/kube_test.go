package kube

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	"github.com/archway-ingress/archway/internal/source"
)

const (
	wait = 2 * time.Second
	tick = 10 * time.Millisecond
)

func meta(namespace, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Namespace:     namespace,
		Name:          name,
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationApply}},
		Annotations:   map[string]string{lastApplied: `{"kind":"..."}`, "kept": "yes"},
	}
}

// kind describes one kind of object a Snapshot holds.
type kind struct {
	gvr  schema.GroupVersionResource
	new  func(namespace, name string) runtime.Object
	pick func(source.Snapshot) []metav1.Object
}

func objects[T metav1.Object](items []T) []metav1.Object {
	out := make([]metav1.Object, 0, len(items))
	for _, item := range items {
		out = append(out, item)
	}
	return out
}

var (
	ingresses = kind{
		gvr:  networkingv1.SchemeGroupVersion.WithResource("ingresses"),
		new:  func(ns, name string) runtime.Object { return &networkingv1.Ingress{ObjectMeta: meta(ns, name)} },
		pick: func(s source.Snapshot) []metav1.Object { return objects(s.Ingresses) },
	}
	ingressClasses = kind{
		gvr:  networkingv1.SchemeGroupVersion.WithResource("ingressclasses"),
		new:  func(_, name string) runtime.Object { return &networkingv1.IngressClass{ObjectMeta: meta("", name)} },
		pick: func(s source.Snapshot) []metav1.Object { return objects(s.IngressClasses) },
	}
	services = kind{
		gvr:  corev1.SchemeGroupVersion.WithResource("services"),
		new:  func(ns, name string) runtime.Object { return &corev1.Service{ObjectMeta: meta(ns, name)} },
		pick: func(s source.Snapshot) []metav1.Object { return objects(s.Services) },
	}
	endpointSlices = kind{
		gvr: discoveryv1.SchemeGroupVersion.WithResource("endpointslices"),
		new: func(ns, name string) runtime.Object {
			return &discoveryv1.EndpointSlice{ObjectMeta: meta(ns, name), AddressType: discoveryv1.AddressTypeIPv4,
				Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"10.0.0.1"}, NodeName: ptr.To("node-1"), Zone: ptr.To("a"),
					TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: "web-1"}}}}
		},
		pick: func(s source.Snapshot) []metav1.Object { return objects(s.EndpointSlices) },
	}
	secrets = kind{
		gvr:  corev1.SchemeGroupVersion.WithResource("secrets"),
		new:  func(ns, name string) runtime.Object { return &corev1.Secret{ObjectMeta: meta(ns, name)} },
		pick: func(s source.Snapshot) []metav1.Object { return objects(s.Secrets) },
	}
	configMaps = kind{
		gvr:  corev1.SchemeGroupVersion.WithResource("configmaps"),
		new:  func(ns, name string) runtime.Object { return &corev1.ConfigMap{ObjectMeta: meta(ns, name)} },
		pick: func(s source.Snapshot) []metav1.Object { return objects(nonNil(s.ConfigMap)) },
	}
	// listedConfigMaps are the ConfigMaps the Snapshot lists, beside the
	// controller's.
	listedConfigMaps = kind{
		gvr:  configMaps.gvr,
		new:  configMaps.new,
		pick: func(s source.Snapshot) []metav1.Object { return objects(s.ConfigMaps) },
	}
)

func nonNil(cm *corev1.ConfigMap) []*corev1.ConfigMap {
	if cm == nil {
		return nil
	}
	return []*corev1.ConfigMap{cm}
}

// keys names what pick finds, as namespace/name.
func keys(t *testing.T, src *Source, k kind) []string {
	t.Helper()
	snap, err := src.Snapshot()
	require.NoError(t, err)
	out := []string{}
	for _, obj := range k.pick(snap) {
		out = append(out, cache.MetaObjectToName(obj).String())
	}
	slices.Sort(out)
	return out
}

func start(t *testing.T, client *fake.Clientset, opts Options) *Source {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	src := New(client, opts)
	require.NoError(t, src.Start(ctx))
	return src
}

// waitChanged waits for a change signal after which the Snapshot shows
// the change: the signal must follow the cache update. A signal from an
// earlier event (another informer's initial list arriving late) is
// passed over, since the check fails at it.
func waitChanged(t *testing.T, src *Source, check func() bool) {
	t.Helper()
	require.Eventually(t, func() bool {
		select {
		case <-src.Changed():
			return check()
		default:
			return false
		}
	}, wait, tick)
}

func TestFirstSnapshot(t *testing.T) {
	tests := map[string]struct {
		kind kind
		want []string
	}{
		"Ingress":       {kind: ingresses, want: []string{"web/obj"}},
		"IngressClass":  {kind: ingressClasses, want: []string{"obj"}},
		"Service":       {kind: services, want: []string{"web/obj"}},
		"EndpointSlice": {kind: endpointSlices, want: []string{"web/obj"}},
		"Secret":        {kind: secrets, want: []string{"web/obj"}},
		"ConfigMap":     {kind: configMaps, want: []string{"web/obj"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			client := fake.NewClientset(tc.kind.new("web", "obj"))
			src := start(t, client, Options{ConfigMap: "web/obj"})
			require.Equal(t, tc.want, keys(t, src, tc.kind))
			snap, err := src.Snapshot()
			require.NoError(t, err)
			for _, obj := range tc.kind.pick(snap) {
				require.Nil(t, obj.GetManagedFields(), "managedFields are dropped")
				require.Equal(t, map[string]string{"kept": "yes"}, obj.GetAnnotations(), "kubectl's last-applied copy is dropped")
				if slice, ok := obj.(*discoveryv1.EndpointSlice); ok {
					require.Equal(t, []discoveryv1.Endpoint{{Addresses: []string{"10.0.0.1"}}}, slice.Endpoints, "only what Build reads is kept")
				}
			}
			// Handlers run asynchronously, so this catches a wrong signal
			// only when it is already sent; TestChangeHandler is exact.
			select {
			case <-src.Changed():
				t.Fatal("the initial listing signalled a change")
			default:
			}
		})
	}
}

func TestChanges(t *testing.T) {
	tests := map[string]struct {
		kind      kind
		namespace string
		want      string
	}{
		"Ingress":       {kind: ingresses, namespace: "web", want: "web/obj"},
		"IngressClass":  {kind: ingressClasses, want: "obj"},
		"Service":       {kind: services, namespace: "web", want: "web/obj"},
		"EndpointSlice": {kind: endpointSlices, namespace: "web", want: "web/obj"},
		"Secret":        {kind: secrets, namespace: "web", want: "web/obj"},
		"ConfigMap":     {kind: configMaps, namespace: "web", want: "web/obj"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			client := fake.NewClientset()
			tracker := client.Tracker()
			src := start(t, client, Options{ConfigMap: "web/obj"})
			require.Empty(t, keys(t, src, tc.kind))

			obj := tc.kind.new(tc.namespace, "obj")
			require.NoError(t, tracker.Create(tc.kind.gvr, obj, tc.namespace))
			waitChanged(t, src, func() bool { return len(keys(t, src, tc.kind)) == 1 })
			require.Equal(t, []string{tc.want}, keys(t, src, tc.kind))

			obj.(metav1.Object).SetAnnotations(map[string]string{"edited": "yes"})
			require.NoError(t, tracker.Update(tc.kind.gvr, obj, tc.namespace))
			waitChanged(t, src, func() bool {
				snap, err := src.Snapshot()
				require.NoError(t, err)
				got := tc.kind.pick(snap)
				return len(got) == 1 && got[0].GetAnnotations()["edited"] == "yes"
			})

			require.NoError(t, tracker.Delete(tc.kind.gvr, tc.namespace, "obj"))
			waitChanged(t, src, func() bool { return len(keys(t, src, tc.kind)) == 0 })
		})
	}
}

func TestWatchNamespace(t *testing.T) {
	client := fake.NewClientset(
		services.new("web", "a"), services.new("other", "b"),
		ingresses.new("web", "a"), ingresses.new("other", "b"),
		endpointSlices.new("other", "b"), secrets.new("other", "b"),
		ingressClasses.new("", "archway"),
		configMaps.new("system", "archway"),
	)
	src := start(t, client, Options{Namespace: "web", ConfigMap: "system/archway"})
	require.Equal(t, []string{"web/a"}, keys(t, src, services))
	require.Equal(t, []string{"web/a"}, keys(t, src, ingresses))
	require.Empty(t, keys(t, src, endpointSlices))
	require.Empty(t, keys(t, src, secrets))
	require.Equal(t, []string{"archway"}, keys(t, src, ingressClasses), "IngressClasses are cluster-wide")
	require.Equal(t, []string{"system/archway"}, keys(t, src, configMaps), "the ConfigMap may live elsewhere")

	// Events reach one informer in order: once web/d shows, other/c would
	// have shown before it.
	tracker := client.Tracker()
	require.NoError(t, tracker.Create(services.gvr, services.new("other", "c"), "other"))
	require.NoError(t, tracker.Create(services.gvr, services.new("web", "d"), "web"))
	waitChanged(t, src, func() bool { return len(keys(t, src, services)) == 2 })
	require.Equal(t, []string{"web/a", "web/d"}, keys(t, src, services))
}

func TestConfigMapFilter(t *testing.T) {
	tests := map[string]struct {
		configMap string
		want      []string
		selector  string // requested by list and watch; "" when none
	}{
		"the named ConfigMap only": {
			configMap: "system/archway",
			want:      []string{"system/archway"},
			selector:  "metadata.name=archway",
		},
		"absent": {configMap: "system/missing", want: []string{}, selector: "metadata.name=missing"},
		"none":   {want: []string{}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			client := fake.NewClientset(
				configMaps.new("system", "archway"),
				configMaps.new("system", "other"),
				configMaps.new("elsewhere", "archway"),
			)
			src := start(t, client, Options{ConfigMap: tc.configMap})
			require.Equal(t, tc.want, keys(t, src, configMaps))

			// The fake clientset ignores field selectors, so check that
			// the informer asks the API server for one. The watch starts
			// after the cache filled, so it may come a moment later.
			var requests []string
			configMapRequests := func() []string {
				requests = nil
				for _, a := range client.Actions() {
					if a.GetResource().Resource != "configmaps" {
						continue
					}
					var fields string
					switch a := a.(type) {
					case k8stesting.ListAction:
						fields = a.GetListRestrictions().Fields.String()
					case k8stesting.WatchAction:
						fields = a.GetWatchRestrictions().Fields.String()
					}
					require.Equal(t, "system", a.GetNamespace())
					requests = append(requests, a.GetVerb()+" "+fields)
				}
				return requests
			}
			if tc.selector != "" {
				require.Eventually(t, func() bool { return len(configMapRequests()) >= 2 }, 2*time.Second, 5*time.Millisecond)
			}
			configMapRequests()
			if tc.selector == "" {
				require.Empty(t, requests)
				return
			}
			require.Subset(t, requests, []string{"list " + tc.selector, "watch " + tc.selector})
			for _, r := range requests {
				require.Contains(t, r, tc.selector)
			}
		})
	}
}

func TestMalformedConfigMapOption(t *testing.T) {
	for _, value := range []string{"archway", "/archway", "system/", "a/b/c"} {
		t.Run(value, func(t *testing.T) {
			err := New(fake.NewClientset(), Options{ConfigMap: value}).Start(t.Context())
			require.ErrorContains(t, err, "want namespace/name")
		})
	}
}

func TestStartFailsWhenContextEndsFirst(t *testing.T) {
	client := fake.NewClientset()
	client.PrependReactor("list", "ingresses", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("unavailable") // the cache never fills
	})
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	require.ErrorContains(t, New(client, Options{}).Start(ctx), "fill informer caches")
}

// ingressVersion is an Ingress at resource version rv, for host, with one
// annotation of value note.
func ingressVersion(rv, host, note string) *networkingv1.Ingress {
	return &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "i", ResourceVersion: rv, Annotations: map[string]string{"note": note}},
		Spec:       networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: host}}},
	}
}

func TestChangeHandler(t *testing.T) {
	withVersion := func(rv string) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "s", ResourceVersion: rv}}
	}
	tests := map[string]struct {
		event func(cache.ResourceEventHandler)
		want  bool
	}{
		"add from the initial listing": {
			event: func(h cache.ResourceEventHandler) { h.OnAdd(withVersion("1"), true) },
		},
		"add": {
			event: func(h cache.ResourceEventHandler) { h.OnAdd(withVersion("1"), false) },
			want:  true,
		},
		"update with a new ResourceVersion": {
			event: func(h cache.ResourceEventHandler) { h.OnUpdate(withVersion("1"), withVersion("2")) },
			want:  true,
		},
		"update with the same ResourceVersion": {
			event: func(h cache.ResourceEventHandler) { h.OnUpdate(withVersion("7"), withVersion("7")) },
		},
		"update without ResourceVersions": {
			event: func(h cache.ResourceEventHandler) { h.OnUpdate(withVersion(""), withVersion("")) },
			want:  true,
		},
		"Ingress status written": {
			event: func(h cache.ResourceEventHandler) {
				old := ingressVersion("1", "a.example.com", "x")
				written := old.DeepCopy()
				written.ResourceVersion = "2"
				written.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: "192.0.2.1"}}
				h.OnUpdate(old, written)
			},
		},
		"Ingress spec changed": {
			event: func(h cache.ResourceEventHandler) {
				h.OnUpdate(ingressVersion("1", "a.example.com", "x"), ingressVersion("2", "b.example.com", "x"))
			},
			want: true,
		},
		"Ingress annotation changed": {
			event: func(h cache.ResourceEventHandler) {
				h.OnUpdate(ingressVersion("1", "a.example.com", "x"), ingressVersion("2", "a.example.com", "y"))
			},
			want: true,
		},
		"delete": {
			event: func(h cache.ResourceEventHandler) { h.OnDelete(withVersion("3")) },
			want:  true,
		},
		"delete seen late": {
			event: func(h cache.ResourceEventHandler) {
				h.OnDelete(cache.DeletedFinalStateUnknown{Key: "s", Obj: withVersion("3")})
			},
			want: true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			n := source.NewNotifier()
			tc.event(changeHandler(everyChange{n}))
			select {
			case <-n.Changed():
				require.True(t, tc.want, "signalled")
			default:
				require.False(t, tc.want, "did not signal")
			}
		})
	}
}

// TestSecretsLeaveHelmReleasesOut checks that archway asks the API server
// for Secrets without Helm's release Secrets, and for everything else
// without a field selector.
func TestSecretsLeaveHelmReleasesOut(t *testing.T) {
	client := fake.NewClientset()
	var mu sync.Mutex
	selectors := map[string]string{}
	client.PrependReactor("list", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		mu.Lock()
		defer mu.Unlock()
		selectors[a.GetResource().Resource] = a.(k8stesting.ListAction).GetListRestrictions().Fields.String()
		return false, nil, nil
	})
	start(t, client, Options{})
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, map[string]string{
		"secrets": "type!=helm.sh/release.v1", "ingresses": "", "services": "", "endpointslices": "", "ingressclasses": "",
	}, selectors)
}

// The webhook's class lookup answers from the cache once it is filled,
// and refuses to guess before.
func TestIngressClassLookup(t *testing.T) {
	client := fake.NewClientset(ingressClasses.new("", "external"))
	src := New(client, Options{})
	_, err := src.IngressClass("external")
	require.ErrorContains(t, err, "not filled yet")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	require.NoError(t, src.Start(ctx))
	class, err := src.IngressClass("external")
	require.NoError(t, err)
	require.Equal(t, "external", class.Name)
	class, err = src.IngressClass("absent")
	require.NoError(t, err)
	require.Nil(t, class)
}
