package builder

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/source"
)

// fixture is one builder test: manifests from testdata/ in, the whole
// expected Config and Report out.
type fixture struct {
	files  []string
	opts   *Options // nil: defaultOpts
	config model.Config
	report Report
}

func defaultOpts() Options {
	return Options{IngressClass: "archway", ControllerClass: "archway.dev/ingress-controller"}
}

// runFixtures builds every fixture, then builds it again from shuffled
// Snapshots: the order of the input must never show in the output.
func runFixtures(t *testing.T, tests map[string]fixture) {
	t.Helper()
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			snap := load(t, tc.files...)
			opts := defaultOpts()
			if tc.opts != nil {
				opts = *tc.opts
			}
			if reflect.ValueOf(tc.config.Settings).IsZero() {
				tc.config.Settings = defaultSettings()
			}
			before := deepCopy(snap)
			config, report := Build(snap, opts)
			require.Equal(t, tc.config, config)
			require.Equal(t, tc.report, withoutReads(report))
			require.Equal(t, before, snap, "Build modified its input")
			for seed := range uint64(8) {
				config, report := Build(shuffle(snap, seed), opts)
				require.Equal(t, tc.config, config, "shuffle seed %d", seed)
				require.Equal(t, tc.report, withoutReads(report), "shuffle seed %d", seed)
			}
		})
	}
}

// withoutReads is r without what Build read of Secrets (for Renew) and of
// endpoints (for Reendpoint), which fixtures do not spell out.
func withoutReads(r Report) Report {
	r.secrets, r.endpoints = secretReads{}, nil
	return r
}

func load(t *testing.T, files ...string) source.Snapshot {
	t.Helper()
	var s source.Snapshot
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join("testdata", f))
		require.NoError(t, err)
		s.AddManifests(f, data)
	}
	return s
}

func shuffle(s source.Snapshot, seed uint64) source.Snapshot {
	rng := rand.New(rand.NewPCG(seed, 1))
	s.Ingresses = shuffled(rng, s.Ingresses)
	s.IngressClasses = shuffled(rng, s.IngressClasses)
	s.Services = shuffled(rng, s.Services)
	s.EndpointSlices = shuffled(rng, s.EndpointSlices)
	s.LoadErrors = shuffled(rng, s.LoadErrors)
	s.GatewayClasses = shuffled(rng, s.GatewayClasses)
	s.Gateways = shuffled(rng, s.Gateways)
	s.HTTPRoutes = shuffled(rng, s.HTTPRoutes)
	s.ReferenceGrants = shuffled(rng, s.ReferenceGrants)
	return s
}

func shuffled[T any](rng *rand.Rand, in []T) []T {
	out := slices.Clone(in)
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func deepCopy(s source.Snapshot) source.Snapshot {
	c := s
	c.Ingresses = copyAll(s.Ingresses, (*networkingv1.Ingress).DeepCopy)
	c.IngressClasses = copyAll(s.IngressClasses, (*networkingv1.IngressClass).DeepCopy)
	c.Services = copyAll(s.Services, (*corev1.Service).DeepCopy)
	c.EndpointSlices = copyAll(s.EndpointSlices, (*discoveryv1.EndpointSlice).DeepCopy)
	c.GatewayClasses = copyAll(s.GatewayClasses, (*gatewayv1.GatewayClass).DeepCopy)
	c.Gateways = copyAll(s.Gateways, (*gatewayv1.Gateway).DeepCopy)
	c.HTTPRoutes = copyAll(s.HTTPRoutes, (*gatewayv1.HTTPRoute).DeepCopy)
	c.ReferenceGrants = copyAll(s.ReferenceGrants, (*gatewayv1.ReferenceGrant).DeepCopy)
	return c
}

func copyAll[T any](in []T, deepCopy func(T) T) []T {
	var out []T
	for _, obj := range in {
		out = append(out, deepCopy(obj))
	}
	return out
}

// Shorthands for expected models.
func ref(namespace, name string) model.Ref { return model.Ref{Namespace: namespace, Name: name} }

func prefix(path, backend string, ing model.Ref) model.Location {
	return model.Location{Path: path, Match: model.MatchPrefix, Backend: backend, Owner: ingressOwner(ing)}
}

func exact(path, backend string, ing model.Ref) model.Location {
	return model.Location{Path: path, Match: model.MatchExact, Backend: backend, Owner: ingressOwner(ing)}
}

// policyOf returns the policy of l, the zero Policy for nil.
func policyOf(l model.Location) model.Policy {
	if l.Policy == nil {
		return model.Policy{}
	}
	return *l.Policy
}

// webApp80 is the Backend of testdata/service-web-app.yaml's port 80.
func webApp80() model.Backend {
	return model.Backend{
		Name: "web_app_80", Service: ref("web", "app"), Port: "80",
		Endpoints: []model.Endpoint{{Address: "10.0.0.1", Port: 8080}},
	}
}
