package chart

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
)

// streamPorts returns the container ports of the TCP and UDP services,
// named "<port>-tcp" and "<port>-udp".
func streamPorts(c corev1.Container) []corev1.ContainerPort {
	var out []corev1.ContainerPort
	for _, p := range c.Ports {
		if strings.HasSuffix(p.Name, "-tcp") || strings.HasSuffix(p.Name, "-udp") {
			out = append(out, p)
		}
	}
	return out
}

// checkStreams checks that the ports of the TCP and UDP services are the
// keys of the ConfigMaps their flags name, in the release's namespace
// (where the Role lets archway read them), and that the Service, when
// there is one, forwards each of them with its protocol.
func checkStreams(t *testing.T, r release, d deployed) {
	t.Helper()
	args := flags(t, d.container)
	ports := streamPorts(d.container)
	for _, protocol := range []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP} {
		suffix := "-" + strings.ToLower(string(protocol))
		flag := strings.ToLower(string(protocol)) + "-services-configmap"
		var keys []string
		for _, p := range ports {
			if strings.HasSuffix(p.Name, suffix) {
				require.Equal(t, protocol, p.Protocol, "port %s", p.Name)
				require.Equal(t, strconv.Itoa(int(p.ContainerPort))+suffix, p.Name)
				keys = append(keys, strconv.Itoa(int(p.ContainerPort)))
			}
		}
		if keys == nil {
			require.NotContains(t, args, flag)
			require.False(t, r.hasNamed("ConfigMap", d.workload.Name+suffix))
			continue
		}
		require.Equal(t, r.namespace+"/"+d.workload.Name+suffix, args[flag])
		var cm corev1.ConfigMap
		r.named(t, "ConfigMap", d.workload.Name+suffix, &cm)
		require.ElementsMatch(t, keys, slices.Collect(maps.Keys(cm.Data)), "%s: one container port per entry", cm.Name)
	}
	if d.service.Name == "" {
		return
	}
	for _, p := range ports {
		require.True(t, slices.ContainsFunc(d.service.Spec.Ports, func(s corev1.ServicePort) bool {
			return s.Port == p.ContainerPort && s.Protocol == p.Protocol && s.TargetPort.String() == p.Name
		}), "the Service forwards %s", p.Name)
	}
}

// TestStreamValues renders tcp: and udp: values in ingress-nginx's shape.
func TestStreamValues(t *testing.T) {
	tests := map[string]valueCase{
		"TCP and UDP services": {
			set: []string{"tcp.5432=data/postgres:5432", "tcp.2222=ops/bastion:ssh:PROXY:PROXY", "udp.53=kube-system/kube-dns:dns",
				"udp.5432=data/postgres-udp:5432", "networkPolicy.enabled=true"},
			check: func(t *testing.T, r release, d deployed) {
				var tcp, udp corev1.ConfigMap
				r.named(t, "ConfigMap", d.workload.Name+"-tcp", &tcp)
				require.Equal(t, map[string]string{"5432": "data/postgres:5432", "2222": "ops/bastion:ssh:PROXY:PROXY"}, tcp.Data)
				r.named(t, "ConfigMap", d.workload.Name+"-udp", &udp)
				require.Equal(t, map[string]string{"53": "kube-system/kube-dns:dns", "5432": "data/postgres-udp:5432"}, udp.Data)
				require.Len(t, streamPorts(d.container), 4, "5432 once for TCP and once for UDP")
				require.True(t, *d.container.SecurityContext.AllowPrivilegeEscalation, "nginx binds port 53 through its file capability")
				require.False(t, takesNodePorts(d.pod.Spec))
			},
		},
		"only TCP, on the nodes' ports": {
			set: []string{"tcp.5432=data/postgres:5432", "hostPort.enabled=true"},
			check: func(t *testing.T, r release, d deployed) {
				require.Equal(t, []corev1.ContainerPort{{Name: "5432-tcp", ContainerPort: 5432, HostPort: 5432, Protocol: corev1.ProtocolTCP}},
					streamPorts(d.container))
				require.False(t, r.hasNamed("ConfigMap", d.workload.Name+"-udp"))
				require.False(t, *d.container.SecurityContext.AllowPrivilegeEscalation)
			},
		},
		"SSL passthrough": {
			set: []string{"sslPassthrough=true"},
			check: func(t *testing.T, _ release, d deployed) {
				require.Contains(t, d.container.Args, "--enable-ssl-passthrough")
			},
		},
		"no SSL passthrough by default": {
			check: func(t *testing.T, _ release, d deployed) {
				require.NotContains(t, d.container.Args, "--enable-ssl-passthrough")
			},
		},
	}
	runValueCases(t, tests)
}
