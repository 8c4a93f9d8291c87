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
	require.Equal(t, []string{"system/archway"}, keys(t, src, configMaps))
	require.Equal(t, []string{"ingress/tcp-services"}, keys(t, src, listedConfigMaps), "a missing one is left out")

	require.NoError(t, client.Tracker().Create(configMaps.gvr, configMaps.new("ingress", "udp-services"), "ingress"))
	waitChanged(t, src, func() bool { return len(keys(t, src, listedConfigMaps)) == 2 })
	require.Equal(t, []string{"ingress/tcp-services", "ingress/udp-services"}, keys(t, src, listedConfigMaps))
	require.Equal(t, []string{"system/archway"}, keys(t, src, configMaps))
}

func TestMalformedOtherConfigMap(t *testing.T) {
	err := New(fake.NewClientset(), Options{Others: []string{"tcp-services"}}).Start(t.Context())
	require.ErrorContains(t, err, `configmap "tcp-services": want namespace/name`)
}
