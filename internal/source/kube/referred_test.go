package kube

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/archway-ingress/archway/internal/source"
)

// TestReferredConfigMaps: the ConfigMaps the Snapshot's objects refer to
// (Options.ConfigMapRefs) are added to it, and their changes signal, while changes
// to other ConfigMaps do not.
func TestReferredConfigMaps(t *testing.T) {
	// No controller ConfigMap: the fake clientset ignores the field
	// selector of its informer, which would see every ConfigMap.
	client := fake.NewClientset(
		configMaps.new("web", "headers"),
		configMaps.new("web", "unrelated"),
	)
	src := start(t, client, Options{ConfigMapRefs: func(snap source.Snapshot) []string {
		return []string{"web/headers", "web/later"}
	}})
	require.Equal(t, []string{"web/headers"}, keys(t, src, listedConfigMaps), "a missing one is left out")

	time.Sleep(200 * time.Millisecond) // late signals of the initial lists
	select {
	case <-src.Changed():
	default:
	}
	unrelated := configMaps.new("web", "unrelated").(*corev1.ConfigMap)
	unrelated.Data = map[string]string{"a": "b"}
	require.NoError(t, client.Tracker().Update(configMaps.gvr, unrelated, "web"))
	require.Never(t, func() bool {
		select {
		case <-src.Changed():
			return true
		default:
			return false
		}
	}, 300*time.Millisecond, tick, "an unreferred ConfigMap signals no change")

	require.NoError(t, client.Tracker().Create(configMaps.gvr, configMaps.new("web", "later"), "web"))
	waitChanged(t, src, func() bool { return len(keys(t, src, listedConfigMaps)) == 2 })
	require.Equal(t, []string{"web/headers", "web/later"}, keys(t, src, listedConfigMaps))
}
