package builder

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

func passthroughOpts() Options {
	opts := defaultOpts()
	opts.SSLPassthrough = true
	return opts
}

// passthroughIngress passes host through to web/app's port "http" (or
// another namespace's twin).
func passthroughIngress(name string, age int, host string, more ...string) *networkingv1.Ingress {
	annots := map[string]string{"ssl-passthrough": "true"}
	for i := 0; i+1 < len(more); i += 2 {
		annots[more[i]] = more[i+1]
	}
	return pathIngress(name, age, host, "/", annots)
}

// passedHosts lists the passed-through hosts with their owners.
func passedHosts(cfg model.Config) map[string]string {
	out := map[string]string{}
	if cfg.Passthrough != nil {
		for _, h := range cfg.Passthrough.Hosts {
			out[h.Host] = h.Owner.Ref.String()
		}
	}
	return out
}

func TestPassthroughHosts(t *testing.T) {
	ing := passthroughIngress("tls-app", 0, sharedHost, "ssl-passthrough-proxy-protocol", "true", "proxy-body-size", "x")
	ing.Spec.Rules[0].HTTP.Paths = append(ing.Spec.Rules[0].HTTP.Paths, ing.Spec.Rules[0].HTTP.Paths[0])
	ing.Spec.Rules[0].HTTP.Paths[1].Path = "/api"
	wild := passthroughIngress("wild", 1, "*.example.com")
	hostless := passthroughIngress("hostless", 2, "")
	cfg, report := Build(tenantSnapshot(t, ing, wild, hostless), passthroughOpts())
	require.Equal(t, []model.PassthroughHost{
		{Host: "*.example.com", Owner: ingressOwner(ref("web", "wild")), Service: ref("web", "app"), ServicePort: "http",
			Endpoints: []model.Endpoint{{Address: "10.0.0.1", Port: 8080}}},
		{Host: sharedHost, Owner: ingressOwner(ref("web", "tls-app")), Service: ref("web", "app"), ServicePort: "http", ProxyProtocol: true,
			Endpoints: []model.Endpoint{{Address: "10.0.0.1", Port: 8080}}},
	}, cfg.Passthrough.Hosts)
	require.Empty(t, cfg.Servers, "passthrough routes no plain HTTP")
	require.Equal(t, []string{
		"web/hostless spec.rules[0] " + string(reason.PassthroughIgnored),
		"web/tls-app " + annotation("proxy-body-size") + " " + string(reason.InvalidAnnotation),
		"web/tls-app spec.rules[0].http.paths[1] " + string(reason.PassthroughIgnored),
	}, problemsOf(report))
	require.Equal(t, []model.Ref{ref("web", "tls-app"), ref("web", "wild")}, report.Served)
}

func TestPassthroughNeedsTheFlag(t *testing.T) {
	cfg, report := Build(tenantSnapshot(t, passthroughIngress("tls-app", 0, sharedHost)), defaultOpts())
	require.Nil(t, cfg.Passthrough)
	require.Equal(t, "web_app_http", serverOf(t, cfg, sharedHost).Locations[0].Backend, "served as any Ingress")
	require.Equal(t, []string{"web/tls-app " + annotation("ssl-passthrough") + " " + string(reason.PassthroughIgnored)}, problemsOf(report))

	cfg, report = Build(tenantSnapshot(t, owner()), passthroughOpts())
	require.Equal(t, &model.Passthrough{Hosts: []model.PassthroughHost{}}, cfg.Passthrough, "the front serves the HTTPS port without passthrough hosts too")
	require.Empty(t, report.Problems)
}

// TestPassthroughConflicts checks the rule of a host claimed by a
// passthrough Ingress and another: the oldest Ingress wins the host, an
// Ingress of another namespace that loses is told, one of the winner's
// namespace may still route plain HTTP.
func TestPassthroughConflicts(t *testing.T) {
	t.Run("an older Ingress of another namespace keeps the host", func(t *testing.T) {
		cfg, report := Build(tenantSnapshot(t, owner(), inNamespace(intruder, passthroughIngress("pass", 1, sharedHost))), passthroughOpts())
		require.Empty(t, passedHosts(cfg))
		require.Equal(t, "web_app_http", serverOf(t, cfg, sharedHost).Locations[0].Backend)
		require.Equal(t, []string{"other/pass spec.rules[0].host " + string(reason.PassthroughConflict)}, problemsOf(report))
		require.Contains(t, report.Problems[0].Message, "another namespace")
		require.NotContains(t, report.Problems[0].Message, "web/")
	})
	t.Run("an older passthrough Ingress keeps the host", func(t *testing.T) {
		intruding := inNamespace(intruder, tlsIngress("intruding", 1, []string{sharedHost, "free.example.com"},
			[]networkingv1.IngressTLS{{SecretName: "tls", Hosts: []string{sharedHost}}}, nil))
		cfg, report := Build(tenantSnapshot(t, passthroughIngress("pass", 0, sharedHost), intruding), passthroughOpts())
		require.Equal(t, map[string]string{sharedHost: "web/pass"}, passedHosts(cfg))
		require.Len(t, cfg.Servers, 1)
		require.Equal(t, "free.example.com", cfg.Servers[0].Host, "the loser's other hosts are served")
		require.Equal(t, []string{"other/intruding spec.rules[0].host " + string(reason.PassthroughConflict),
			"other/intruding spec.tls[0].hosts[0] " + string(reason.HostNotOwned)}, problemsOf(report))
	})
	t.Run("two passthrough Ingresses", func(t *testing.T) {
		cfg, report := Build(tenantSnapshot(t, passthroughIngress("first", 0, sharedHost), passthroughIngress("second", 1, sharedHost)), passthroughOpts())
		require.Equal(t, map[string]string{sharedHost: "web/first"}, passedHosts(cfg))
		require.Equal(t, []string{"web/second spec.rules[0].host " + string(reason.PassthroughConflict)}, problemsOf(report))
		require.Contains(t, report.Problems[0].Message, "Ingress web/first")
	})
	t.Run("the owner namespace routes plain HTTP", func(t *testing.T) {
		cfg, report := Build(tenantSnapshot(t, passthroughIngress("pass", 0, sharedHost), pathIngress("redirect", 1, sharedHost, "/", nil)), passthroughOpts())
		require.Equal(t, map[string]string{sharedHost: "web/pass"}, passedHosts(cfg))
		require.Equal(t, "web_app_http", serverOf(t, cfg, sharedHost).Locations[0].Backend)
		require.Empty(t, report.Problems)
	})
	t.Run("an exact host of another namespace under a passthrough wildcard", func(t *testing.T) {
		cfg, report := Build(tenantSnapshot(t, passthroughIngress("wild", 0, "*.example.com"), inNamespace(intruder, owner())), passthroughOpts())
		require.Equal(t, map[string]string{"*.example.com": "web/wild"}, passedHosts(cfg))
		require.Equal(t, "other_app_http", serverOf(t, cfg, sharedHost).Locations[0].Backend, "an exact host beats a wildcard")
		require.Empty(t, report.Problems)
	})
}

// TestPassthroughRefusesForwardedHeaders: nginx takes the client address
// from one source, the front's PROXY header; use-proxy-protocol still
// works, since the front decodes the load balancer's header first.
func TestPassthroughRefusesForwardedHeaders(t *testing.T) {
	for key, kept := range map[string]bool{"use-forwarded-headers": false, "enable-real-ip": false, "use-proxy-protocol": true} {
		snap := tenantSnapshot(t, owner())
		snap.ConfigMap = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ingress", Name: "archway"},
			Data: map[string]string{key: "true"}}
		cfg, report := Build(snap, passthroughOpts())
		if kept {
			require.True(t, cfg.Settings.Clients.UseProxyProtocol)
			require.Empty(t, report.Problems)
			continue
		}
		require.False(t, cfg.Settings.Clients.UseForwardedHeaders || cfg.Settings.Clients.RealIP)
		require.Equal(t, []string{"ingress/archway data." + key + " " + string(reason.InvalidSetting)}, problemsOf(report))
	}
}

// TestPassthroughBeforeHTTPRoutes: an HTTPRoute of another namespace that
// routes a passed-through host loses it, as Ingresses claim first.
func TestPassthroughBeforeHTTPRoutes(t *testing.T) {
	snap := load(t, "classes.yaml", "gateway.yaml", "service-web-app.yaml")
	snap.Ingresses = append(snap.Ingresses, inNamespace("shop", passthroughIngress("pass", 0, "other.org")))
	snap.Ingresses[len(snap.Ingresses)-1].Spec.Rules[0].HTTP.Paths[0].Backend.Service = &networkingv1.IngressServiceBackend{
		Name: "api", Port: networkingv1.ServiceBackendPort{Number: 8080}}
	opts := gatewayOpts()
	opts.SSLPassthrough = true
	cfg, report := Build(snap, *opts)
	require.Equal(t, map[string]string{"other.org": "shop/pass"}, passedHosts(cfg), problemsOf(report))
	for _, s := range cfg.Servers {
		require.NotEqual(t, "other.org", s.Host)
	}
	var conflicts []string
	for _, p := range report.Problems {
		if p.Reason == reason.PassthroughConflict {
			conflicts = append(conflicts, p.Kind+" "+p.Object.String())
		}
	}
	require.Equal(t, slices.Repeat([]string{KindHTTPRoute + " web/store"}, 3), conflicts, "each rule of the route for the host")
}
