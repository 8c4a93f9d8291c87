package kube

import (
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/client-go/kubernetes/fake"
)

// TestOtherConfigMaps: the TCP and UDP services ConfigMaps (Options.Others)
// are watched by name beside the controller's, listed in
// Snapshot.ConfigMaps once they exist, and their creation signals a change.
func TestOtherConfigMaps(t *testing.T) {
	client := fake.NewClientset(
		configMaps.new("system", "archway"),
		configMaps.new("ingress", "tcp-services"),
		configMaps.new("ingress", "other"),
	)
	src := start(t, client, Options{ConfigMap: "system/archway", Others: []string{"ingress/tcp-services", "ingress/udp-services"}})
	names := func() []string {
		snap, err := src.Snapshot()
		require.NoError(t, err)
		require.Equal(t, "archway", snap.ConfigMap.Name)
		var names []string
		for _, cm := range snap.ConfigMaps {
			names = append(names, cm.Namespace+"/"+cm.Name)
		}
		return names
	}
	require.Equal(t, []string{"ingress/tcp-services"}, names(), "a missing one is left out")

	require.NoError(t, client.Tracker().Create(configMaps.gvr, configMaps.new("ingress", "udp-services"), "ingress"))
	waitChanged(t, src, func() bool { return len(names()) == 2 })
	require.Equal(t, []string{"ingress/tcp-services", "ingress/udp-services"}, names())
}

func TestMalformedOtherConfigMap(t *testing.T) {
	err := New(fake.NewClientset(), Options{Others: []string{"tcp-services"}}).Start(t.Context())
	require.ErrorContains(t, err, `configmap "tcp-services": want namespace/name`)
}
