package builder

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/source"
)

// buildWithConfigMap builds Ingresses (of the "app" Service) under a
// controller ConfigMap and returns the policy of each Ingress's path,
// by Ingress name, with the report's problems.
func buildWithConfigMap(t *testing.T, data map[string]string, ings ...*networkingv1.Ingress) (map[string]model.Location, []Problem) {
	t.Helper()
	app := load(t, "service-web-app.yaml")
	snap := source.Snapshot{IngressClasses: load(t, "classes.yaml").IngressClasses, Ingresses: ings,
		Services: app.Services, EndpointSlices: app.EndpointSlices,
		ConfigMap: &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ingress", Name: "archway"}, Data: data}}
	cfg, report := Build(snap, defaultOpts())
	locs := map[string]model.Location{}
	for _, s := range cfg.Servers {
		for _, l := range s.Locations {
			locs[l.Owner.Name] = l
		}
	}
	return locs, report.Problems
}

// TestLocationDefaults checks that the ConfigMap's defaults of location
// annotations apply to every Ingress, and that an Ingress's annotation
// still wins.
func TestLocationDefaults(t *testing.T) {
	locs, problems := buildWithConfigMap(t, map[string]string{"proxy-body-size": "100m", "proxy-read-timeout": "3600",
		"load-balance": "ewma", "custom-http-errors": "404,503", "proxy-buffer-size": "16k"},
		tlsIngress("plain", 0, []string{"a.example.com"}, nil, nil),
		tlsIngress("own", 1, []string{"b.example.com"}, nil, map[string]string{"proxy-body-size": "5m", "load-balance": "round_robin"}))
	require.Empty(t, problems)
	size := func(n model.Size) *model.Size { return &n }
	plain, own := policyOf(locs["plain"]), policyOf(locs["own"])
	require.Equal(t, size(100<<20), plain.Proxy.BodySize)
	require.Equal(t, size(5<<20), own.Proxy.BodySize, "the annotation wins")
	require.Equal(t, time.Hour, plain.Proxy.ReadTimeout)
	require.Equal(t, time.Hour, own.Proxy.ReadTimeout, "a default the Ingress does not set applies")
	require.Equal(t, size(16<<10), own.Proxy.BufferSize)
	require.Equal(t, []int{404, 503}, plain.Errors.Codes)
	require.NotEqual(t, locs["own"].Backend, locs["plain"].Backend, "an ewma copy of the backend, and a round-robin one")
}

// TestLocationDefaultsConflicts checks that ConfigMap defaults that do
// not go together are reported and left out, and that an Ingress whose
// annotation does not go with a default is blocked like any invalid
// annotation, with a message naming the default.
func TestLocationDefaultsConflicts(t *testing.T) {
	locs, problems := buildWithConfigMap(t, map[string]string{"proxy-buffer-size": "16k", "proxy-busy-buffers-size": "64k", "proxy-body-size": "1t"},
		tlsIngress("plain", 0, []string{"a.example.com"}, nil, nil),
		tlsIngress("small", 1, []string{"b.example.com"}, nil, map[string]string{"proxy-busy-buffers-size": "8k"}))
	require.Len(t, problems, 3, "%v", problems)
	require.Equal(t, Problem{Kind: KindConfigMap, Object: ref("ingress", "archway"), Field: "data.proxy-body-size", Key: "proxy-body-size",
		Reason: reason.InvalidSetting, Message: `value "1t": want a size such as 512, 8k, 16m or 1g, at most 1024g: not a plain decimal number; the default 1m is used`}, problems[0])
	require.Equal(t, Problem{Kind: KindConfigMap, Object: ref("ingress", "archway"), Field: "data.proxy-busy-buffers-size", Key: "proxy-busy-buffers-size",
		Reason: reason.InvalidSetting, Message: `value "64k": must be from one proxy buffer (16384 bytes) to all proxy buffers but one (49152 bytes); the default 8k is used`}, problems[1])
	require.Equal(t, reason.InvalidAnnotation, problems[2].Reason)
	require.Equal(t, ref("web", "small"), problems[2].Object)
	require.Contains(t, problems[2].Message, `value "8k": must be from one proxy buffer (16384 bytes)`)
	require.Nil(t, policyOf(locs["plain"]).Proxy.BusyBuffersSize)
	require.Equal(t, model.Size(16<<10), *policyOf(locs["plain"]).Proxy.BufferSize, "the default that goes alone is kept")
	require.Empty(t, locs["small"].Backend, "the blocked Ingress answers 503")
}
