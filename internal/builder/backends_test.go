package builder

import (
	"fmt"

	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/source"
	"github.com/archway-ingress/archway/internal/testutil"
)

func TestBuildBackends(t *testing.T) {
	routes := ref("shop", "routes")
	api := func(port string, endpoints ...model.Endpoint) model.Backend {
		return model.Backend{Name: "shop_api_" + port, Service: ref("shop", "api"), Port: port, Endpoints: endpoints}
	}
	failed := func(index, field string, why reason.Reason, message string) Problem {
		return Problem{Kind: KindIngress, Object: routes, Field: "spec.rules[0].http.paths[" + index + "].backend." + field,
			Reason: why, Message: message}
	}
	refused := func(slice string, address int, message string) Problem {
		return Problem{Kind: KindEndpointSlice, Object: ref("shop", slice), Field: fmt.Sprintf("endpoints[0].addresses[%d]", address),
			Reason: reason.InvalidEndpoint, Message: message}
	}
	runFixtures(t, map[string]fixture{
		"ports by number and name, endpoints, and failures": {
			files: []string{"classes.yaml", "backends.yaml"},
			config: model.Config{
				Servers: []model.Server{{Host: "shop.example.com", Locations: []model.Location{
					prefix("/again", "shop_api_80", routes),
					prefix("/bad-port-name", "", routes),
					prefix("/by-name", "shop_api_http", routes),
					prefix("/by-number", "shop_api_80", routes),
					prefix("/external", "", routes),
					prefix("/huge-port", "", routes),
					prefix("/idle", "shop_idle_80", routes),
					prefix("/metrics", "shop_api_metrics", routes),
					prefix("/missing", "", routes),
					prefix("/no-port", "", routes),
					prefix("/no-port-name", "", routes),
					prefix("/resource", "", routes),
					prefix("/single", "shop_single_80", routes),
				}}},
				Backends: []model.Backend{
					api("80", model.Endpoint{Address: "10.0.0.1", Port: 8080}, model.Endpoint{Address: "10.0.0.2", Port: 8080},
						model.Endpoint{Address: "fd00::1", Port: 8080}),
					api("http", model.Endpoint{Address: "10.0.0.1", Port: 8080}, model.Endpoint{Address: "10.0.0.2", Port: 8080},
						model.Endpoint{Address: "fd00::1", Port: 8080}),
					api("metrics", model.Endpoint{Address: "10.0.0.1", Port: 9100}, model.Endpoint{Address: "10.0.0.2", Port: 9100}),
					{Name: "shop_idle_80", Service: ref("shop", "idle"), Port: "80"},
					{Name: "shop_single_80", Service: ref("shop", "single"), Port: "80",
						Endpoints: []model.Endpoint{{Address: "10.0.0.9", Port: 8080}, {Address: "fd00::9", Port: 8080}}},
				},
			},
			report: Report{
				Served: []model.Ref{routes},
				Problems: []Problem{
					{Kind: KindEndpointSlice, Object: ref("shop", "idle-2"), Field: "ports[0].port",
						Reason: reason.InvalidEndpoint, Message: "port 0 is out of range"},
					failed("10", "service.name", reason.UnsupportedBackend,
						"Service shop/external is of type ExternalName, which is not supported"),
					failed("11", "resource", reason.UnsupportedBackend, "resource backends are not supported"),
					failed("12", "service.port.number", reason.ServicePortNotFound, "port 70000 is out of range"),
					failed("6", "service.name", reason.ServiceNotFound, "Service shop/nope not found"),
					failed("7", "service.port", reason.ServicePortNotFound, "Service shop/api has no port 81"),
					failed("8", "service.port", reason.ServicePortNotFound, "Service shop/api has no port grpc"),
					failed("9", "service.port.name", reason.ServicePortNotFound, `port name "HTTP_1" is not an IANA service name`),
					refused("single-1", 1, `endpoint address: ParseAddr("not-an-ip"): unable to parse IP`),
					refused("single-1", 2, "endpoint address 127.0.0.1 is a loopback address: the proxy would connect to its own host (only --manifests allows it)"),
					refused("single-1", 3, "endpoint address 0.0.0.0 is unspecified: the proxy would connect to itself"),
					refused("single-1", 4, "endpoint address 169.254.169.254 is link-local: the proxy would connect to its own network, such as the cloud metadata service"),
					refused("single-1", 5, "endpoint address fd00::9 is not IPv4, in an IPv4 EndpointSlice"),
					refused("single-1", 6, "endpoint address 224.0.0.1 is multicast"),
					refused("single-2", 1, "endpoint address 10.0.0.10 is IPv4, in an IPv6 EndpointSlice"),
					refused("single-2", 2, "endpoint address ::ffff:10.0.0.10 is IPv4, in an IPv6 EndpointSlice"),
					refused("single-2", 3, "endpoint address ::1 is a loopback address: the proxy would connect to its own host (only --manifests allows it)"),
					refused("single-2", 4, "endpoint address fe80::1 is link-local: the proxy would connect to its own network, such as the cloud metadata service"),
					refused("single-2", 5, "endpoint address :: is unspecified: the proxy would connect to itself"),
				},
			},
		},
	})
}

func TestBuildDefaultBackend(t *testing.T) {
	rulesOnly := []string{"classes.yaml", "service-web-app.yaml", "default-backend.yaml"}
	withIngress := append(rulesOnly[:len(rulesOnly):len(rulesOnly)], "default-backend-ingress.yaml")
	option := func(service string) *Options {
		opts := defaultOpts()
		opts.DefaultBackendService = service
		return &opts
	}
	appServer := []model.Server{{Host: "app.example.com", Locations: []model.Location{
		prefix("/", "web_app_80", ref("web", "rules-only")),
	}}}
	fallback := model.Backend{Name: "system_fallback_8080", Service: ref("system", "fallback"), Port: "8080",
		Endpoints: []model.Endpoint{{Address: "10.1.0.1", Port: 80}}}
	webAppHTTP := model.Backend{Name: "web_app_http", Service: ref("web", "app"), Port: "http",
		Endpoints: []model.Endpoint{{Address: "10.0.0.1", Port: 8080}}}
	optionProblem := func(obj model.Ref, field string, why reason.Reason, message string) Report {
		return Report{
			Served: []model.Ref{ref("web", "rules-only")},
			Problems: []Problem{{Kind: KindService, Object: obj, Field: field, Reason: why,
				Message: "--default-backend-service" + message}},
		}
	}
	runFixtures(t, map[string]fixture{
		"neither: unmatched requests get 404": {
			files:  rulesOnly,
			config: model.Config{Servers: appServer, Backends: []model.Backend{webApp80()}},
			report: Report{Served: []model.Ref{ref("web", "rules-only")}},
		},
		"the option, on the Service's first port": {
			files: rulesOnly,
			opts:  option("system/fallback"),
			config: model.Config{Servers: appServer, DefaultBackend: "system_fallback_8080",
				Backends: []model.Backend{fallback, webApp80()}},
			report: Report{Served: []model.Ref{ref("web", "rules-only")}},
		},
		"spec.defaultBackend beats the option": {
			files: withIngress,
			opts:  option("system/fallback"),
			config: model.Config{Servers: appServer, DefaultBackend: "web_app_http",
				Backends: []model.Backend{webApp80(), webAppHTTP}},
			report: Report{Served: []model.Ref{ref("web", "fallback"), ref("web", "rules-only")}},
		},
		"the oldest spec.defaultBackend wins even when its Service is missing": {
			files:  append(withIngress[:len(withIngress):len(withIngress)], "default-backend-broken.yaml"),
			opts:   option("system/fallback"),
			config: model.Config{Servers: appServer, Backends: []model.Backend{webApp80()}, DefaultBackendUnavailable: true},
			report: Report{
				Served: []model.Ref{ref("web", "rules-only"), ref("web", "z-broken")},
				Problems: []Problem{
					{Kind: KindIngress, Object: ref("web", "fallback"), Field: "spec.defaultBackend",
						Reason: reason.DefaultBackendConflict, Message: "the default backend of Ingress web/z-broken is used" + precedence},
					{Kind: KindIngress, Object: ref("web", "z-broken"), Field: "spec.defaultBackend.service.name",
						Reason: reason.ServiceNotFound, Message: "Service web/gone not found"},
				},
			},
		},
		"the option names a missing Service": {
			files:  rulesOnly,
			opts:   option("system/gone"),
			config: model.Config{Servers: appServer, Backends: []model.Backend{webApp80()}, DefaultBackendUnavailable: true},
			report: optionProblem(ref("system", "gone"), "", reason.ServiceNotFound, ": Service system/gone not found"),
		},
		"the option names a Service without ports": {
			files:  rulesOnly,
			opts:   option("system/portless"),
			config: model.Config{Servers: appServer, Backends: []model.Backend{webApp80()}, DefaultBackendUnavailable: true},
			report: optionProblem(ref("system", "portless"), "spec.ports", reason.ServicePortNotFound,
				": Service system/portless has no ports"),
		},
		"the option is not namespace/name": {
			files:  rulesOnly,
			opts:   option("fallback"),
			config: model.Config{Servers: appServer, Backends: []model.Backend{webApp80()}, DefaultBackendUnavailable: true},
			report: optionProblem(ref("", "fallback"), "", reason.ServiceNotFound, ` "fallback" is not namespace/name`),
		},
	})
}

// TestBuildKeepsEndpointSliceOrder gives a Service two EndpointSlices with
// another Service's between them: Build shares the Snapshot's array for
// the first one, and must never write the second one into it.
func TestBuildKeepsEndpointSliceOrder(t *testing.T) {
	ing0, svc0, first := testutil.ScaleObjects(0)
	ing1, svc1, other := testutil.ScaleObjects(1)
	second := first.DeepCopy()
	second.Name = "app-0-2"
	second.Endpoints = second.Endpoints[:1]
	second.Endpoints[0].Addresses = []string{"10.9.9.9"}
	snap := source.Snapshot{
		IngressClasses: load(t, "classes.yaml").IngressClasses,
		Ingresses:      []*networkingv1.Ingress{ing0, ing1},
		Services:       []*corev1.Service{svc0, svc1},
		EndpointSlices: []*discoveryv1.EndpointSlice{first, other, second},
	}
	want := slices.Clone(snap.EndpointSlices)
	config, report := Build(snap, Options{IngressClass: testutil.ScaleIngressClass, ControllerClass: testutil.ScaleControllerClass})
	require.Empty(t, report.Problems)
	for i := range want {
		require.Same(t, want[i], snap.EndpointSlices[i], "EndpointSlice %d", i)
	}
	require.Equal(t, []model.Endpoint{{Address: "10.0.0.1", Port: 8080}, {Address: "10.0.0.2", Port: 8080},
		{Address: "10.0.0.3", Port: 8080}, {Address: "10.9.9.9", Port: 8080}}, config.Backends[0].Endpoints)
}
