package controller

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/testutil"
)

// The tenants of these tests: team-a owns sharedHost with the oldest
// Ingress; team-b tries to take it over.
const (
	sharedHost = "shared.example.com"
	teamA      = "team-a"
	teamB      = "team-b"
)

// tenants is a cluster where team-a serves sharedHost from its backend
// and team-b has a backend of its own, which counts the requests with
// team-a's credentials it gets.
type tenants struct {
	*cluster
	stolen atomic.Int64
}

// teamACredentials is the Authorization header of team-a's clients.
const teamACredentials = "Bearer team-a-secret"

func startTenants(t *testing.T) *tenants {
	c := &tenants{cluster: startCluster(t)}
	c.createService(teamA, backend(t, teamA))
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == teamACredentials {
			c.stolen.Add(1)
		}
		_, _ = io.WriteString(w, teamB)
	}))
	t.Cleanup(server.Close)
	c.createService(teamB, int32(server.Listener.Addr().(*net.TCPAddr).Port))
	site := tenantIngress(teamA, "site", "/", nil)
	site.CreationTimestamp = metav1.NewTime(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	c.create(site)
	c.serves(sharedHost, "/", http.StatusOK, teamA)
	return c
}

// createService creates Service web of namespace ns, with one endpoint on
// port.
func (c *tenants) createService(ns string, port int32) {
	svc, slice := service("web"), endpointSlice("web", port)
	svc.Namespace, slice.Namespace = ns, ns
	c.create(svc)
	c.create(slice)
}

// tenantIngress routes path of sharedHost to Service web of ns, with the
// annotations annots (without their prefix).
func tenantIngress(ns, name, path string, annots map[string]string) *networkingv1.Ingress {
	ing := ingress(name, sharedHost)
	ing.Namespace = ns
	ing.Spec.Rules[0].HTTP.Paths[0].Path = path
	ing.Annotations = map[string]string{}
	for k, v := range annots {
		ing.Annotations[annotations.DefaultPrefix+"/"+k] = v
	}
	return ing
}

// attempt creates team-b's Ingress, newer than team-a's, and waits until
// a config that has it is live.
func (c *tenants) attempt(ing *networkingv1.Ingress) {
	c.t.Helper()
	ing.CreationTimestamp = metav1.NewTime(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	c.create(ing)
	sentinel := ingress("sentinel", "sentinel.example.com")
	sentinel.Namespace = teamB
	c.create(sentinel)
	c.serves("sentinel.example.com", "/", http.StatusOK, teamB)
}

// unchanged checks that team-a's host answers as before, over HTTP and
// HTTPS: team-a's backend, no redirect, the default certificate.
func (c *tenants) unchanged() {
	c.t.Helper()
	for range 20 {
		req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(c.port)+"/", nil)
		require.NoError(c.t, err)
		req.Host = sharedHost
		req.Header.Set("Authorization", teamACredentials)
		resp, err := noRedirects.Do(req)
		require.NoError(c.t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(c.t, err)
		require.Equal(c.t, http.StatusOK, resp.StatusCode, "%s", body)
		require.Equal(c.t, teamA, string(body))
	}
	cert, status := c.handshake(sharedHost)
	require.Equal(c.t, http.StatusOK, status, "HTTPS without a client certificate")
	require.True(c.t, cert.Equal(c.fallback.Leaf), "the default certificate, got one for %v", cert.DNSNames)
	require.Zero(c.t, c.stolen.Load(), "team-b's backend got team-a's credentials")
}

// reported waits until the last sync rejected something for reason.
func (c *tenants) reported(why reason.Reason) {
	c.t.Helper()
	require.Eventually(c.t, func() bool { return rejected(c.t, c.cluster, string(why)) > 0 }, nginxWait, 20*time.Millisecond,
		"no rejection %s", why)
}

// rejected returns archway_rejected_objects for Ingresses and reason.
func rejected(t *testing.T, c *cluster, reason string) float64 {
	return gaugeSeries(t, c.registry, "archway_rejected_objects", "kind", "reason")[builder.KindIngress+" "+reason]
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// TestCanaryOfAnotherNamespaceIsRefused: team-b's canary for team-a's host
// and path, at weight 100, gets none of team-a's requests (nor their
// Authorization headers).
func TestCanaryOfAnotherNamespaceIsRefused(t *testing.T) {
	c := startTenants(t)
	c.attempt(tenantIngress(teamB, "canary", "/", map[string]string{"canary": "true", "canary-weight": "100"}))
	c.unchanged()
	c.reported(reason.CanaryWithoutMain)
}

// TestHostScopedAnnotationsOfAnotherNamespaceAreIgnored: team-b adds a
// path to team-a's host with host-scoped annotations; the host keeps its
// names, and does not ask for client certificates.
func TestHostScopedAnnotationsOfAnotherNamespaceAreIgnored(t *testing.T) {
	c := startTenants(t)
	ca := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"client-ca.test"}, CA: true, ClientAuth: true})
	c.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: teamB, Name: "ca"}, Data: map[string][]byte{"ca.crt": ca.CertPEM}})
	c.attempt(tenantIngress(teamB, "hosts", "/b", map[string]string{
		"server-alias": "alias.example.com", "from-to-www-redirect": "true",
		"auth-tls-secret": "ca", "auth-tls-error-page": "https://evil.example/"}))
	c.unchanged()
	c.serves("alias.example.com", "/", http.StatusNotFound, "")
	c.serves("www."+sharedHost, "/", http.StatusNotFound, "")
	c.serves(sharedHost, "/b", http.StatusServiceUnavailable, "") // it asked for client certificates
	c.reported(reason.HostNotOwned)
}

// TestTLSSectionOfAnotherNamespaceIsIgnored: a rule-less Ingress of
// team-b names team-a's host in its TLS section; the host neither
// redirects to HTTPS nor changes its certificate.
func TestTLSSectionOfAnotherNamespaceIsIgnored(t *testing.T) {
	c := startTenants(t)
	cert := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{sharedHost}})
	secret := cert.Secret("default", "tls")
	secret.Namespace = teamB
	c.create(secret)
	tlsOnly := tenantIngress(teamB, "tls", "/", nil)
	tlsOnly.Spec.Rules = nil
	tlsOnly.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{sharedHost}, SecretName: "tls"}}
	c.attempt(tlsOnly)
	c.unchanged()
	c.reported(reason.HostNotOwned)
}

// TestRegexOfAnotherNamespaceIsRefused: team-b's use-regex "/" on
// team-a's host, which nginx would try before team-a's Prefix "/", is
// refused.
func TestRegexOfAnotherNamespaceIsRefused(t *testing.T) {
	c := startTenants(t)
	regex := tenantIngress(teamB, "regex", "/", map[string]string{"use-regex": "true"})
	regex.Spec.Rules[0].HTTP.Paths[0].PathType = nil
	c.attempt(regex)
	c.unchanged()
	c.reported(reason.HostNotOwned)
}
