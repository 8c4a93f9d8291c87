package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/testutil"
)

// gatewayManifests are this instance's GatewayClass (the default
// --gateway-controller-name) and a Gateway gw of it with the listener, a
// flow mapping.
func gatewayManifests(listener string) string {
	return testutil.GatewayClassYAML + `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: archway
  listeners: [` + listener + `]
`
}

// TestFolderGatewayAPI serves an HTTPRoute from a folder beside an
// Ingress through one nginx: an Exact match, a PathPrefix match split
// over two weighted backends, a path both claim, which the Ingress keeps,
// and a rule whose only backend is missing (500).
func TestFolderGatewayAPI(t *testing.T) {
	f := startFolderInstance(t)
	f.write("backends.yaml", backendManifests("one", namedBackend(t, "one"))+"---"+backendManifests("two", namedBackend(t, "two")))
	f.write("ingress.yaml", ingressManifest("legacy", "shop.example.com", "/legacy", "two"))
	f.write("gateway.yaml", gatewayManifests("{name: http, protocol: HTTP, port: 80}")+`
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop}
spec:
  parentRefs: [{name: gw}]
  hostnames: [shop.example.com]
  rules:
  - matches: [{path: {type: Exact, value: /cart}}]
    backendRefs: [{name: one, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /api}}]
    backendRefs: [{name: one, port: 80, weight: 1}, {name: two, port: 80, weight: 1}]
  - matches: [{path: {type: PathPrefix, value: /legacy}}]
    backendRefs: [{name: one, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /gone}}]
    backendRefs: [{name: gone, port: 80}]
`)
	t.Logf("HTTPRoute served after %v", f.waitFor("shop.example.com", "/cart", "200 one"))
	require.Equal(t, "404", f.get("shop.example.com", "/cart/more")[:3], "Exact matches the path alone")
	require.Equal(t, "200 two", f.get("shop.example.com", "/legacy"), "the Ingress keeps the route it shares with the HTTPRoute")
	require.Equal(t, "500", f.get("shop.example.com", "/gone")[:3], "a rule whose backendRefs are all unusable answers 500")

	seen := map[string]int{}
	for range 60 {
		seen[f.get("shop.example.com", "/api/items")]++
	}
	require.Len(t, seen, 2, "both weighted backends answer: %v", seen)
	require.Positive(t, seen["200 one"])
	require.Positive(t, seen["200 two"])
}

// TestFolderGatewayHTTPS serves an HTTPRoute through a Gateway's HTTPS
// listener: its hosts get the listener's certificate by SNI, over HTTP/2,
// and a renewed Secret is served without a restart.
func TestFolderGatewayHTTPS(t *testing.T) {
	f := startFolderInstance(t)
	cert := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"*.example.com"}})
	f.write("backends.yaml", backendManifests("one", namedBackend(t, "one")))
	gateway := func(cert testutil.Cert) string {
		return tlsSecretManifest("wild", cert) + "---" +
			gatewayManifests(`{name: https, protocol: HTTPS, port: 443, hostname: "*.example.com", tls: {certificateRefs: [{name: wild}]}}`) + `---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop}
spec:
  parentRefs: [{name: gw}]
  hostnames: [shop.example.com]
  rules: [{backendRefs: [{name: one, port: 80}]}]
`
	}
	f.write("gateway.yaml", gateway(cert))
	client := func(cert testutil.Cert) *http.Client {
		roots := x509.NewCertPool()
		roots.AddCert(cert.Leaf)
		address := net.JoinHostPort("127.0.0.1", strconv.Itoa(f.httpsPort))
		return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: roots},
			ForceAttemptHTTP2: true,
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, address)
			},
		}}
	}
	// get answers the protocol, status and body of a request to the
	// route's host that verifies the certificate.
	get := func(c *http.Client) (proto, body string) {
		defer c.CloseIdleConnections() // open ones would hold nginx's stop
		resp, err := c.Get("https://shop.example.com/")
		if err != nil {
			return "", err.Error()
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.Proto, strconv.Itoa(resp.StatusCode) + " " + string(data)
	}
	require.Eventually(t, func() bool {
		_, body := get(client(cert))
		return body == "200 one"
	}, 10*time.Second, 20*time.Millisecond, "the listener's certificate is served for the route's host")
	proto, _ := get(client(cert))
	require.Equal(t, "HTTP/2.0", proto, "HTTPS listeners speak HTTP/2")

	leaf, _ := f.handshake("other.example.com")
	require.Equal(t, defaultCertificateName, leaf.Subject.CommonName, "a host no route names keeps the default certificate")

	renewed := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"*.example.com"}})
	f.write("gateway.yaml", gateway(renewed))
	require.Eventually(t, func() bool {
		_, body := get(client(renewed))
		return body == "200 one"
	}, 10*time.Second, 20*time.Millisecond, "the renewed Secret is served")
}

// TestFolderGatewayCatchAllCertificate serves, as conformance
// HTTPRouteHTTPSListener does, a Gateway with a hostless HTTPS listener:
// its certificate answers its routes' hosts and the names no host has
// (404), while an Ingress host without TLS keeps the default certificate.
func TestFolderGatewayCatchAllCertificate(t *testing.T) {
	f := startFolderInstance(t)
	cert := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"*", "*.org"}})
	f.write("backends.yaml", backendManifests("one", namedBackend(t, "one"))+"---"+backendManifests("two", namedBackend(t, "two")))
	f.write("ingress.yaml", ingressManifest("legacy", "plain.example.net", "/", "one"))
	f.write("gateway.yaml", tlsSecretManifest("any", cert)+"---"+gatewayManifests(
		`{name: https, protocol: HTTPS, port: 443, tls: {certificateRefs: [{name: any}]}},
   {name: https-with-hostname, protocol: HTTPS, port: 443, hostname: second-example.org, tls: {certificateRefs: [{name: any}]}}`)+`---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: named}
spec:
  parentRefs: [{name: gw}]
  hostnames: [example.org]
  rules: [{backendRefs: [{name: one, port: 80}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: no-hostname}
spec:
  parentRefs: [{name: gw, sectionName: https-with-hostname}]
  rules: [{backendRefs: [{name: two, port: 80}]}]
`)
	f.waitFor("example.org", "/", "200 one")
	for host, status := range map[string]int{"example.org": 200, "second-example.org": 200, "unknown-example.org": 404} {
		require.Eventually(t, func() bool {
			leaf, code := f.handshake(host)
			return leaf.Equal(cert.Leaf) && code == status
		}, 10*time.Second, 20*time.Millisecond, "%s: the listener's certificate and %d", host, status)
	}
	leaf, code := f.handshake("plain.example.net")
	require.Equal(t, 200, code)
	require.Equal(t, defaultCertificateName, leaf.Subject.CommonName, "an Ingress host without TLS keeps the default certificate")
}
