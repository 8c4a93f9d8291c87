package e2e

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/archway-ingress/archway/internal/testutil"
	"github.com/archway-ingress/archway/test/harness"
)

// TestSSLPassthrough runs archway with --enable-ssl-passthrough against
// the API server: an ssl-passthrough Ingress's host answers with its
// backend's own certificate, and the backend reads the client's address
// from the PROXY header; another host on the same port keeps archway's
// TLS, HTTP/2 and X-Forwarded-For; an Ingress of another namespace that
// routes the passthrough host gets a Warning Event PassthroughConflict.
func TestSSLPassthrough(t *testing.T) {
	t.Parallel()
	s := env
	ns := s.classNamespace(t)
	ctx, admin := t.Context(), s.Cluster.Admin
	s.CreateService(t, ns, "app", true, s.StartBackend(t, "app"))
	// The API server refuses loopback endpoints: the TLS backend listens
	// on the host's address on a backend's network.
	vaultIP := s.StartBackend(t, "vault-net").HostIP
	vault := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"vault.example"}})
	vaultPort := testutil.TLSBackend(t, vaultIP, vault, true)
	_, err := admin.CoreV1().Services(ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "vault"},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "https", Port: 8200}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = admin.DiscoveryV1().EndpointSlices(ns).Create(ctx, &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "vault-1", Labels: map[string]string{discoveryv1.LabelServiceName: "vault"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("https"), Port: ptr.To(int32(vaultPort))}},
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{vaultIP}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	a := s.startArchway(t, harness.ArchwayOptions{Class: ns, Args: []string{"--enable-ssl-passthrough"}})

	const prefix = networkingv1.PathTypePrefix
	pass := harness.WithClass(harness.NewIngress(ns, "vault",
		harness.Route{Host: "vault.example", Path: "/", PathType: prefix, Service: "vault", PortName: "https"}), ns)
	pass.Annotations = map[string]string{
		"nginx.ingress.kubernetes.io/ssl-passthrough":                "true",
		"nginx.ingress.kubernetes.io/ssl-passthrough-proxy-protocol": "true",
	}
	s.CreateIngress(t, pass)
	s.CreateIngress(t, harness.WithClass(harness.NewIngress(ns, "web",
		harness.Route{Host: "web.example", Path: "/", PathType: prefix, Service: "app"}), ns))

	// Clients connect from 127.0.0.3, which nginx never is.
	client := func(sni string) *http.Client {
		return &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
			DisableKeepAlives: true, ForceAttemptHTTP2: true,
			TLSClientConfig: &tls.Config{ServerName: sni, InsecureSkipVerify: true},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.3")}}
				return d.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", strconv.Itoa(a.HTTPSPort)))
			},
		}}
	}
	require.NoError(t, harness.Eventually(30*time.Second, 100*time.Millisecond, func() error {
		resp, err := client("vault.example").Get("https://vault.example/")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		switch {
		case err != nil:
			return err
		case !resp.TLS.PeerCertificates[0].Equal(vault.Leaf):
			return fmt.Errorf("presented %v", resp.TLS.PeerCertificates[0].Subject)
		case string(body) != "127.0.0.3":
			return fmt.Errorf("the backend saw client %q", body)
		}
		return nil
	}), "the passthrough host")
	require.NoError(t, harness.Eventually(20*time.Second, 100*time.Millisecond, func() error {
		resp, err := client("web.example").Get("https://web.example/")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var echoed struct{ Headers http.Header }
		err = json.NewDecoder(resp.Body).Decode(&echoed)
		switch {
		case err != nil:
			return err
		case resp.StatusCode != http.StatusOK || resp.Header.Get("X-Backend") != "app":
			return fmt.Errorf("answered %s", resp.Status)
		case resp.TLS.PeerCertificates[0].Equal(vault.Leaf):
			return fmt.Errorf("presented the passthrough backend's certificate")
		case resp.ProtoMajor != 2:
			return fmt.Errorf("answered over %s", resp.Proto)
		case echoed.Headers.Get("X-Forwarded-For") != "127.0.0.3":
			return fmt.Errorf("X-Forwarded-For %q", echoed.Headers.Get("X-Forwarded-For"))
		}
		return nil
	}), "archway's TLS beside it")

	// An Ingress of another namespace, younger, routes the passthrough host.
	other := ns + "-other"
	s.NewNamespaceNamed(t, other)
	s.CreateIngress(t, harness.WithClass(harness.NewIngress(other, "intruder",
		harness.Route{Host: "vault.example", Path: "/", PathType: prefix, Service: "app"}), ns))
	require.NoError(t, harness.Eventually(30*time.Second, 200*time.Millisecond, func() error {
		events, err := s.ingressEvents(ctx, other, "intruder")
		if err != nil {
			return err
		}
		for _, e := range events {
			if e.Reason == "PassthroughConflict" && e.Type == corev1.EventTypeWarning && !strings.Contains(e.Message, ns+"/") {
				return nil
			}
		}
		return fmt.Errorf("no Warning Event PassthroughConflict among %d", len(events))
	}))
}
