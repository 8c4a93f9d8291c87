package chart

import (
	"crypto/x509"
	"encoding/pem"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/archway-ingress/archway/internal/webhook"
)

// certificate is a cert-manager Certificate, with the fields the chart
// sets (strict decoding catches a misspelt one).
type certificate struct {
	APIVersion string
	Kind       string
	Metadata   struct {
		Name, Namespace string
		Labels          map[string]string
	}
	Spec struct {
		SecretName, CommonName, Duration, RenewBefore string
		DNSNames                                      []string
		IsCA                                          bool
		PrivateKey                                    struct {
			Algorithm, RotationPolicy string
			Size                      int
		}
		Usages    []string
		IssuerRef struct{ Name, Kind, Group string }
	}
}

// checkWebhook checks that a release with the admission webhook runs it
// as its configuration calls it: the flags, the container port behind the
// webhook Service, the certificate mounted from the Secret whose CA the
// configuration trusts (or cert-manager injects), and the selectors. A
// release without it has none of it.
func checkWebhook(t *testing.T, r release, d deployed) {
	t.Helper()
	args := flags(t, d.container)
	if !r.has("ValidatingWebhookConfiguration") {
		require.NotContains(t, args, "webhook-address")
		for _, p := range d.container.Ports {
			require.NotEqual(t, "webhook", p.Name)
		}
		return
	}
	var config admissionregistrationv1.ValidatingWebhookConfiguration
	r.get(t, "ValidatingWebhookConfiguration", &config)
	require.Len(t, config.Webhooks, 1)
	w := config.Webhooks[0]
	require.Equal(t, "validate.archway.dev", w.Name)
	require.Equal(t, []string{"v1"}, w.AdmissionReviewVersions)
	require.Equal(t, admissionregistrationv1.SideEffectClassNone, *w.SideEffects)
	require.Equal(t, []admissionregistrationv1.RuleWithOperations{{
		Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
		Rule: admissionregistrationv1.Rule{APIGroups: []string{"networking.k8s.io"}, APIVersions: []string{"v1"},
			Resources: []string{"ingresses"}, Scope: ptr.To(admissionregistrationv1.NamespacedScope)},
	}}, w.Rules)
	require.Equal(t, []admissionregistrationv1.MatchCondition{{Name: "class",
		Expression: "!has(object.spec.ingressClassName) || object.spec.ingressClassName == '" + args["ingress-class"] + "'"}}, w.MatchConditions)

	// The Service sends port 443 to the pod's webhook port, where archway
	// listens.
	ref := w.ClientConfig.Service
	require.Equal(t, r.namespace, ref.Namespace)
	require.Equal(t, webhook.Path, *ref.Path)
	var svc corev1.Service
	r.named(t, "Service", ref.Name, &svc)
	require.Equal(t, *ref.Port, svc.Spec.Ports[0].Port)
	require.Equal(t, "webhook", svc.Spec.Ports[0].TargetPort.String())
	require.Equal(t, d.selector, svc.Spec.Selector)
	var port int32
	for _, p := range d.container.Ports {
		if p.Name == "webhook" {
			port = p.ContainerPort
		}
	}
	require.NotZero(t, port)
	require.Equal(t, ":"+strconv.Itoa(int(port)), args["webhook-address"])

	// The certificate files are the mounted Secret's.
	mount := d.container.VolumeMounts[1]
	require.True(t, mount.ReadOnly)
	require.Equal(t, mount.MountPath+"/tls.crt", args["webhook-cert-file"])
	require.Equal(t, mount.MountPath+"/tls.key", args["webhook-key-file"])
	volume := d.pod.Spec.Volumes[1]
	require.Equal(t, mount.Name, volume.Name)
	secretName := volume.Secret.SecretName
	host := ref.Name + "." + ref.Namespace + ".svc" // what the API server verifies

	if !r.has("Certificate") {
		var secret corev1.Secret
		r.named(t, "Secret", secretName, &secret)
		require.Equal(t, corev1.SecretTypeTLS, secret.Type)
		require.Equal(t, secret.Data["ca.crt"], w.ClientConfig.CABundle)
		roots := x509.NewCertPool()
		require.True(t, roots.AppendCertsFromPEM(w.ClientConfig.CABundle))
		block, _ := pem.Decode(secret.Data["tls.crt"])
		require.NotNil(t, block)
		leaf, err := x509.ParseCertificate(block.Bytes)
		require.NoError(t, err)
		_, err = leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: roots})
		require.NoError(t, err, "the API server must trust the serving certificate")
		require.NotEmpty(t, secret.Data["tls.key"])
		return
	}
	require.False(t, r.hasNamed("Secret", secretName), "cert-manager writes the Secret")
	require.Empty(t, w.ClientConfig.CABundle, "cert-manager's cainjector fills it")
	var cert certificate
	r.named(t, "Certificate", secretName, &cert)
	require.Equal(t, secretName, cert.Spec.SecretName)
	require.Contains(t, cert.Spec.DNSNames, host)
	require.Equal(t, r.namespace+"/"+cert.Metadata.Name, config.Annotations["cert-manager.io/inject-ca-from"])
}

// TestWebhookValues renders the admission webhook with each certificate
// source; checkRelease (checkWebhook, checkRBAC) checks the rest.
func TestWebhookValues(t *testing.T) {
	on := "admissionWebhook.enabled=true"
	certManager := "admissionWebhook.certificate.certManager.enabled=true"
	tests := map[string]valueCase{
		"off by default": {
			check: func(t *testing.T, r release, _ deployed) {
				require.False(t, r.has("ValidatingWebhookConfiguration"))
				require.False(t, r.hasNamed("Service", "archway-webhook"))
			},
		},
		"the chart's certificate, behind a NetworkPolicy": {
			set: []string{on, "networkPolicy.enabled=true"},
			check: func(t *testing.T, r release, _ deployed) {
				var config admissionregistrationv1.ValidatingWebhookConfiguration
				r.get(t, "ValidatingWebhookConfiguration", &config)
				w := config.Webhooks[0]
				require.Equal(t, admissionregistrationv1.Ignore, *w.FailurePolicy, "Ignore by default")
				require.Equal(t, int32(10), *w.TimeoutSeconds)
				require.Equal(t, []metav1.LabelSelectorRequirement{{Key: "kubernetes.io/metadata.name",
					Operator: metav1.LabelSelectorOpNotIn, Values: []string{"kube-system", "kube-public", "kube-node-lease"}}},
					w.NamespaceSelector.MatchExpressions, "system namespaces are left alone")
				require.False(t, r.has("Certificate"))
			},
		},
		"cert-manager with a CA of the release's own": {
			set: []string{on, certManager},
			check: func(t *testing.T, r release, _ deployed) {
				var ca, serving certificate
				r.named(t, "Certificate", "archway-webhook-ca", &ca)
				require.True(t, ca.Spec.IsCA)
				require.True(t, r.hasNamed("Issuer", "archway-webhook-selfsigned"))
				require.True(t, r.hasNamed("Issuer", "archway-webhook-ca"))
				r.named(t, "Certificate", "archway-webhook", &serving)
				require.Equal(t, "archway-webhook-ca", serving.Spec.IssuerRef.Name)
				require.Equal(t, "Issuer", serving.Spec.IssuerRef.Kind)
			},
		},
		"cert-manager with the cluster's issuer, failing closed, one team's Ingresses": {
			set: []string{on, certManager, "admissionWebhook.certificate.certManager.issuerRef.name=corp-ca",
				"admissionWebhook.certificate.certManager.issuerRef.kind=ClusterIssuer",
				"admissionWebhook.failurePolicy=Fail", "admissionWebhook.objectSelector.matchLabels.team=shop"},
			check: func(t *testing.T, r release, _ deployed) {
				require.False(t, r.has("Issuer"))
				var serving certificate
				r.get(t, "Certificate", &serving)
				require.Equal(t, "corp-ca", serving.Spec.IssuerRef.Name)
				require.Equal(t, "ClusterIssuer", serving.Spec.IssuerRef.Kind)
				var config admissionregistrationv1.ValidatingWebhookConfiguration
				r.get(t, "ValidatingWebhookConfiguration", &config)
				require.Equal(t, admissionregistrationv1.Fail, *config.Webhooks[0].FailurePolicy)
				require.Equal(t, map[string]string{"team": "shop"}, config.Webhooks[0].ObjectSelector.MatchLabels)
			},
		},
	}
	runValueCases(t, tests)
}
