package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/archway-ingress/archway/internal/testutil"
	"github.com/archway-ingress/archway/internal/webhook"
	"github.com/archway-ingress/archway/test/harness"
)

// warnings collects the admission warnings the API server returns.
type warnings struct {
	mu   sync.Mutex
	seen []string
}

func (w *warnings) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seen = append(w.seen, text)
}

func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	seen := w.seen
	w.seen = nil
	return seen
}

// TestAdmissionWebhook registers archway's webhook (--webhook-address)
// with the real API server, as the chart does but with clientConfig.url on
// loopback and the caBundle of its certificate, failurePolicy Ignore, for
// this test's namespace only. Creates and updates as kubectl sends them:
// an Ingress of archway's class that it would not serve as written is
// refused with the finding in the message, a warning comes back as an
// admission warning, Ingresses of other classes are admitted whatever
// they hold, and once archway is down the API server admits again. It
// logs the webhook's added latency per create (not asserted).
func TestAdmissionWebhook(t *testing.T) {
	t.Parallel()
	s := env
	ns := s.classNamespace(t)
	class := ns

	cert := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"127.0.0.1"}})
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	require.NoError(t, os.WriteFile(certFile, cert.CertPEM, 0o600))
	require.NoError(t, os.WriteFile(keyFile, cert.KeyPEM, 0o600))
	ports, err := harness.FreePorts(1)
	require.NoError(t, err)
	address := fmt.Sprintf("127.0.0.1:%d", ports[0])
	a := s.startArchway(t, harness.ArchwayOptions{Class: class, Args: []string{
		"--webhook-address=" + address, "--webhook-cert-file=" + certFile, "--webhook-key-file=" + keyFile,
	}})
	registerWebhook(t, ns, "https://"+address+webhook.Path, cert.CertPEM)

	config := s.Cluster.AdminConfig()
	seen := &warnings{}
	config.WarningHandler = seen
	client, err := kubernetes.NewForConfig(config)
	require.NoError(t, err)
	create := func(ing *networkingv1.Ingress, dryRun ...string) error {
		_, err := client.NetworkingV1().Ingresses(ing.Namespace).Create(t.Context(), ing, metav1.CreateOptions{DryRun: dryRun})
		return err
	}
	prefix := networkingv1.PathTypePrefix
	ingress := func(namespace, name, className string, pathType networkingv1.PathType, path string) *networkingv1.Ingress {
		return harness.WithClass(harness.NewIngress(namespace, name,
			harness.Route{Host: name + ".webhook.test", Path: path, PathType: pathType, Service: "web"}), className)
	}
	snippet := func(ing *networkingv1.Ingress) *networkingv1.Ingress {
		ing.Annotations = map[string]string{"nginx.ingress.kubernetes.io/configuration-snippet": "proxy_pass http://169.254.169.254;"}
		return ing
	}

	// The API server reads webhook configurations from its own informer:
	// wait until it calls this one.
	require.NoError(t, harness.Eventually(10*time.Second, 50*time.Millisecond, func() error {
		if err := create(snippet(ingress(ns, "probe", class, prefix, "/")), metav1.DryRunAll); !apierrors.IsInvalid(err) {
			return fmt.Errorf("not refused yet: %v", err)
		}
		return nil
	}))

	t.Run("refused with the finding", func(t *testing.T) {
		err := create(snippet(ingress(ns, "snippet", class, prefix, "/")))
		require.True(t, apierrors.IsInvalid(err), "%v", err)
		msg := err.Error()
		require.Contains(t, msg, `admission webhook "validate.archway.dev" denied the request: archway (class `+class+`) would not serve this Ingress as written`)
		require.Contains(t, msg, "metadata.annotations[nginx.ingress.kubernetes.io/configuration-snippet]: ")
		require.Contains(t, msg, "; fix: ")
		_, err = client.NetworkingV1().Ingresses(ns).Get(t.Context(), "snippet", metav1.GetOptions{})
		require.True(t, apierrors.IsNotFound(err), "a refused Ingress is not stored: %v", err)
	})
	t.Run("an update is refused too", func(t *testing.T) {
		require.NoError(t, create(ingress(ns, "updated", class, prefix, "/")))
		_, err := client.NetworkingV1().Ingresses(ns).Update(t.Context(), snippet(ingress(ns, "updated", class, prefix, "/a@b")), metav1.UpdateOptions{})
		require.True(t, apierrors.IsInvalid(err), "%v", err)
		require.Contains(t, err.Error(), "spec.rules[0].http.paths[0].path: ")
		require.Contains(t, err.Error(), "(InvalidPath)")
	})
	t.Run("warnings are returned", func(t *testing.T) {
		seen.take()
		require.NoError(t, create(ingress(ns, "string-prefix", class, networkingv1.PathTypeImplementationSpecific, "/app")))
		got := seen.take()
		require.Len(t, got, 1, "%q", got)
		require.True(t, strings.HasSuffix(got[0], "(StringPrefix)"), got[0])
	})
	t.Run("other classes are admitted", func(t *testing.T) {
		// Each would be refused, and warned about, if it were archway's.
		specific := networkingv1.PathTypeImplementationSpecific
		require.NoError(t, create(snippet(ingress(ns, "ingress-nginx", "nginx", specific, "/app"))))
		legacy := snippet(ingress(ns, "legacy", "", specific, "/app"))
		legacy.Spec.IngressClassName = nil
		legacy.Annotations["kubernetes.io/ingress.class"] = "nginx"
		require.NoError(t, create(legacy))
		for _, w := range seen.take() { // the API server's own deprecation warning stays
			require.NotContains(t, w, "(StringPrefix)")
		}
	})

	// Latency: creates of valid Ingresses of the class, with the webhook
	// and without (labelled so that its objectSelector leaves them out),
	// alternating.
	const creates = 40
	var with, without []time.Duration
	for i := range creates {
		for _, skip := range []bool{false, true} {
			ing := ingress(ns, fmt.Sprintf("latency-%d-%t", i, skip), class, prefix, "/")
			if skip {
				ing.Labels = map[string]string{unjudged: "true"}
			}
			start := time.Now()
			require.NoError(t, create(ing))
			if took := time.Since(start); skip {
				without = append(without, took)
			} else {
				with = append(with, took)
			}
		}
	}
	t.Logf("webhook's added latency per create: %s (median of %d creates: %s with the webhook, %s without)",
		median(with)-median(without), creates, median(with), median(without))

	a.Stop(t)
	// failurePolicy Ignore: with the webhook down, the API server admits.
	require.NoError(t, create(snippet(ingress(ns, "while-down", class, prefix, "/"))))
}

// unjudged is the label of the Ingresses that the test's webhook
// configuration leaves out.
const unjudged = "webhook-e2e.archway.dev/skip"

// registerWebhook registers url as the validating webhook of Ingresses in
// namespace, as the chart's ValidatingWebhookConfiguration does but for
// one namespace (and without the Ingresses labelled unjudged), and deletes
// it when the test ends.
func registerWebhook(t *testing.T, namespace, url string, caBundle []byte) {
	configs := env.Cluster.Admin.AdmissionregistrationV1().ValidatingWebhookConfigurations()
	_, err := configs.Create(t.Context(), &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "archway-" + namespace},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:         "validate.archway.dev",
			ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: caBundle},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
				Rule: admissionregistrationv1.Rule{APIGroups: []string{"networking.k8s.io"}, APIVersions: []string{"v1"},
					Resources: []string{"ingresses"}, Scope: ptr.To(admissionregistrationv1.NamespacedScope)},
			}},
			FailurePolicy:           ptr.To(admissionregistrationv1.Ignore),
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
			AdmissionReviewVersions: []string{"v1"},
			TimeoutSeconds:          ptr.To[int32](5),
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{
				"kubernetes.io/metadata.name": namespace,
			}},
			ObjectSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
				Key: unjudged, Operator: metav1.LabelSelectorOpDoesNotExist,
			}}},
		}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, configs.Delete(ctx, "archway-"+namespace, metav1.DeleteOptions{}))
	})
}

func median(d []time.Duration) time.Duration {
	sorted := slices.Clone(d)
	slices.Sort(sorted)
	return sorted[len(sorted)/2]
}
