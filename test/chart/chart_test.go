package chart

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"
)

var (
	externalValues = filepath.Join("deploy", "examples", "values-external.yaml")
	internalValues = filepath.Join("deploy", "examples", "values-internal.yaml")
)

func TestLint(t *testing.T) {
	tests := map[string][]string{
		"defaults":           nil,
		"external example":   {"-f", externalValues},
		"internal example":   {"-f", internalValues},
		"bare-metal example": {"-f", bareMetalValues},
		"autoscaled, fenced": {"--set", "autoscaling.enabled=true", "--set", "networkPolicy.enabled=true"},
		"admission webhook":  {"--set", "admissionWebhook.enabled=true", "--set", "admissionWebhook.certificate.certManager.enabled=true"},
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			out, err := runHelm(t, append([]string{"lint", "--strict", chartDir, "--kube-version", kubeVersion}, args...)...)
			require.NoError(t, err)
			require.Contains(t, string(out), "0 chart(s) failed")
		})
	}
}

// TestExamples renders each example and checks that the Deployment runs
// archway with what the other objects of the release define.
func TestExamples(t *testing.T) {
	tests := map[string]struct {
		values      string
		class       string
		annotations map[string]string
		ranges      []string
		config      map[string]string
	}{
		"external": {values: externalValues, class: "external", ranges: []string{"0.0.0.0/0"}},
		"internal": {
			values: internalValues, class: "internal",
			annotations: map[string]string{
				"service.beta.kubernetes.io/aws-load-balancer-scheme":   "internal",
				"service.beta.kubernetes.io/aws-load-balancer-internal": "true",
			},
			ranges: []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"},
			config: map[string]string{"whitelist-source-range": "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := template(t, name, "ingress-"+name, "-f", tc.values)
			d := checkRelease(t, r)

			args := flags(t, d.container)
			require.Equal(t, tc.class, args["ingress-class"])
			require.Equal(t, r.namespace+"/"+d.service.Name, args["publish-service"], "on by default, pointing at the release's Service")
			require.Equal(t, d.workload.Name+"-leader", args["election-id"])
			require.Equal(t, "true", args["update-status"])
			var class networkingv1.IngressClass
			r.get(t, "IngressClass", &class)
			require.Equal(t, tc.class, class.Name)
			require.Equal(t, "archway.dev/"+name, class.Spec.Controller)

			require.Equal(t, corev1.ServiceTypeLoadBalancer, d.service.Spec.Type)
			require.Equal(t, corev1.ServiceExternalTrafficPolicyLocal, d.service.Spec.ExternalTrafficPolicy)
			require.Equal(t, tc.ranges, d.service.Spec.LoadBalancerSourceRanges)
			require.Equal(t, tc.annotations, d.service.Annotations)

			var cm corev1.ConfigMap
			r.get(t, "ConfigMap", &cm)
			require.Equal(t, tc.config, cm.Data)
		})
	}
}

// deployed is what checkRelease found.
type deployed struct {
	workload  metav1.ObjectMeta // the Deployment's or the DaemonSet's
	selector  map[string]string // its pod selector
	pod       corev1.PodTemplateSpec
	container corev1.Container
	service   corev1.Service // the one carrying traffic; zero when off
	// deployment is nil for a DaemonSet, daemonSet for a Deployment.
	deployment *appsv1.Deployment
	daemonSet  *appsv1.DaemonSet
}

// checkRelease checks the invariants every release keeps, whatever its
// values, and returns its workload and traffic Service.
func checkRelease(t *testing.T, r release) deployed {
	t.Helper()
	d := checkWorkload(t, r)
	pod := d.pod
	c := d.container
	args := flags(t, c)
	fullname := d.workload.Name
	require.Equal(t, r.namespace, d.workload.Namespace)

	// The workload's selector picks its own pods only.
	require.Equal(t, d.selector, subset(pod.Labels, d.selector))
	require.Equal(t, r.name, d.selector["app.kubernetes.io/instance"])

	// The flags name this release's own objects.
	require.Equal(t, r.namespace+"/"+fullname, args["configmap"])
	var cm corev1.ConfigMap
	r.named(t, "ConfigMap", fullname, &cm)
	if r.hasNamed("Service", fullname) {
		r.named(t, "Service", fullname, &d.service)
	} else {
		require.NotContains(t, args, "publish-service", "it would name a Service the release does not create")
	}
	require.NotEmpty(t, args["election-id"])
	if r.has("IngressClass") {
		var class networkingv1.IngressClass
		r.get(t, "IngressClass", &class)
		require.Equal(t, class.Name, args["ingress-class"])
		require.Equal(t, class.Spec.Controller, args["controller-class"])
	}

	// Ports: nginx listens where the Service sends traffic.
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	require.Equal(t, strconv.Itoa(int(ports["http"])), args["http-port"])
	require.Equal(t, strconv.Itoa(int(ports["https"])), args["https-port"])
	require.Equal(t, ":"+strconv.Itoa(int(ports["metrics"])), args["metrics-address"])
	if d.service.Name != "" {
		for _, p := range d.service.Spec.Ports {
			require.Contains(t, ports, p.TargetPort.String(), "Service port %s", p.Name)
		}
		require.Equal(t, d.service.Spec.Selector, subset(pod.Labels, d.service.Spec.Selector))
	}
	var metrics corev1.Service
	r.named(t, "Service", fullname+"-metrics", &metrics)
	require.Equal(t, "metrics", metrics.Spec.Ports[0].TargetPort.String())
	require.Equal(t, metrics.Spec.Selector, subset(pod.Labels, metrics.Spec.Selector))

	// Probes.
	require.Equal(t, "/healthz", c.LivenessProbe.HTTPGet.Path)
	require.Equal(t, "metrics", c.LivenessProbe.HTTPGet.Port.String())
	require.Equal(t, "/readyz", c.ReadinessProbe.HTTPGet.Path)
	require.Equal(t, "metrics", c.ReadinessProbe.HTTPGet.Port.String())

	// Non-root on a read-only root filesystem; the runtime dir is an
	// emptyDir mounted where --runtime-dir points (and the webhook's
	// certificate, when on, a Secret: checkWebhook).
	require.True(t, *pod.Spec.SecurityContext.RunAsNonRoot)
	require.NotZero(t, *pod.Spec.SecurityContext.RunAsUser)
	require.True(t, *c.SecurityContext.ReadOnlyRootFilesystem)
	require.Equal(t, []corev1.Capability{"ALL"}, c.SecurityContext.Capabilities.Drop)
	volumes := 1
	if r.has("ValidatingWebhookConfiguration") {
		volumes = 2
	}
	require.Len(t, c.VolumeMounts, volumes)
	require.Equal(t, args["runtime-dir"], c.VolumeMounts[0].MountPath)
	require.Len(t, pod.Spec.Volumes, volumes)
	require.Equal(t, c.VolumeMounts[0].Name, pod.Spec.Volumes[0].Name)
	require.NotNil(t, pod.Spec.Volumes[0].EmptyDir)

	// The pod knows its name and namespace (metrics labels, Lease identity).
	env := map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
			env[e.Name] = e.ValueFrom.FieldRef.FieldPath
		}
	}
	require.Equal(t, "metadata.name", env["POD_NAME"])
	require.Equal(t, "metadata.namespace", env["POD_NAMESPACE"])

	// The grace period covers the preStop delay and nginx's 30s drain.
	require.GreaterOrEqual(t, *pod.Spec.TerminationGracePeriodSeconds, c.Lifecycle.PreStop.Sleep.Seconds+30)

	checkStreams(t, r, d)
	checkNetworkPolicy(t, r, d)
	checkWebhook(t, r, d)
	checkRBAC(t, r, pod.Spec.ServiceAccountName)
	return d
}

// checkRBAC checks that the ServiceAccount is bound to exactly the rules of
// files/*.yaml, cluster-wide and in the release's namespace.
func checkRBAC(t *testing.T, r release, account string) {
	t.Helper()
	var sa corev1.ServiceAccount
	r.get(t, "ServiceAccount", &sa)
	require.Equal(t, account, sa.Name)
	subject := []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa.Name, Namespace: r.namespace}}

	var clusterRole rbacv1.ClusterRole
	r.get(t, "ClusterRole", &clusterRole)
	require.Equal(t, rulesFile(t, "clusterrole-rules.yaml"), clusterRole.Rules)
	var clusterBinding rbacv1.ClusterRoleBinding
	r.get(t, "ClusterRoleBinding", &clusterBinding)
	require.Equal(t, rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusterRole.Name}, clusterBinding.RoleRef)
	require.Equal(t, subject, clusterBinding.Subjects)

	var role rbacv1.Role
	r.get(t, "Role", &role)
	require.Equal(t, r.namespace, role.Namespace)
	require.Equal(t, rulesFile(t, "role-rules.yaml"), role.Rules)
	var binding rbacv1.RoleBinding
	r.get(t, "RoleBinding", &binding)
	require.Equal(t, rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name}, binding.RoleRef)
	require.Equal(t, subject, binding.Subjects)
}

func rulesFile(t *testing.T, name string) []rbacv1.PolicyRule {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), chartDir, "files", name))
	require.NoError(t, err)
	var rules []rbacv1.PolicyRule
	require.NoError(t, yaml.UnmarshalStrict(data, &rules))
	require.NotEmpty(t, rules)
	return rules
}

// flags returns the container's --name=value arguments; a flag without a
// value maps to "".
func flags(t *testing.T, c corev1.Container) map[string]string {
	t.Helper()
	require.Empty(t, c.Command, "the image's entrypoint runs archway")
	out := map[string]string{}
	for _, a := range c.Args {
		require.True(t, strings.HasPrefix(a, "--"), "argument %q", a)
		name, value, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		require.NotContains(t, out, name, "flag --%s given twice", name)
		out[name] = value
	}
	return out
}

// subset returns the entries of labels whose keys are in keys.
func subset(labels, keys map[string]string) map[string]string {
	out := map[string]string{}
	for k := range keys {
		if v, ok := labels[k]; ok {
			out[k] = v
		}
	}
	return out
}

// TestNoClash installs pairs of releases side by side and checks that no
// two objects, and no two Leases, share a name.
func TestNoClash(t *testing.T) {
	type install struct{ name, namespace, values string }
	tests := map[string][2]install{
		"examples in one namespace": {
			{"external", "ingress", externalValues}, {"internal", "ingress", internalValues},
		},
		"examples in two namespaces": {
			{"external", "ingress-external", externalValues}, {"internal", "ingress-internal", internalValues},
		},
		"bare metal beside a cloud release": {
			{"external", "ingress", externalValues}, {"edge", "ingress", bareMetalValues},
		},
		"one release name in two namespaces": {
			{"edge", "public", externalValues}, {"edge", "private", internalValues},
		},
	}
	for name, pair := range tests {
		t.Run(name, func(t *testing.T) {
			owner := map[string]string{}
			for _, in := range pair {
				r := template(t, in.name, in.namespace, "-f", in.values)
				d := checkWorkload(t, r)
				keys := []string{"Lease " + in.namespace + "/" + flags(t, d.container)["election-id"]}
				for _, o := range r.objects {
					if clusterScoped(o.Kind) {
						require.Empty(t, o.Metadata.Namespace, "%s %s", o.Kind, o.Metadata.Name)
						keys = append(keys, o.Kind+" "+o.Metadata.Name)
						continue
					}
					require.Equal(t, in.namespace, o.Metadata.Namespace, "%s %s", o.Kind, o.Metadata.Name)
					keys = append(keys, o.Kind+" "+o.Metadata.Namespace+"/"+o.Metadata.Name)
				}
				release := in.namespace + "/" + in.name
				for _, k := range keys {
					require.NotContains(t, owner, k, "%s: both releases create it", k)
					owner[k] = release
				}
			}
		})
	}
}

// TestValues checks the values that change what the chart renders.
func TestValues(t *testing.T) {
	tests := map[string]valueCase{
		"defaults gain no capability": {
			check: func(t *testing.T, _ release, d deployed) {
				sc := d.container.SecurityContext
				require.False(t, *sc.AllowPrivilegeEscalation)
				// Only in the bounding set: without it the kernel refuses
				// to run the image's nginx, whose file capability
				// no_new_privs keeps from being granted (scripts/image-run.sh).
				require.Equal(t, []corev1.Capability{"NET_BIND_SERVICE"}, sc.Capabilities.Add)
			},
		},
		"ports below 1024 get NET_BIND_SERVICE": {
			set: []string{"containerPorts.http=80", "containerPorts.https=443"},
			check: func(t *testing.T, _ release, d deployed) {
				sc := d.container.SecurityContext
				require.Equal(t, []corev1.Capability{"NET_BIND_SERVICE"}, sc.Capabilities.Add)
				require.True(t, *sc.AllowPrivilegeEscalation, "the image's file capability is a privilege gain")
				require.Equal(t, "80", flags(t, d.container)["http-port"])
			},
		},
		"watch one namespace, own election id, extra args": {
			set: []string{"watchNamespace=shop", "electionID=shop-leader", "extraArgs.log-level=debug", "watchIngressWithoutClass=true",
				"defaultSSLCertificate=shop/wildcard-tls"},
			check: func(t *testing.T, _ release, d deployed) {
				args := flags(t, d.container)
				require.Equal(t, "shop/wildcard-tls", args["default-ssl-certificate"])
				require.Equal(t, "shop", args["watch-namespace"])
				require.Equal(t, "shop-leader", args["election-id"])
				require.Equal(t, "debug", args["log-level"])
				require.Contains(t, args, "watch-ingress-without-class")
			},
		},
		"limits": {
			set: []string{"limits.pathsPerIngress=200", "limits.hostsPerNamespace=0"},
			check: func(t *testing.T, _ release, d deployed) {
				args := flags(t, d.container)
				require.Equal(t, "200", args["max-paths-per-ingress"])
				require.Equal(t, "0", args["max-hosts-per-namespace"])
				require.NotContains(t, args, "max-paths-per-namespace", "unset keeps archway's default")
			},
		},
		"fixed status addresses instead of the Service": {
			set: []string{"publishService.enabled=false", "publishStatusAddress={203.0.113.10,lb.example.com}"},
			check: func(t *testing.T, _ release, d deployed) {
				args := flags(t, d.container)
				require.NotContains(t, args, "publish-service")
				require.Equal(t, "203.0.113.10,lb.example.com", args["publish-status-address"])
			},
		},
		"default class": {
			set: []string{"ingressClass.default=true"},
			check: func(t *testing.T, r release, _ deployed) {
				var class networkingv1.IngressClass
				r.get(t, "IngressClass", &class)
				require.Equal(t, map[string]string{"ingressclass.kubernetes.io/is-default-class": "true"}, class.Annotations)
			},
		},
		"class managed elsewhere": {
			set: []string{"ingressClass.create=false"},
			check: func(t *testing.T, r release, _ deployed) {
				require.False(t, r.has("IngressClass"))
			},
		},
		"Gateway API": {
			set: []string{"gatewayAPI.controllerName=example.com/shop", "gatewayAPI.required=true", "gatewayAPI.gatewayClass.create=true",
				"gatewayAPI.gatewayClass.name=shop"},
			check: func(t *testing.T, r release, d deployed) {
				args := flags(t, d.container)
				require.Equal(t, "example.com/shop", args["gateway-controller-name"])
				require.Contains(t, args, "gateway-api")
				var class gatewayv1.GatewayClass
				r.get(t, "GatewayClass", &class)
				require.Equal(t, "shop", class.Name)
				require.Equal(t, gatewayv1.GatewayController("example.com/shop"), class.Spec.ControllerName)
			},
		},
		"no GatewayClass by default": {
			check: func(t *testing.T, r release, d deployed) {
				require.False(t, r.has("GatewayClass"), "it needs the Gateway API CRDs")
				require.Equal(t, "archway.dev/gateway-controller", flags(t, d.container)["gateway-controller-name"])
				require.NotContains(t, flags(t, d.container), "gateway-api")
			},
		},
		"image digest wins": {
			set: []string{"image.digest=sha256:0123"},
			check: func(t *testing.T, _ release, d deployed) {
				require.Equal(t, "ghcr.io/archway-ingress/archway@sha256:0123", d.container.Image)
			},
		},
		"topology spread selects the release's pods": {
			check: func(t *testing.T, _ release, d deployed) {
				spread := d.pod.Spec.TopologySpreadConstraints
				require.Len(t, spread, 2)
				for _, c := range spread {
					require.Equal(t, d.selector, c.LabelSelector.MatchLabels)
				}
			},
		},
		"NodePort with fixed ports": {
			set: []string{"service.type=NodePort", "service.nodePorts.http=30080", "service.externalTrafficPolicy=Local",
				"service.loadBalancerSourceRanges={10.0.0.0/8}"},
			check: func(t *testing.T, _ release, d deployed) {
				require.Equal(t, corev1.ServiceTypeNodePort, d.service.Spec.Type)
				require.Equal(t, int32(30080), d.service.Spec.Ports[0].NodePort)
				require.Equal(t, corev1.ServiceExternalTrafficPolicyLocal, d.service.Spec.ExternalTrafficPolicy)
				require.Empty(t, d.service.Spec.LoadBalancerSourceRanges, "only load balancers filter sources")
			},
		},
		"ServiceMonitor scrapes the metrics Service only": {
			set: []string{"metrics.serviceMonitor.enabled=true", "metrics.serviceMonitor.additionalLabels.release=prom"},
			check: func(t *testing.T, r release, d deployed) {
				var sm struct {
					APIVersion string
					Kind       string
					Metadata   struct {
						Name      string
						Namespace string
						Labels    map[string]string
					}
					Spec struct {
						NamespaceSelector struct{ MatchNames []string }
						Selector          struct{ MatchLabels map[string]string }
						Endpoints         []struct{ Port, Path, Interval, ScrapeTimeout string }
					}
				}
				r.get(t, "ServiceMonitor", &sm)
				require.Equal(t, "prom", sm.Metadata.Labels["release"])
				require.Equal(t, []string{r.namespace}, sm.Spec.NamespaceSelector.MatchNames)
				var metrics corev1.Service
				r.named(t, "Service", d.workload.Name+"-metrics", &metrics)
				require.Equal(t, sm.Spec.Selector.MatchLabels, subset(metrics.Labels, sm.Spec.Selector.MatchLabels))
				require.NotEqual(t, sm.Spec.Selector.MatchLabels, subset(d.service.Labels, sm.Spec.Selector.MatchLabels))
				require.Equal(t, "metrics", sm.Spec.Endpoints[0].Port)
				require.Equal(t, "/metrics", sm.Spec.Endpoints[0].Path)
			},
		},
		"sysctls of the pod": {
			set: []string{"sysctls[0].name=net.unix.max_dgram_qlen", "sysctls[0].value=512"},
			check: func(t *testing.T, _ release, d deployed) {
				require.Equal(t, []corev1.Sysctl{{Name: "net.unix.max_dgram_qlen", Value: "512"}},
					d.pod.Spec.SecurityContext.Sysctls)
			},
		},
		"ConfigMap values become strings": {
			set: []string{"config.worker-shutdown-timeout=30s", "config.a-number=4", "config.a-flag=true"},
			check: func(t *testing.T, r release, _ deployed) {
				var cm corev1.ConfigMap
				r.get(t, "ConfigMap", &cm)
				require.Equal(t, map[string]string{"worker-shutdown-timeout": "30s", "a-number": "4", "a-flag": "true"}, cm.Data)
			},
		},
		"waf sets the ConfigMap keys": {
			set: []string{"waf.enabled=true", "waf.coreRules=true", "waf.mode=On", "waf.paranoiaLevel=2", "waf.excludeRuleIds=920350\\,942100"},
			check: func(t *testing.T, r release, _ deployed) {
				var cm corev1.ConfigMap
				r.get(t, "ConfigMap", &cm)
				require.Equal(t, map[string]string{"enable-modsecurity": "true", "enable-owasp-modsecurity-crs": "true",
					"modsecurity-mode": "On", "modsecurity-paranoia-level": "2", "modsecurity-exclude-rule-ids": "920350,942100"}, cm.Data)
			},
		},
		"safeSnippets sets the ConfigMap key": {
			set: []string{"safeSnippets=true", "config.worker-shutdown-timeout=30s"},
			check: func(t *testing.T, r release, _ deployed) {
				var cm corev1.ConfigMap
				r.get(t, "ConfigMap", &cm)
				require.Equal(t, map[string]string{"worker-shutdown-timeout": "30s", "safe-snippet-annotations": "true"}, cm.Data)
			},
		},
	}
	runValueCases(t, tests)
}

// valueCase is a release rendered with --set values, and what to check of
// it besides what checkRelease checks of every release.
type valueCase struct {
	set   []string
	check func(t *testing.T, r release, d deployed)
}

func runValueCases(t *testing.T, tests map[string]valueCase) {
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := template(t, "archway", "ingress", setArgs(tc.set)...)
			tc.check(t, r, checkRelease(t, r))
		})
	}
}

// setArgs turns key=value settings into helm's --set arguments.
func setArgs(set []string) []string {
	var args []string
	for _, s := range set {
		args = append(args, "--set", s)
	}
	return args
}
