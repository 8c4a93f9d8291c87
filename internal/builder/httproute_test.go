package builder

import (
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

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
	l := model.Location{Path: path, Match: match, Backend: backend, Owner: model.Owner{Kind: KindHTTPRoute, Ref: route}, Canaries: canaries}
	if p := parsed.Location.Policy(); !p.IsZero() {
		l.Policy = &p
	}
	return l
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
			Backend: "shop_api_8080", Strict: true, Owner: model.Owner{Kind: KindHTTPRoute, Ref: store}, Weight: 1, WeightTotal: 4})
	}
	// The header match of store's second rule: "/" with x-beta: 1 only.
	beta := routeLocation(model.MatchPrefix, "/", "", store)
	beta.Candidates = []model.Candidate{{Headers: []model.Condition{{Name: "x-beta", Value: "1"}}, Backend: "web_app_80"}}
	// /old redirects to new.example.com, keeping the listeners' port 80
	// out of the Location when the request's scheme is http.
	old := routeLocation(model.MatchPrefix, "/old", "web_app_80", store)
	old.Policy = &model.Policy{Redirect: &model.Redirect{Code: 302, URL: model.Template{{Var: "scheme"}, {Text: "://"}, {Text: "new.example.com"},
		{Var: "port_80"}, {Var: "request_uri"}}}}
	mirror := Problem{Kind: KindHTTPRoute, Object: store, Field: "spec.rules[3].filters[0]", Reason: reason.UnsupportedFeature,
		Message: "filter RequestMirror is not supported yet; the rule is not served"}
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
					{Host: "*.example.com", AnyDepth: true, Locations: []model.Location{unresolved(routeLocation(model.MatchPrefix, "/", "", news))}},
					// other.org only through the listener without hostname.
					{Host: "other.org", Locations: []model.Location{beta, cart(), routeLocation(model.MatchPrefix, "/docs", "web_app_80", store), old}},
					// The Ingress keeps /docs although the HTTPRoute is older.
					{Host: "store.example.com", Locations: []model.Location{beta, cart(), prefix("/docs", "web_app_80", ref("web", "legacy")), old}},
				},
				Backends: withAPI,
			},
			report: Report{
				Served: []model.Ref{ref("web", "legacy")},
				Problems: []Problem{
					{Kind: KindHTTPRoute, Object: ref("team", "blog"), Field: "spec.parentRefs[0]", Reason: reason.RouteNotAllowed,
						Message: "no listener of Gateway gw takes this route (the listeners' allowedRoutes do not allow its namespace)"},
					{Kind: KindHTTPRoute, Object: news, Field: "spec.rules[0].backendRefs[0].namespace", Reason: reason.RefNotPermitted,
						Message: "no ReferenceGrant of namespace shop allows HTTPRoutes of team to use Service api"},
					{Kind: KindGateway, Object: ref("web", "gw"), Field: "spec.listeners[2]", Reason: reason.UnsupportedFeature,
						Message: `listener "tls": protocol TLS is not supported yet (only HTTP and HTTPS); the listener is not served`},
					{Kind: KindHTTPRoute, Object: store, Field: "spec.rules[1]", Reason: reason.PathConflict,
						Message: `host "store.example.com" path "/docs" (Prefix) is already routed by Ingress web/legacy (Ingress routes win over HTTPRoute routes)`},
					mirror,
				},
				Gateway: GatewayReport{
					Classes: []string{"archway"},
					Gateways: []GatewayResult{{Ref: ref("web", "gw"), Listeners: []ListenerResult{
						{Name: "http", Served: true, AttachedRoutes: 2},  // store and news
						{Name: "local", Served: true, AttachedRoutes: 1}, // store; not blog of another namespace
						{Name: "tls", Reason: reason.UnsupportedFeature, Message: `listener "tls": protocol TLS is not supported yet (only HTTP and HTTPS); the listener is not served`},
					}}},
					Routes: []RouteResult{
						{Ref: ref("team", "blog"), Parents: []ParentResult{{Ref: parent("gw", "web", "local"), Refused: gatewayv1.RouteReasonNotAllowedByListeners}}},
						{Ref: news, Parents: []ParentResult{{Ref: parent("gw", "web", "http")}}, Refs: &Problem{
							Kind: KindHTTPRoute, Object: news, Field: "spec.rules[0].backendRefs[0].namespace", Reason: reason.RefNotPermitted,
							Message: "no ReferenceGrant of namespace shop allows HTTPRoutes of team to use Service api"}, Rules: 1},
						{Ref: store, Parents: []ParentResult{{Ref: parent("gw", "", "")}}, Rules: 4, Dropped: []Problem{mirror}},
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
	backend, canaries := b.routeBackends(route, "spec.rules[0]", []gatewayv1.HTTPBackendRef{
		{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{Name: "app", Port: &port}, Weight: weight(0)}},
		{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{Name: "app", Port: &admin}, Weight: weight(1000000)}},
		{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{Name: "app", Port: &port}, Weight: weight(1000000)}},
	}, &RouteResult{})
	require.Equal(t, "web_app_81", backend, "a backend of weight 0 gets no request")
	require.Equal(t, []model.Canary{{Backend: "web_app_80", Strict: true, Owner: model.Owner{Kind: KindHTTPRoute, Ref: route}, Weight: 500000, WeightTotal: 1000000}}, canaries,
		"weights over model.Canary's total are scaled down")
	for _, c := range canaries {
		require.NoError(t, c.Validate())
	}
	require.Empty(t, b.problems)

	gone := gatewayv1.HTTPBackendRef{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{Name: "gone", Port: &port}, Weight: weight(2)}}
	backend, canaries = b.routeBackends(route, "spec.rules[0]", []gatewayv1.HTTPBackendRef{gone,
		{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{Name: "app", Port: &port}}}}, &RouteResult{})
	require.Equal(t, "web_app_80", backend, "the first usable backend is the main one")
	require.Equal(t, []model.Canary{{Unresolved: true, Owner: model.Owner{Kind: KindHTTPRoute, Ref: route}, Weight: 2, WeightTotal: 3}}, canaries,
		"the share of a backendRef that cannot be used answers 500")
	require.NoError(t, canaries[0].Validate())
	require.Len(t, b.problems, 1)
	for name, refs := range map[string][]gatewayv1.HTTPBackendRef{
		"none":                   nil,
		"only unusable":          {gone},
		"only of weight 0":       {{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{Name: "app", Port: &port}, Weight: weight(0)}}},
		"usable of weight 0 too": {gone, {BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{Name: "app", Port: &port}, Weight: weight(0)}}},
	} {
		backend, canaries = b.routeBackends(route, "spec.rules[0]", refs, &RouteResult{})
		require.Empty(t, backend, "%s: no backend answers 500", name)
		require.Empty(t, canaries, name)
	}
}

func TestRouteFilters(t *testing.T) {
	prefix := func(s string) *string { return &s }
	header := func(name, value string) model.Header {
		return model.Header{Name: name, Value: model.Template{{Text: value}}}
	}
	redirect := func(code int, url ...model.TemplatePart) *model.Redirect {
		return &model.Redirect{Code: code, URL: url}
	}
	text := func(s string) model.TemplatePart { return model.TemplatePart{Text: s} }
	variable := func(s string) model.TemplatePart { return model.TemplatePart{Var: s} }
	scheme, host, query := variable("scheme"), variable("host"), []model.TemplatePart{variable("is_args"), variable("args")}
	for _, tc := range []struct {
		name  string
		rule  string // YAML of an HTTPRouteRule
		ports []gatewayv1.PortNumber
		want  model.Policy
		// rejected is "field reason" of the rejection.
		rejected string
	}{
		{name: "request headers", rule: `{filters: [{type: RequestHeaderModifier, requestHeaderModifier: {
			set: [{name: X-Set, value: "a b"}], add: [{name: x-add, value: "1,2"}], remove: [X-Gone]}}]}`,
			want: model.Policy{RequestHeaders: model.HeaderChanges{Set: []model.Header{header("X-Set", "a b")},
				Add: []model.Header{header("x-add", "1,2")}, Remove: []string{"X-Gone"}}}},
		{name: "response headers", rule: `{filters: [{type: ResponseHeaderModifier, responseHeaderModifier: {
			set: [{name: X-Set, value: v}], add: [{name: X-Add, value: w}], remove: [X-Gone]}}]}`,
			want: model.Policy{ResponseHeaders: []model.Header{header("X-Set", "v")}, AddResponseHeaders: []model.Header{header("X-Add", "w")},
				RemoveResponseHeaders: []string{"X-Gone"}}},
		{name: "a header named twice in any case", rule: `{filters: [{type: RequestHeaderModifier, requestHeaderModifier: {
			set: [{name: X-A, value: v}], remove: [x-a]}}]}`, rejected: ".filters[0].requestHeaderModifier.remove[0] InvalidFilter"},
		{name: "a value with $", rule: `{filters: [{type: ResponseHeaderModifier, responseHeaderModifier: {add: [{name: X-A, value: $host}]}}]}`,
			rejected: ".filters[0].responseHeaderModifier.add[0].value InvalidHeader"},
		{name: "a value with a line break", rule: `{filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: X-A, value: "a\r\nB: c"}]}}]}`,
			rejected: ".filters[0].requestHeaderModifier.set[0].value InvalidHeader"},
		{name: "a name with a colon", rule: `{filters: [{type: RequestHeaderModifier, requestHeaderModifier: {remove: ["X:A"]}}]}`,
			rejected: ".filters[0].requestHeaderModifier.remove[0] InvalidHeader"},
		{name: "redirect: the request's scheme, host and path, the listener's port", rule: `{filters: [{type: RequestRedirect, requestRedirect: {}}]}`,
			ports: []gatewayv1.PortNumber{80}, want: model.Policy{Redirect: redirect(302, scheme, text("://"), host, variable("port_80"), variable("request_uri"))}},
		{name: "redirect: another listener port", rule: `{filters: [{type: RequestRedirect, requestRedirect: {hostname: example.org}}]}`,
			ports: []gatewayv1.PortNumber{8080}, want: model.Policy{Redirect: redirect(302, scheme, text("://"), text("example.org"), text(":8080"), variable("request_uri"))}},
		{name: "redirect: listeners of two ports", rule: `{filters: [{type: RequestRedirect, requestRedirect: {}}]}`,
			ports: []gatewayv1.PortNumber{80, 8080}, rejected: ".filters[0].requestRedirect.port UnsupportedFeature"},
		{name: "redirect: a scheme, its well-known port left out", rule: `{filters: [{type: RequestRedirect, requestRedirect: {scheme: https, statusCode: 301}}]}`,
			ports: []gatewayv1.PortNumber{80, 8080}, want: model.Policy{Redirect: redirect(301, text("https"), text("://"), host, variable("request_uri"))}},
		{name: "redirect: scheme and port", rule: `{filters: [{type: RequestRedirect, requestRedirect: {scheme: https, port: 8443}}]}`,
			want: model.Policy{Redirect: redirect(302, text("https"), text("://"), host, text(":8443"), variable("request_uri"))}},
		{name: "redirect: scheme and its default port", rule: `{filters: [{type: RequestRedirect, requestRedirect: {scheme: http, port: 80}}]}`,
			want: model.Policy{Redirect: redirect(302, text("http"), text("://"), host, variable("request_uri"))}},
		{name: "redirect: port 443 of the request's scheme", rule: `{filters: [{type: RequestRedirect, requestRedirect: {port: 443, statusCode: 308}}]}`,
			want: model.Policy{Redirect: redirect(308, scheme, text("://"), host, variable("port_443"), variable("request_uri"))}},
		{name: "redirect: full path", rule: `{filters: [{type: RequestRedirect, requestRedirect: {scheme: http, path: {type: ReplaceFullPath, replaceFullPath: /new}}}]}`,
			want: model.Policy{Redirect: redirect(302, append([]model.TemplatePart{text("http"), text("://"), host, text("/new")}, query...)...)}},
		{name: "redirect: prefix", rule: `{matches: [{path: {value: /old}}], filters: [{type: RequestRedirect, requestRedirect: {
			scheme: http, path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}}}]}`,
			want: model.Policy{ReplacePrefix: prefix("/new"),
				Redirect: redirect(302, append([]model.TemplatePart{text("http"), text("://"), host, variable("escaped_uri")}, query...)...)}},
		{name: "redirect: a prefix replaced on an Exact match", rule: `{matches: [{path: {type: Exact, value: /old}}], filters: [{type: RequestRedirect,
			requestRedirect: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}}}]}`, ports: []gatewayv1.PortNumber{80},
			rejected: ".filters[0].requestRedirect.path.type InvalidFilter"},
		{name: "redirect: status 304", rule: `{filters: [{type: RequestRedirect, requestRedirect: {statusCode: 304}}]}`,
			rejected: ".filters[0].requestRedirect.statusCode InvalidFilter"},
		{name: "redirect: scheme ftp", rule: `{filters: [{type: RequestRedirect, requestRedirect: {scheme: ftp}}]}`,
			rejected: ".filters[0].requestRedirect.scheme InvalidFilter"},
		{name: "redirect: a wildcard hostname", rule: `{filters: [{type: RequestRedirect, requestRedirect: {hostname: "*.example.org"}}]}`,
			rejected: ".filters[0].requestRedirect.hostname InvalidHost"},
		{name: "rewrite: host and full path", rule: `{filters: [{type: URLRewrite, urlRewrite: {hostname: backend.example.org, path: {type: ReplaceFullPath, replaceFullPath: /one}}}]}`,
			want: model.Policy{Proxy: model.Proxy{Host: "backend.example.org"}, RewriteTarget: model.Template{text("/one")}}},
		{name: "rewrite: an empty prefix", rule: `{filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: ""}}}]}`,
			want: model.Policy{ReplacePrefix: prefix("")}},
		{name: "rewrite: a path with a query", rule: `{filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: "/a?b"}}}]}`,
			rejected: ".filters[0].urlRewrite.path.replaceFullPath InvalidFilter"},
		{name: "redirect with rewrite", rule: `{filters: [{type: RequestRedirect, requestRedirect: {scheme: https}}, {type: URLRewrite, urlRewrite: {hostname: a.example.org}}]}`,
			rejected: ".filters InvalidFilter"},
		{name: "a filter given twice", rule: `{filters: [{type: URLRewrite, urlRewrite: {}}, {type: URLRewrite, urlRewrite: {}}]}`,
			rejected: ".filters[1] InvalidFilter"},
		{name: "a filter without its settings", rule: `{filters: [{type: URLRewrite}]}`, rejected: ".filters[0] InvalidFilter"},
		{name: "RequestMirror", rule: `{filters: [{type: RequestMirror, requestMirror: {backendRef: {name: a, port: 80}}}]}`,
			rejected: ".filters[0] UnsupportedFeature"},
		{name: "filters on a rule with a header match", rule: `{matches: [{path: {value: /a}}, {headers: [{name: x, value: "1"}]}],
			filters: [{type: URLRewrite, urlRewrite: {hostname: a.example.org}}]}`, rejected: ".matches[1] UnsupportedFeature"},
		{name: "a backendRef's filter", rule: `{backendRefs: [{name: a, port: 80, filters: [{type: RequestHeaderModifier, requestHeaderModifier: {remove: [a]}}]}]}`,
			rejected: ".backendRefs[0].filters UnsupportedFeature"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rule gatewayv1.HTTPRouteRule
			require.NoError(t, yaml.UnmarshalStrict([]byte(tc.rule), &rule))
			filters, rej := routeFilters(rule, tc.ports)
			if tc.rejected != "" {
				require.NotNil(t, rej)
				require.Equal(t, tc.rejected, rej.field+" "+string(rej.reason), rej.message)
				return
			}
			require.Nil(t, rej)
			var got model.Policy
			filters(&got)
			require.Equal(t, tc.want, got)
		})
	}
}
