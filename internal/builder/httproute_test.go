package builder

import (
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

func gatewayOpts() *Options {
	opts := defaultOpts()
	opts.GatewayController = "archway.dev/gateway-controller"
	return &opts
}

// routeLocation is a Location of an HTTPRoute with the policy an Ingress
// without annotations gets.
func routeLocation(match model.Match, path, backend string, route model.Ref, canaries ...model.Canary) model.Location {
	parsed, _ := annotations.Parse(nil, annotations.DefaultPrefix)
	return model.Location{Path: path, Match: match, Backend: backend, Owner: model.Owner{Kind: KindHTTPRoute, Ref: route},
		Policy: parsed.Location.Policy(), Canaries: canaries}
}

// unresolved marks l as a route whose backendRefs are all invalid.
func unresolved(l model.Location) model.Location {
	l.Unresolved = true
	return l
}

func TestHTTPRoutes(t *testing.T) {
	store, news := ref("web", "store"), ref("team", "news")
	cart := func() model.Location {
		return routeLocation(model.MatchExact, "/cart", "web_app_80", store, model.Canary{
			Backend: "shop_api_8080", Owner: model.Owner{Kind: KindHTTPRoute, Ref: store}, Weight: 1, WeightTotal: 4})
	}
	// The header match of store's second rule: "/" with x-beta: 1 only.
	beta := routeLocation(model.MatchPrefix, "/", "", store)
	beta.Candidates = []model.Candidate{{Headers: []model.Condition{{Name: "x-beta", Value: "1"}}, Backend: "web_app_80"}}
	withAPI := []model.Backend{
		{Name: "shop_api_8080", Service: ref("shop", "api"), Port: "8080", Endpoints: []model.Endpoint{{Address: "10.0.1.1", Port: 8080}}},
		webApp80(),
	}
	runFixtures(t, map[string]fixture{
		"attached to this instance's Gateway, beside an Ingress": {
			files: []string{"classes.yaml", "gateway.yaml", "service-web-app.yaml"},
			opts:  gatewayOpts(),
			config: model.Config{
				Servers: []model.Server{
					// news has no hostnames: the listener's wildcard; its
					// backend is of another namespace without a grant: 500.
					{Host: "*.example.com", Locations: []model.Location{unresolved(routeLocation(model.MatchPrefix, "/", "", news))}},
					// other.org only through the listener without hostname.
					{Host: "other.org", Locations: []model.Location{beta, cart(), routeLocation(model.MatchPrefix, "/docs", "web_app_80", store)}},
					// The Ingress keeps /docs although the HTTPRoute is older.
					{Host: "store.example.com", Locations: []model.Location{beta, cart(), prefix("/docs", "web_app_80", ref("web", "legacy"))}},
				},
				Backends: withAPI,
			},
			report: Report{
				Served: []model.Ref{ref("web", "legacy")},
				Problems: []Problem{
					{Kind: KindHTTPRoute, Object: ref("team", "blog"), Field: "spec.parentRefs[0]", Reason: reason.RouteNotAllowed,
						Message: "no listener of Gateway gw takes this route (allowedRoutes, sectionName, port or hostnames)"},
					{Kind: KindHTTPRoute, Object: news, Field: "spec.rules[0].backendRefs[0].namespace", Reason: reason.RefNotPermitted,
						Message: "no ReferenceGrant of namespace shop allows HTTPRoutes of team to use Service api"},
					{Kind: KindGateway, Object: ref("web", "gw"), Field: "spec.listeners[2]", Reason: reason.UnsupportedFeature,
						Message: `listener "tls": protocol TLS is not supported yet (only HTTP and HTTPS); the listener is not served`},
					{Kind: KindHTTPRoute, Object: store, Field: "spec.rules[1]", Reason: reason.PathConflict,
						Message: `host "store.example.com" path "/docs" (Prefix) is already routed by Ingress web/legacy (Ingress routes win over HTTPRoute routes)`},
					{Kind: KindHTTPRoute, Object: store, Field: "spec.rules[2].filters", Reason: reason.UnsupportedFeature,
						Message: "filter RequestRedirect is not supported yet; the rule is not served"},
				},
				Gateway: GatewayReport{
					Classes: []string{"archway"},
					Gateways: []GatewayResult{{Ref: ref("web", "gw"), Listeners: []ListenerResult{
						{Name: "http", Served: true, AttachedRoutes: 2},  // store and news
						{Name: "local", Served: true, AttachedRoutes: 1}, // store; not blog of another namespace
						{Name: "tls", Reason: reason.UnsupportedFeature, Message: `listener "tls": protocol TLS is not supported yet (only HTTP and HTTPS); the listener is not served`},
					}}},
					Routes: []RouteResult{
						{Ref: ref("team", "blog"), Parents: []ParentResult{{Ref: parent("gw", "web", "local")}}},
						{Ref: news, Parents: []ParentResult{{Ref: parent("gw", "web", "http"), Accepted: true}}, Refs: &Problem{
							Kind: KindHTTPRoute, Object: news, Field: "spec.rules[0].backendRefs[0].namespace", Reason: reason.RefNotPermitted,
							Message: "no ReferenceGrant of namespace shop allows HTTPRoutes of team to use Service api"}},
						{Ref: store, Parents: []ParentResult{{Ref: parent("gw", "", ""), Accepted: true}}},
					},
				},
			},
		},
		"without a Gateway controller name nothing is attached": {
			files:  []string{"classes.yaml", "gateway.yaml", "service-web-app.yaml"},
			config: model.Config{Servers: []model.Server{{Host: "store.example.com", Locations: []model.Location{prefix("/docs", "web_app_80", ref("web", "legacy"))}}}, Backends: []model.Backend{webApp80()}},
			report: Report{Served: []model.Ref{ref("web", "legacy")}},
		},
	})
}

// parent is a parentRef as a manifest without group and kind reads.
func parent(name, namespace, section string) gatewayv1.ParentReference {
	p := gatewayv1.ParentReference{Name: gatewayv1.ObjectName(name)}
	if namespace != "" {
		p.Namespace = ptr.To(gatewayv1.Namespace(namespace))
	}
	if section != "" {
		p.SectionName = ptr.To(gatewayv1.SectionName(section))
	}
	return p
}

func TestRouteHostnames(t *testing.T) {
	for _, tc := range []struct{ listener, route, want string }{
		{"", "a.example.com", "a.example.com"},
		{"", "", ""},
		{"a.example.com", "", "a.example.com"},
		{"a.example.com", "a.example.com", "a.example.com"},
		{"*.example.com", "a.example.com", "a.example.com"},
		{"a.example.com", "*.example.com", "a.example.com"},
		{"*.example.com", "*.a.example.com", "*.a.example.com"},
		{"*.a.example.com", "*.example.com", "*.a.example.com"},
		{"*.example.com", "example.com", "-"},
		{"a.example.com", "b.example.com", "-"},
		{"*.example.com", "a.example.org", "-"},
	} {
		got, ok := intersect(tc.listener, tc.route)
		if !ok {
			got = "-"
		}
		require.Equal(t, tc.want, got, "listener %q route %q", tc.listener, tc.route)
	}
}

func TestRouteWeights(t *testing.T) {
	b := &build{snap: load(t, "service-web-app.yaml"), opts: *gatewayOpts()}
	b.indexServices()
	port := gatewayv1.PortNumber(80)
	admin := gatewayv1.PortNumber(81)
	weight := func(w int32) *int32 { return &w }
	route := ref("web", "r")
	backend, canaries, _ := b.routeBackends(route, "spec.rules[0]", []gatewayv1.HTTPBackendRef{
		{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{Name: "app", Port: &port}, Weight: weight(0)}},
		{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{Name: "app", Port: &admin}, Weight: weight(1000000)}},
		{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{Name: "app", Port: &port}, Weight: weight(1000000)}},
	}, &RouteResult{})
	require.Equal(t, "web_app_81", backend, "a backend of weight 0 gets no request")
	require.Equal(t, []model.Canary{{Backend: "web_app_80", Owner: model.Owner{Kind: KindHTTPRoute, Ref: route}, Weight: 500000, WeightTotal: 1000000}}, canaries,
		"weights over model.Canary's total are scaled down")
	for _, c := range canaries {
		require.NoError(t, c.Validate())
	}
	require.Empty(t, b.problems)
}
