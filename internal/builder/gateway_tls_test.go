package builder

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/testutil"
)

// gatewayHTTPS is a Gateway of this instance whose HTTPS listeners name
// Secrets of its namespace and of others, and HTTPRoutes through them.
const gatewayHTTPS = gatewayWebYAML + `
  - {name: wild, protocol: HTTPS, port: 443, hostname: "*.example.com", tls: {certificateRefs: [{name: wild}]}}
  - {name: site, protocol: HTTPS, port: 443, hostname: site.example.com, tls: {certificateRefs: [{kind: Secret, group: "", name: site}]}}
  - {name: granted, protocol: HTTPS, port: 443, hostname: shared.example.org, tls: {certificateRefs: [{name: shared, namespace: certs}]}}
  - {name: all-granted, protocol: HTTPS, port: 443, hostname: all.example.org, tls: {certificateRefs: [{name: other, namespace: more-certs}]}}
  - {name: not-granted, protocol: HTTPS, port: 443, hostname: no.example.org, tls: {certificateRefs: [{name: shared, namespace: vault}]}}
  - {name: missing, protocol: HTTPS, port: 443, hostname: missing.example.org, tls: {certificateRefs: [{name: nope}]}}
  - {name: malformed, protocol: HTTPS, port: 443, hostname: malformed.example.org, tls: {certificateRefs: [{name: malformed}]}}
  - {name: kind, protocol: HTTPS, port: 443, hostname: kind.example.org, tls: {certificateRefs: [{kind: ConfigMap, name: site}]}}
  - {name: plain, protocol: HTTP, port: 80}
---
apiVersion: gateway.networking.k8s.io/v1
kind: ReferenceGrant
metadata: {name: one, namespace: certs}
spec:
  from: [{group: gateway.networking.k8s.io, kind: Gateway, namespace: web}]
  to: [{group: "", kind: Secret, name: shared}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: ReferenceGrant
metadata: {name: all, namespace: more-certs}
spec:
  from: [{group: gateway.networking.k8s.io, kind: Gateway, namespace: web}]
  to: [{group: "", kind: Secret}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: ReferenceGrant
metadata: {name: routes-only, namespace: vault}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: web}]
  to: [{group: "", kind: Secret}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: web, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  parentRefs: [{name: gw}]
  hostnames: [site.example.com, a.example.com, shared.example.org, all.example.org, no.example.org, plain.example.net, legacy.example.com]
  rules: [{backendRefs: [{name: app, port: 80}]}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: legacy, namespace: web, creationTimestamp: "2025-01-01T00:00:00Z"}
spec:
  ingressClassName: archway
  tls: [{hosts: [legacy.example.com], secretName: legacy}]
  rules:
  - host: legacy.example.com
    http:
      paths:
      - {path: /old, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}
`

// TestGatewayHTTPS serves the hosts of routes through HTTPS listeners with
// the listeners' certificates, the most specific listener's first, and
// reports the certificateRefs that cannot be used on their listeners,
// which are not served.
func TestGatewayHTTPS(t *testing.T) {
	cert := func(hosts ...string) testutil.Cert { return testutil.NewCert(t, testutil.CertOptions{Hosts: hosts}) }
	snap := load(t, "classes.yaml", "service-web-app.yaml")
	snap.AddManifests("gateway-https.yaml", []byte(gatewayHTTPS))
	snap.Secrets = append(snap.Secrets,
		cert("*.example.com").Secret("web", "wild"), cert("site.example.com").Secret("web", "site"),
		cert("legacy.example.com").Secret("web", "legacy"),
		cert("shared.example.org").Secret("certs", "shared"), cert("all.example.org").Secret("more-certs", "other"),
		cert("no.example.org").Secret("vault", "shared"),
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: "malformed"}, Type: corev1.SecretTypeTLS,
			Data: map[string][]byte{"tls.crt": []byte("Hello world\n"), "tls.key": []byte("Hello world\n")}})
	require.Empty(t, snap.LoadErrors)

	cfg, report := Build(snap, *gatewayOpts())
	certs := map[string]string{}
	for _, s := range cfg.Servers {
		certs[s.Host] = ""
		if s.Certificate != nil {
			certs[s.Host] = s.Certificate.Secret.String()
		}
	}
	require.Equal(t, map[string]string{
		"site.example.com":   "web/site", // the exact listener's, not the wildcard's
		"a.example.com":      "web/wild",
		"shared.example.org": "certs/shared",
		"all.example.org":    "more-certs/other",
		"plain.example.net":  "",           // through the HTTP listener only
		"no.example.org":     "",           // as its HTTPS listener is not served
		"legacy.example.com": "web/legacy", // the Ingress's TLS section wins
	}, certs)

	listeners := map[string]string{}
	for _, l := range report.Gateway.Gateways[0].Listeners {
		listeners[l.Name] = string(l.Reason) + "/" + string(l.RefsReason)
		require.Equal(t, l.Reason == "" && l.RefsReason == "", l.Served, l.Name)
	}
	require.Equal(t, map[string]string{
		"wild": "/", "site": "/", "granted": "/", "all-granted": "/", "plain": "/",
		"not-granted": "/RefNotPermitted", "missing": "/InvalidTLSSecret", "malformed": "/InvalidTLSSecret", "kind": "/InvalidTLSSecret",
	}, listeners)

	var problems []string
	for _, p := range report.Problems {
		problems = append(problems, p.Kind+" "+p.Object.String()+" "+p.Field+" "+string(p.Reason))
		if p.Reason == reason.TLSConflict {
			require.Equal(t, `host "legacy.example.com" is served with the TLS section (Secret "legacy") of Ingress web/legacy (Ingress routes win over HTTPRoute routes)`, p.Message)
		}
	}
	require.ElementsMatch(t, []string{
		"Gateway web/gw spec.listeners[4].tls.certificateRefs[0].namespace RefNotPermitted",
		"Gateway web/gw spec.listeners[5].tls.certificateRefs[0] InvalidTLSSecret",
		"Gateway web/gw spec.listeners[6].tls.certificateRefs[0] InvalidTLSSecret",
		"Gateway web/gw spec.listeners[7].tls.certificateRefs[0] InvalidTLSSecret",
		"HTTPRoute web/shop spec.parentRefs TLSConflict",
	}, problems)
	for _, p := range report.Problems {
		require.False(t, strings.Contains(p.Message, "BEGIN"), "no key material in messages")
	}
}

// TestGatewayCatchAllCertificate gives the names no host has the
// certificate of the oldest Gateway's hostless HTTPS listener, reports a
// newer one with another Secret, and leaves those names on the default
// certificate when an Ingress of another namespace serves them.
func TestGatewayCatchAllCertificate(t *testing.T) {
	const gateways = testutil.GatewayClassYAML + `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: old, namespace: web, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  gatewayClassName: archway
  listeners:
  - {name: named, protocol: HTTPS, port: 443, hostname: site.example.com, tls: {certificateRefs: [{name: site}]}}
  - {name: any, protocol: HTTPS, port: 443, tls: {certificateRefs: [{name: any}]}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: new, namespace: other, creationTimestamp: "2025-01-01T00:00:00Z"}
spec:
  gatewayClassName: archway
  listeners:
  - {name: mine, protocol: HTTPS, port: 443, tls: {certificateRefs: [{name: mine}]}}
`
	const hostless = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: hostless, namespace: %s}
spec:
  ingressClassName: archway
  rules:
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}
`
	cert := func(hosts ...string) testutil.Cert { return testutil.NewCert(t, testutil.CertOptions{Hosts: hosts}) }
	secrets := []*corev1.Secret{cert("site.example.com").Secret("web", "site"), cert("*").Secret("web", "any"), cert("*").Secret("other", "mine")}
	build := func(ingressNamespace string) (*model.Certificate, []string) {
		snap := load(t, "classes.yaml", "service-web-app.yaml")
		snap.AddManifests("gateways.yaml", []byte(gateways))
		if ingressNamespace != "" {
			snap.AddManifests("ingress.yaml", []byte(fmt.Sprintf(hostless, ingressNamespace)))
		}
		snap.Secrets = append(snap.Secrets, secrets...)
		require.Empty(t, snap.LoadErrors)
		cfg, report := Build(snap, *gatewayOpts())
		var problems []string
		for _, p := range report.Problems {
			problems = append(problems, p.Kind+" "+p.Object.String()+" "+p.Field+" "+string(p.Reason))
		}
		return cfg.CatchAllCertificate, problems
	}

	got, problems := build("")
	require.NotNil(t, got)
	require.Equal(t, "web/any", got.Secret.String())
	require.Equal(t, []string{"Gateway other/new spec.listeners[0] TLSConflict"}, problems)

	got, _ = build("web") // the Gateway's own namespace
	require.NotNil(t, got)
	require.Equal(t, "web/any", got.Secret.String())

	got, problems = build("other")
	require.Nil(t, got)
	require.Contains(t, problems, "Gateway web/old spec.listeners[1] HostNotOwned")
}
