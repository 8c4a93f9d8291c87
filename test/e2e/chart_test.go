package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/archway-ingress/archway/test/harness"
)

// helmVersion is the helm scripts/e2e-tools.sh builds.
const helmVersion = "v3.22.0"

// chartRelease is one rendered release of deploy/helm/archway.
type chartRelease struct {
	name, namespace, class string
	docs                   []chartObject
}

type chartObject struct {
	kind, name string
	raw        []byte
}

// renderChart renders the chart with an example values file and more
// --set values, the ingress class renamed so that tests never share one.
func (s *suite) renderChart(t *testing.T, name, namespace, values, class string, set ...string) chartRelease {
	t.Helper()
	helm := os.Getenv("ARCHWAY_HELM")
	if helm == "" {
		helm = filepath.Join(s.Root, ".cache", "e2e", "bin", "helm-"+helmVersion, "helm")
	}
	_, err := os.Stat(helm)
	require.NoError(t, err, "the chart test needs helm %s: run scripts/e2e-tools.sh or set ARCHWAY_HELM", helmVersion)
	args := []string{"template", name, "deploy/helm/archway", "--namespace", namespace,
		"--kube-version", strings.TrimPrefix(harness.KubeVersion, "v"), "-f", values, "--set", "ingressClass.name=" + class}
	for _, v := range set {
		args = append(args, "--set", v)
	}
	cmd := exec.CommandContext(t.Context(), helm, args...)
	cmd.Dir = s.Root
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+home, "HELM_CONFIG_HOME="+home, "HELM_DATA_HOME="+home)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "helm template: %s", stderr.String())
	r := chartRelease{name: name, namespace: namespace, class: class}
	for doc := range strings.SplitSeq(stdout.String(), "\n---\n") {
		var meta struct {
			Kind     string
			Metadata struct{ Name string }
		}
		require.NoError(t, yaml.Unmarshal([]byte(doc), &meta))
		if meta.Kind != "" {
			r.docs = append(r.docs, chartObject{kind: meta.Kind, name: meta.Metadata.Name, raw: []byte(doc)})
		}
	}
	require.NotEmpty(t, r.docs)
	return r
}

// createTyped strict-decodes raw into a new T and creates it.
func createTyped[T any](ctx context.Context, raw []byte, create func(context.Context, *T, metav1.CreateOptions) (*T, error), opts metav1.CreateOptions) error {
	obj := new(T)
	if err := yaml.UnmarshalStrict(raw, obj); err != nil {
		return err
	}
	_, err := create(ctx, obj, opts)
	return err
}

// create sends every object of the release to the API server, for real or
// as a server-side dry run (what kubectl apply --dry-run=server checks:
// schema, defaults, admission, and names already taken). It returns the
// cluster-scoped objects it created for real, as deleters.
func (r chartRelease) create(ctx context.Context, client kubernetes.Interface, dryRun bool) ([]func(context.Context) error, error) {
	opts := metav1.CreateOptions{FieldValidation: "Strict"}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	core, rbac, ns := client.CoreV1(), client.RbacV1(), r.namespace
	var created []func(context.Context) error
	for _, o := range r.docs {
		var err error
		switch o.kind {
		case "ServiceAccount":
			err = createTyped(ctx, o.raw, core.ServiceAccounts(ns).Create, opts)
		case "ConfigMap":
			err = createTyped(ctx, o.raw, core.ConfigMaps(ns).Create, opts)
		case "Secret":
			err = createTyped(ctx, o.raw, core.Secrets(ns).Create, opts)
		case "Service":
			err = createTyped(ctx, o.raw, core.Services(ns).Create, opts)
		case "Deployment":
			err = createTyped(ctx, o.raw, client.AppsV1().Deployments(ns).Create, opts)
		case "DaemonSet":
			err = createTyped(ctx, o.raw, client.AppsV1().DaemonSets(ns).Create, opts)
		case "HorizontalPodAutoscaler":
			err = createTyped(ctx, o.raw, client.AutoscalingV2().HorizontalPodAutoscalers(ns).Create, opts)
		case "NetworkPolicy":
			err = createTyped(ctx, o.raw, client.NetworkingV1().NetworkPolicies(ns).Create, opts)
		case "PodDisruptionBudget":
			err = createTyped(ctx, o.raw, client.PolicyV1().PodDisruptionBudgets(ns).Create, opts)
		case "Role":
			err = createTyped(ctx, o.raw, rbac.Roles(ns).Create, opts)
		case "RoleBinding":
			err = createTyped(ctx, o.raw, rbac.RoleBindings(ns).Create, opts)
		case "ClusterRole":
			err = createTyped(ctx, o.raw, rbac.ClusterRoles().Create, opts)
			created = append(created, func(ctx context.Context) error {
				return rbac.ClusterRoles().Delete(ctx, o.name, metav1.DeleteOptions{})
			})
		case "ClusterRoleBinding":
			err = createTyped(ctx, o.raw, rbac.ClusterRoleBindings().Create, opts)
			created = append(created, func(ctx context.Context) error {
				return rbac.ClusterRoleBindings().Delete(ctx, o.name, metav1.DeleteOptions{})
			})
		case "IngressClass":
			err = createTyped(ctx, o.raw, client.NetworkingV1().IngressClasses().Create, opts)
			created = append(created, func(ctx context.Context) error {
				return client.NetworkingV1().IngressClasses().Delete(ctx, o.name, metav1.DeleteOptions{})
			})
		case "ValidatingWebhookConfiguration":
			configs := client.AdmissionregistrationV1().ValidatingWebhookConfigurations()
			err = createTyped(ctx, o.raw, configs.Create, opts)
			created = append(created, func(ctx context.Context) error {
				return configs.Delete(ctx, o.name, metav1.DeleteOptions{})
			})
		default:
			err = fmt.Errorf("the test does not know kind %s yet", o.kind)
		}
		if err != nil {
			return created, fmt.Errorf("release %s/%s: %s %s: %w", ns, r.name, o.kind, o.name, err)
		}
	}
	if dryRun {
		created = nil
	}
	return created, nil
}

// install creates the release's objects for real and deletes its
// cluster-scoped ones when the test ends (the test's namespace takes the
// others with it).
func (r chartRelease) install(t *testing.T, client kubernetes.Interface) error {
	t.Helper()
	deleters, err := r.create(t.Context(), client, false)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, del := range deleters {
			require.NoError(t, del(ctx))
		}
	})
	return err
}

// get strict-decodes the release's object of kind into out; name "" means
// the only one of its kind.
func (r chartRelease) get(t *testing.T, kind, name string, out any) {
	t.Helper()
	var found []chartObject
	for _, o := range r.docs {
		if o.kind == kind && (name == "" || o.name == name) {
			found = append(found, o)
		}
	}
	require.Len(t, found, 1, "%s %q objects in release %s", kind, name, r.name)
	require.NoError(t, yaml.UnmarshalStrict(found[0].raw, out))
}

// TestChart installs the chart's two example releases side by side, runs
// archway as each release's Deployment would (same flags, same
// ServiceAccount and RBAC), and checks that each serves its own class only
// and publishes its own load balancer address for ExternalDNS.
func TestChart(t *testing.T) {
	s := env
	ns := s.NewNamespace(t)
	ctx, admin := t.Context(), s.Cluster.Admin
	external := s.renderChart(t, "external", ns, "deploy/examples/values-external.yaml", ns+"-external")
	internal := s.renderChart(t, "internal", ns, "deploy/examples/values-internal.yaml", ns+"-internal")

	for _, r := range []chartRelease{external, internal} {
		_, err := r.create(ctx, admin, true)
		require.NoError(t, err, "server-side dry run")
	}
	for _, r := range []chartRelease{external, internal} {
		require.NoError(t, r.install(t, admin), "both releases install in one namespace")
	}
	// The same release name in another namespace: cluster-scoped names
	// must not collide with the installed releases'.
	other := ns + "-other"
	s.NewNamespaceNamed(t, other)
	_, err := s.renderChart(t, "external", other, "deploy/examples/values-external.yaml", other+"-external").create(ctx, admin, true)
	require.NoError(t, err, "a release of the same name installs in another namespace")

	// No cloud here: give each Service the address a cloud load balancer
	// would. (Documentation addresses; no traffic goes to them.)
	lbAddress := map[string]string{external.name: "203.0.113.10", internal.name: "198.51.100.20"}
	instances := map[string]*archway{}
	for _, r := range []chartRelease{external, internal} {
		// The traffic Service is named like the Deployment (and is the
		// one --publish-service names).
		var d appsv1.Deployment
		r.get(t, "Deployment", "", &d)
		var svc corev1.Service
		r.get(t, "Service", d.Name, &svc)
		live, err := admin.CoreV1().Services(ns).Get(ctx, svc.Name, metav1.GetOptions{})
		require.NoError(t, err)
		live.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: lbAddress[r.name]}}
		_, err = admin.CoreV1().Services(ns).UpdateStatus(ctx, live, metav1.UpdateOptions{})
		require.NoError(t, err)
		instances[r.name] = s.startChartArchway(t, r)
	}

	pub, priv := s.StartBackend(t, "pub"), s.StartBackend(t, "priv")
	s.CreateService(t, ns, "pub", true, pub)
	s.CreateService(t, ns, "priv", true, priv)
	s.CreateIngress(t, harness.WithClass(harness.NewIngress(ns, "pub", harness.Route{Host: "pub.example.com", Path: "/", PathType: networkingv1.PathTypePrefix, Service: "pub"}), external.class))
	s.CreateIngress(t, harness.WithClass(harness.NewIngress(ns, "priv", harness.Route{Host: "priv.example.com", Path: "/", PathType: networkingv1.PathTypePrefix, Service: "priv"}), internal.class))

	instances[external.name].WaitFor(t, "pub.example.com", "/", harness.Served("pub"))
	instances[external.name].Expect(t, "priv.example.com", "/", harness.NotFound)
	// The internal example fences the whole instance to private networks
	// through its ConfigMap: a loopback client is refused until the
	// ConfigMap lets it in, and then it is served.
	instances[internal.name].WaitFor(t, "priv.example.com", "/", harness.Answer{Status: http.StatusForbidden})
	for _, o := range internal.docs {
		if o.kind != "ConfigMap" {
			continue
		}
		cm, err := admin.CoreV1().ConfigMaps(ns).Get(ctx, o.name, metav1.GetOptions{})
		require.NoError(t, err)
		cm.Data["whitelist-source-range"] += ",127.0.0.1/32"
		_, err = admin.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{})
		require.NoError(t, err)
	}
	instances[internal.name].WaitFor(t, "priv.example.com", "/", harness.Served("priv"))
	instances[internal.name].Expect(t, "pub.example.com", "/", harness.NotFound)

	// Each release writes its own load balancer into its Ingresses' status.
	for ingress, release := range map[string]string{"pub": external.name, "priv": internal.name} {
		require.NoError(t, harness.Eventually(30*time.Second, 100*time.Millisecond, func() error {
			ing, err := admin.NetworkingV1().Ingresses(ns).Get(ctx, ingress, metav1.GetOptions{})
			if err != nil {
				return err
			}
			want := []networkingv1.IngressLoadBalancerIngress{{IP: lbAddress[release]}}
			if got := ing.Status.LoadBalancer.Ingress; !equalAddresses(got, want) {
				return fmt.Errorf("Ingress %s status %v, want %v", ingress, got, want)
			}
			return nil
		}))
	}
}

func equalAddresses(a, b []networkingv1.IngressLoadBalancerIngress) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].IP != b[i].IP || a[i].Hostname != b[i].Hostname {
			return false
		}
	}
	return true
}

// pod returns the pod template of the release's Deployment or DaemonSet.
func (r chartRelease) pod(t *testing.T) corev1.PodTemplateSpec {
	t.Helper()
	for _, o := range r.docs {
		switch o.kind {
		case "Deployment":
			var d appsv1.Deployment
			r.get(t, o.kind, o.name, &d)
			return d.Spec.Template
		case "DaemonSet":
			var d appsv1.DaemonSet
			r.get(t, o.kind, o.name, &d)
			return d.Spec.Template
		}
	}
	require.Failf(t, "no workload", "release %s has neither a Deployment nor a DaemonSet", r.name)
	return corev1.PodTemplateSpec{}
}

// startChartArchway runs archway with the flags of the release's pod and a
// token of the release's ServiceAccount. The harness keeps the runtime
// folder (the pod's emptyDir) and names the Lease's namespace, which in a
// pod comes from $POD_NAMESPACE. A pod on the pod network has ports of its
// own, so the harness picks free ones in their place; a hostNetwork pod
// takes the node's, and this host is the node: archway gets the ports of
// the chart's flags, which the pod's container ports must name.
func (s *suite) startChartArchway(t *testing.T, r chartRelease) *archway {
	t.Helper()
	pod := r.pod(t).Spec
	require.Len(t, pod.Containers, 1)
	var listen *harness.Listen
	if pod.HostNetwork {
		listen = containerPorts(t, pod.Containers[0])
	}
	var args []string
	for _, a := range pod.Containers[0].Args {
		name, _, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		switch name {
		case "runtime-dir":
		case "http-port", "https-port", "metrics-address":
			if pod.HostNetwork {
				args = append(args, a)
			}
		default:
			args = append(args, a)
		}
	}
	args = append(args, "--election-namespace="+r.namespace)

	sa := harness.Account{Namespace: r.namespace, Name: pod.ServiceAccountName}
	token, err := s.Cluster.Admin.CoreV1().ServiceAccounts(sa.Namespace).CreateToken(t.Context(), sa.Name,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)}},
		metav1.CreateOptions{})
	require.NoError(t, err)
	sa.Token = token.Status.Token
	kubeconfig, err := s.Cluster.WriteKubeconfig(r.namespace+"-"+r.name, sa.Token)
	require.NoError(t, err)

	// The authorizer learns of new bindings from its cache: wait until it
	// grants the last rule of each of the chart's roles.
	var role rbacv1.Role
	r.get(t, "Role", "", &role)
	var clusterRole rbacv1.ClusterRole
	r.get(t, "ClusterRole", "", &clusterRole)
	for _, probe := range []authorizationv1.ResourceAttributes{
		lastRule(role.Rules, r.namespace), lastRule(clusterRole.Rules, ""),
	} {
		require.NoError(t, harness.Eventually(10*time.Second, 50*time.Millisecond, func() error {
			ok, err := harness.Allowed(t.Context(), s.Cluster.Admin, sa, probe)
			if err == nil && !ok {
				err = fmt.Errorf("%s may not yet %s %s", sa.Name, probe.Verb, probe.Resource)
			}
			return err
		}))
	}
	return s.startArchway(t, harness.ArchwayOptions{Class: r.class, Kubeconfig: kubeconfig, Args: args, Listen: listen})
}

// containerPorts returns the container's ports named http, https and
// metrics.
func containerPorts(t *testing.T, c corev1.Container) *harness.Listen {
	t.Helper()
	byName := map[string]int{}
	for _, p := range c.Ports {
		byName[p.Name] = int(p.ContainerPort)
	}
	listen := &harness.Listen{HTTP: byName["http"], HTTPS: byName["https"], Metrics: byName["metrics"]}
	require.NotZero(t, listen.HTTP)
	require.NotZero(t, listen.HTTPS)
	require.NotZero(t, listen.Metrics)
	return listen
}

func lastRule(rules []rbacv1.PolicyRule, namespace string) authorizationv1.ResourceAttributes {
	last := rules[len(rules)-1]
	return authorizationv1.ResourceAttributes{
		Namespace: namespace, Verb: last.Verbs[0], Group: last.APIGroups[0], Resource: last.Resources[0],
	}
}
