package render

import (
	"bytes"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/source"
)

// TestCertificateStrengthMatchesNginx makes certificates with the openssl
// command and compares, for each, builder's verdict on it as a
// proxy-ssl-secret and as a TLS Secret with nginx's on the same files:
// nginx refuses the whole config over a key or signature its OpenSSL
// refuses, and a handshake fails over a host's, so build must refuse at
// least all of those. Build refuses more
// only where its checker says so (curves other than P-256, P-384, P-521).
func TestCertificateStrengthMatchesNginx(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	require.NoError(t, err, "the openssl command makes this test's certificates")
	dir := t.TempDir()
	file := func(name string) string { return filepath.Join(dir, name) }
	sh := func(args ...string) {
		out, err := exec.Command(openssl, args...).CombinedOutput()
		require.NoError(t, err, "openssl %v: %s", args, out)
	}
	const san = "subjectAltName=DNS:a.test"
	selfSigned := func(name string, newKey ...string) {
		sh(append([]string{"req", "-x509", "-nodes", "-subj", "/CN=" + name, "-addext", san, "-days", "2",
			"-keyout", file(name + ".key"), "-out", file(name + ".crt")}, newKey...)...)
	}
	issued := func(name, ca, digest string) {
		sh("req", "-new", "-nodes", "-newkey", "rsa:2048", "-subj", "/CN="+name, "-addext", san,
			"-keyout", file(name+".key"), "-out", file(name+".csr"))
		sh("x509", "-req", "-in", file(name+".csr"), "-copy_extensions", "copy", "-CA", file(ca+".crt"), "-CAkey", file(ca+".key"),
			"-set_serial", "2", "-days", "2", digest, "-out", file(name+".crt"))
	}
	selfSigned("rsa-2048", "-newkey", "rsa:2048")
	selfSigned("rsa-1024", "-newkey", "rsa:1024")
	selfSigned("ec-p256", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1")
	selfSigned("ec-p384", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:secp384r1")
	selfSigned("ec-p224", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:secp224r1")
	selfSigned("ed25519", "-newkey", "ed25519")
	issued("sha1-signed", "rsa-2048", "-sha1")
	issued("of-weak-ca", "rsa-1024", "-sha256")
	chain, err := os.ReadFile(file("of-weak-ca.crt"))
	require.NoError(t, err)
	weakCA, err := os.ReadFile(file("rsa-1024.crt"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file("weak-ca-in-chain.crt"), append(chain, weakCA...), 0o600))
	require.NoError(t, os.Link(file("of-weak-ca.key"), file("weak-ca-in-chain.key")))

	tests := map[string]struct{ build, nginx bool }{
		"rsa-2048":         {build: true, nginx: true},
		"rsa-1024":         {build: false, nginx: false}, // ee key too small
		"ec-p256":          {build: true, nginx: true},
		"ec-p384":          {build: true, nginx: true},
		"ec-p224":          {build: false, nginx: true}, // 112 bits pass level 2; build keeps to the common curves
		"ed25519":          {build: true, nginx: true},
		"sha1-signed":      {build: false, nginx: false}, // ca md too weak
		"of-weak-ca":       {build: true, nginx: true},   // the issuer is not loaded
		"weak-ca-in-chain": {build: false, nginx: false}, // ca key too small
	}
	for name, want := range tests {
		crt, err := os.ReadFile(file(name + ".crt"))
		require.NoError(t, err)
		key, err := os.ReadFile(file(name + ".key"))
		require.NoError(t, err)
		for _, use := range []certificateUse{backendClient, serverTLS} {
			t.Run(name+"/"+use.name, func(t *testing.T) {
				require.Equal(t, want.build, use.buildAccepts(t, crt, key), "build")
				require.Equal(t, want.nginx, use.nginxAccepts(t, crt, key), "nginx -t")
			})
		}
	}
}

// certificateUse is one way archway hands a certificate and key to
// OpenSSL: each can ask build and nginx -t whether they take them.
type certificateUse struct {
	name string
	// annotations and tls shape the Ingress whose Secret holds them.
	annotations map[string]string
	tls         bool
	// field prefixes the Problem fields that refuse them.
	field string
	// place puts them into a location's policy and its server.
	place func(pol *model.Policy, s *model.Server, crt, key []byte)
}

var (
	backendClient = certificateUse{name: "proxy-ssl-secret",
		annotations: map[string]string{"proxy-ssl-secret": "cert"},
		field:       builder.AnnotationField(annotations.DefaultPrefix + "/proxy-ssl-secret"),
		place: func(pol *model.Policy, _ *model.Server, crt, key []byte) {
			pol.BackendTLS = &model.BackendTLS{ClientCertificate: crt, ClientKey: key}
		}}
	serverTLS = certificateUse{name: "tls", tls: true, field: "spec.tls[0]",
		place: func(_ *model.Policy, s *model.Server, crt, key []byte) {
			s.Certificate = &model.Certificate{Secret: model.Ref{Namespace: "web", Name: "cert"}, Chain: crt, Key: key}
		}}
)

// buildAccepts reports whether build takes crt and key from the Secret
// of an Ingress for host a.test.
func (u certificateUse) buildAccepts(t *testing.T, crt, key []byte) bool {
	class, prefixType := "archway", networkingv1.PathTypePrefix
	backend := networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
		Name: "app", Port: networkingv1.ServiceBackendPort{Number: 80}}}
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: "app", Annotations: map[string]string{}},
		Spec: networkingv1.IngressSpec{IngressClassName: &class, Rules: []networkingv1.IngressRule{{Host: "a.test",
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
				Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &prefixType, Backend: backend}}}}}}}}
	for k, v := range u.annotations {
		ing.Annotations[annotations.DefaultPrefix+"/"+k] = v
	}
	if u.tls {
		ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{"a.test"}, SecretName: "cert"}}
	}
	snap := source.Snapshot{
		IngressClasses: []*networkingv1.IngressClass{{ObjectMeta: metav1.ObjectMeta{Name: class},
			Spec: networkingv1.IngressClassSpec{Controller: "archway.dev/ingress-controller"}}},
		Ingresses: []*networkingv1.Ingress{ing},
		Secrets: []*corev1.Secret{{ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: "cert"}, Type: corev1.SecretTypeTLS,
			Data: map[string][]byte{"tls.crt": crt, "tls.key": key}}},
	}
	_, report := builder.Build(snap, builder.Options{IngressClass: class, ControllerClass: "archway.dev/ingress-controller"})
	for _, p := range report.Problems {
		if strings.HasPrefix(p.Field, u.field) {
			return false
		}
	}
	return true
}

// nginxAccepts reports whether nginx takes crt and key as u hands them
// to OpenSSL: nginx -t for a backend's client certificate, which is a
// file; a handshake for a host's certificate, which archway pushes.
func (u certificateUse) nginxAccepts(t *testing.T, crt, key []byte) bool {
	r, err := New("")
	require.NoError(t, err)
	pol := annotated(t, map[string]string{"backend-protocol": "HTTPS"})
	server := model.Server{Host: "a.test"}
	u.place(&pol, &server, crt, key)
	server.Locations = []model.Location{with(prefix("/", "app"), "app", pol)}
	cfg := model.Config{
		Backends:           []model.Backend{backend("app", 8443, "127.0.0.1")},
		Servers:            []model.Server{server},
		Settings:           edgeSettings(),
		DefaultCertificate: testCertificate(t, "default"),
	}
	if u.tls {
		// openssl, as Go's TLS client knows no P-224 signatures.
		opts := serveOnFreePorts(t, cfg)
		cmd := exec.Command("openssl", "s_client", "-connect", "127.0.0.1:"+strconv.Itoa(opts.HTTPSPort), "-servername", "a.test",
			"-tls1_2", "-groups", "P-224:P-256:P-384:P-521:X25519") // P-224 is in no default list
		out, _ := cmd.Output() // stdin is empty: it ends after the handshake
		begin := bytes.Index(out, []byte("-----BEGIN CERTIFICATE"))
		if begin < 0 {
			return false
		}
		served, _ := pem.Decode(out[begin:])
		leaf, _ := pem.Decode(crt)
		return served != nil && bytes.Equal(served.Bytes, leaf.Bytes)
	}
	dir := t.TempDir()
	out, err := r.Render(cfg, Options{HTTPPort: 8080, HTTPSPort: 8443, RuntimeDir: dir})
	require.NoError(t, err)
	path := writeFiles(t, dir, out.Files)
	return exec.Command(nginxBinary(t), "-t", "-p", dir, "-c", path, "-e", "stderr").Run() == nil
}
