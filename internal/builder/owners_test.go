package builder

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/source"
	"github.com/archway-ingress/archway/internal/testutil"
)

// The host of the ownership tests, owned by namespace web, and the
// namespace that tries to take it over.
const (
	sharedHost = "shared.example.com"
	intruder   = "other"
)

// tenantSnapshot holds web/app and its twin other/app, with a TLS Secret
// for sharedHost and a client CA in both namespaces, and ings.
func tenantSnapshot(t *testing.T, ings ...*networkingv1.Ingress) source.Snapshot {
	snap := load(t, "classes.yaml", "service-web-app.yaml")
	svc, slice := snap.Services[0].DeepCopy(), snap.EndpointSlices[0].DeepCopy()
	svc.Namespace, slice.Namespace = intruder, intruder
	snap.Services, snap.EndpointSlices = append(snap.Services, svc), append(snap.EndpointSlices, slice)
	cert := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{sharedHost}})
	ca := testutil.NewCert(t, testutil.CertOptions{Hosts: []string{"client-ca.test"}, CA: true, ClientAuth: true})
	for _, ns := range []string{"web", intruder} {
		for _, s := range []*corev1.Secret{cert.Secret("web", "tls"), caSecret("ca", map[string][]byte{"ca.crt": ca.CertPEM})} {
			s.Namespace = ns
			snap.Secrets = append(snap.Secrets, s)
		}
	}
	snap.Ingresses = ings
	return snap
}

// inNamespace moves ing to namespace ns.
func inNamespace(ns string, ing *networkingv1.Ingress) *networkingv1.Ingress {
	ing.Namespace = ns
	return ing
}

// owner is web's Ingress of sharedHost, the oldest.
func owner() *networkingv1.Ingress { return pathIngress("owner", 0, sharedHost, "/", nil) }

// problemsOf lists the Problems of the report as "namespace/name field reason".
func problemsOf(r Report) []string {
	var out []string
	for _, p := range r.Problems {
		out = append(out, fmt.Sprintf("%s %s %s", p.Object, p.Field, p.Reason))
	}
	return out
}

// serverOf returns the server of host.
func serverOf(t *testing.T, cfg model.Config, host string) model.Server {
	for _, s := range cfg.Servers {
		if s.Host == host {
			return s
		}
	}
	t.Fatalf("no server %q", host)
	return model.Server{}
}

// TestHostScopedAnnotationsNeedTheHost sets each server-scoped annotation
// on an Ingress of another namespace that adds a path to sharedHost: the
// host keeps what its owner set, and the attempt is reported. Asking for
// client certificates closes the intruder's own path.
func TestHostScopedAnnotationsNeedTheHost(t *testing.T) {
	withCA := func(more ...string) map[string]string {
		m := map[string]string{"auth-tls-secret": "ca"}
		for i := 0; i < len(more); i += 2 {
			m[more[i]] = more[i+1]
		}
		return m
	}
	tests := map[string]struct {
		annots map[string]string
		field  string // of the Problem; "" for the annotation itself
		closed bool   // the intruder's path answers 503
	}{
		"server-alias":                          {annots: map[string]string{"server-alias": "alias.example.com"}},
		"from-to-www-redirect":                  {annots: map[string]string{"from-to-www-redirect": "true"}},
		"auth-tls-secret":                       {annots: withCA(), closed: true},
		"auth-tls-verify-client":                {annots: withCA("auth-tls-verify-client", "optional"), field: "auth-tls-secret", closed: true},
		"auth-tls-verify-depth":                 {annots: withCA("auth-tls-verify-depth", "2"), field: "auth-tls-secret", closed: true},
		"auth-tls-error-page":                   {annots: withCA("auth-tls-error-page", "https://evil.test/"), field: "auth-tls-secret", closed: true},
		"auth-tls-pass-certificate-to-upstream": {annots: withCA("auth-tls-pass-certificate-to-upstream", "true"), field: "auth-tls-secret", closed: true},
		"auth-tls-match-cn":                     {annots: withCA("auth-tls-match-cn", "CN=x"), field: "auth-tls-secret", closed: true},
	}
	for _, spec := range annotations.Specs() {
		// ssl-passthrough claims its hosts whole, under the rule that
		// TestPassthroughConflicts checks.
		if spec.Scope == annotations.ScopeServer && !strings.HasPrefix(spec.Key, "ssl-passthrough") {
			require.Contains(t, tests, spec.Key, "every server-scoped annotation needs a case")
		}
	}
	for key, tc := range tests {
		t.Run(key, func(t *testing.T) {
			intruding := inNamespace(intruder, pathIngress("intruding", 1, sharedHost, "/b", tc.annots))
			cfg, report := Build(tenantSnapshot(t, owner(), intruding), defaultOpts())
			require.Len(t, cfg.Servers, 1, "no www or alias server")
			s := serverOf(t, cfg, sharedHost)
			require.Empty(t, s.Aliases)
			require.Nil(t, s.ClientAuth)
			require.Equal(t, []model.Location{prefix("/", "web_app_http", ref("web", "owner")), s.Locations[1]}, s.Locations)
			require.Equal(t, "/b", s.Locations[1].Path)
			require.Equal(t, tc.closed, s.Locations[1].Backend == "", "the intruder's own path answers 503")
			field := key
			if tc.field != "" {
				field = tc.field
			}
			require.Equal(t, []string{"other/intruding " + annotation(field) + " " + string(reason.HostNotOwned)}, problemsOf(report))
			require.Contains(t, report.Problems[0].Message, "another namespace")
		})
	}
	t.Run("the owner's namespace sets them", func(t *testing.T) {
		cfg, report := Build(tenantSnapshot(t, owner(), pathIngress("same", 1, sharedHost, "/b", map[string]string{"server-alias": "alias.example.com"})), defaultOpts())
		require.Empty(t, report.Problems)
		require.Equal(t, []string{"alias.example.com"}, serverOf(t, cfg, sharedHost).Aliases)
	})
}

// TestTLSSectionNeedsTheHost checks that only the owner namespace's TLS
// sections apply to a host, whether or not their Ingress routes it.
func TestTLSSectionNeedsTheHost(t *testing.T) {
	section := []networkingv1.IngressTLS{{SecretName: "tls", Hosts: []string{sharedHost}}}
	tlsOnly := func(ns, name string, age int) *networkingv1.Ingress {
		return inNamespace(ns, tlsIngress(name, age, nil, section, nil))
	}
	withTLS := func(ing *networkingv1.Ingress, tls []networkingv1.IngressTLS) *networkingv1.Ingress {
		ing.Spec.TLS = tls
		return ing
	}
	tests := map[string]struct {
		ingresses []*networkingv1.Ingress
		tls       bool // sharedHost has the certificate and redirects
		problems  []string
	}{
		"a rule-less Ingress of another namespace": {
			ingresses: []*networkingv1.Ingress{owner(), tlsOnly(intruder, "tls", 1)},
			problems:  []string{"other/tls spec.tls[0].hosts[0] HostNotOwned"},
		},
		"an older rule-less Ingress of another namespace": {
			ingresses: []*networkingv1.Ingress{tlsOnly(intruder, "tls", 0), pathIngress("owner", 1, sharedHost, "/", nil)},
			problems:  []string{"other/tls spec.tls[0].hosts[0] HostNotOwned"},
		},
		"an Ingress of another namespace that routes the host": {
			ingresses: []*networkingv1.Ingress{owner(), withTLS(inNamespace(intruder, pathIngress("tls", 1, sharedHost, "/b", nil)), section)},
			problems:  []string{"other/tls spec.tls[0].hosts[0] HostNotOwned"},
		},
		"an older rule-less Ingress of the owner's namespace": {
			ingresses: []*networkingv1.Ingress{tlsOnly("web", "tls", 0), pathIngress("owner", 1, sharedHost, "/", nil)},
			tls:       true,
		},
		"a newer rule-less Ingress of the owner's namespace": {
			ingresses: []*networkingv1.Ingress{owner(), tlsOnly("web", "tls", 1)},
			tls:       true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg, report := Build(tenantSnapshot(t, tc.ingresses...), defaultOpts())
			s := serverOf(t, cfg, sharedHost)
			require.Equal(t, tc.tls, s.Certificate != nil, "certificate")
			require.Equal(t, tc.tls, policyOf(s.Locations[0]).HTTPSRedirect, "redirect")
			require.Equal(t, tc.problems, problemsOf(report))
		})
	}
}

// TestCanaryStaysInItsNamespace checks that a canary attaches only to a
// route of its own namespace.
func TestCanaryStaysInItsNamespace(t *testing.T) {
	canary := func(ns string, age int) *networkingv1.Ingress {
		return inNamespace(ns, pathIngress("canary", age, sharedHost, "/", map[string]string{"canary": "true", "canary-weight": "100"}))
	}
	cfg, report := Build(tenantSnapshot(t, owner(), canary(intruder, 1)), defaultOpts())
	require.Empty(t, serverOf(t, cfg, sharedHost).Locations[0].Canaries)
	require.Equal(t, []Problem{{Kind: KindIngress, Object: ref(intruder, "canary"), Field: "spec.rules[0].http.paths[0]", Reason: reason.CanaryWithoutMain,
		Message: `host "shared.example.com" path "/" (Prefix) is routed by another namespace, and a canary attaches only to routes of its own; the canary path is ignored`}},
		report.Problems)

	cfg, report = Build(tenantSnapshot(t, owner(), canary("web", 1)), defaultOpts())
	require.Empty(t, report.Problems)
	require.Equal(t, []model.Canary{{Backend: "web_app_http", Owner: ingressOwner(ref("web", "canary")), Weight: 100, WeightTotal: 100}},
		serverOf(t, cfg, sharedHost).Locations[0].Canaries)
}

// TestRegexPathsNeedTheHost checks that only the owner's namespace adds
// regex paths to a host, which nginx would try before its Prefix "/";
// plain paths of other namespaces are still added.
func TestRegexPathsNeedTheHost(t *testing.T) {
	regex := map[string]string{"use-regex": "true"}
	implementationSpecific := func(ing *networkingv1.Ingress) *networkingv1.Ingress {
		ing.Spec.Rules[0].HTTP.Paths[0].PathType = nil
		return ing
	}
	intruding := implementationSpecific(inNamespace(intruder, pathIngress("regex", 1, sharedHost, "/", regex)))
	plain := inNamespace(intruder, pathIngress("plain", 2, sharedHost, "/plain", nil))
	ownRegex := implementationSpecific(pathIngress("regex", 3, sharedHost, "/api/v[0-9]+", regex))
	hostless := []*networkingv1.Ingress{pathIngress("hostless", 4, "", "/", nil),
		implementationSpecific(inNamespace(intruder, pathIngress("hostless-regex", 5, "", "/.*", regex)))}
	cfg, report := Build(tenantSnapshot(t, append([]*networkingv1.Ingress{owner(), intruding, plain, ownRegex}, hostless...)...), defaultOpts())
	var paths []string
	for _, s := range cfg.Servers {
		for _, l := range s.Locations {
			paths = append(paths, fmt.Sprintf("%s%s %s %s", s.Host, l.Path, l.Match, l.Owner))
		}
	}
	require.Equal(t, []string{
		"/ Prefix web/hostless",
		"shared.example.com/ Prefix web/owner",
		"shared.example.com/api/v[0-9]+ Regex web/regex",
		"shared.example.com/plain Prefix other/plain",
	}, paths)
	require.Equal(t, []string{
		"other/hostless-regex spec.rules[0].http.paths[0] HostNotOwned",
		"other/regex spec.rules[0].http.paths[0] HostNotOwned",
	}, problemsOf(report))
	require.True(t, strings.HasPrefix(report.Problems[1].Message, `host "shared.example.com" belongs to another namespace`), report.Problems[1].Message)
}

// TestConflictsDoNotNameOtherNamespaces checks the messages that become
// Events in the loser's namespace.
func TestConflictsDoNotNameOtherNamespaces(t *testing.T) {
	same := pathIngress("same", 1, sharedHost, "/", nil)
	other := withDefaultBackend(inNamespace(intruder, pathIngress("other", 2, sharedHost, "/", nil)))
	_, report := Build(tenantSnapshot(t, withDefaultBackend(owner()), same, other), defaultOpts())
	var messages []string
	for _, p := range report.Problems {
		messages = append(messages, p.Object.String()+": "+p.Message)
	}
	require.Equal(t, []string{
		"other/other: the default backend of an Ingress of another namespace is used" + precedence,
		`other/other: host "shared.example.com" path "/" (Prefix) is already routed by an Ingress of another namespace` + precedence,
		`web/same: host "shared.example.com" path "/" (Prefix) is already routed by Ingress web/owner` + precedence,
	}, messages)
	for _, p := range report.Problems {
		if p.Object.Namespace == intruder {
			require.NotContains(t, p.Message, "web", "a message to namespace %s names another's object", intruder)
		}
	}
}
