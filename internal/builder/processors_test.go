package builder

import (
	"os"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// TestProcessorOfAnotherKind adds a processor of a made-up kind of route
// after the Ingress processors, the way a new kind is added, and checks
// that the rules of the seam hold for it: the older Ingress keeps its
// route and the default backend, the kind's other routes are served under
// their own Owner, a regex path needs the host's namespace, and the
// problems name the kind.
func TestProcessorOfAnotherKind(t *testing.T) {
	const kind = "TestRoute"
	route, intruding := model.Owner{Kind: kind, Ref: ref("web", "route")}, model.Owner{Kind: kind, Ref: ref(intruder, "route")}
	app := networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "app", Port: networkingv1.ServiceBackendPort{Name: "http"}}}
	addRoutes := func(b *build) {
		b.reserve(3, 2)
		for _, r := range []struct {
			owner model.Owner
			key   routeKey
		}{
			{route, routeKey{host: sharedHost, path: "/", match: model.MatchPrefix}},
			{route, routeKey{host: sharedHost, path: "/api", match: model.MatchPrefix}},
			{intruding, routeKey{host: sharedHost, path: "/x", match: model.MatchRegex}},
		} {
			loc, rej := b.route(r.owner, r.key)
			if rej != nil {
				b.problems.add(r.owner.Kind, r.owner.Ref, r.key.path, rej.reason, rej.message)
				continue
			}
			var backendRej *rejection
			loc.Backend, backendRej = b.backends.ingressBackend(r.owner.Namespace, app)
			require.Nil(t, backendRej)
		}
		if rej := b.defaultTaken(route); rej != nil {
			b.problems.add(kind, route.Ref, "default", rej.reason, rej.message)
		}
	}
	at := slices.IndexFunc(processors, func(p func(*build)) bool {
		return reflect.ValueOf(p).Pointer() == reflect.ValueOf((*build).addCanaries).Pointer()
	})
	require.GreaterOrEqual(t, at, 0)
	procs := slices.Insert(slices.Clone(processors), at+1, addRoutes)

	config, report := run(tenantSnapshot(t, withDefaultBackend(owner())), defaultOpts(), procs)

	ingress := ingressOwner(ref("web", "owner"))
	require.Equal(t, []model.Server{{Host: sharedHost, Locations: []model.Location{
		{Path: "/", Match: model.MatchPrefix, Backend: "web_app_http", Owner: ingress},
		{Path: "/api", Match: model.MatchPrefix, Backend: "web_app_http", Owner: route},
	}}}, config.Servers)
	require.Equal(t, "web_app_http", config.DefaultBackend)
	require.Equal(t, []model.Ref{ingress.Ref}, report.Served, "Served lists Ingresses")
	require.Equal(t, []Problem{
		{Kind: kind, Object: intruding.Ref, Field: "/x", Reason: reason.HostNotOwned, Message: `host "shared.example.com" belongs to another namespace, ` +
			`whose Ingress for it is older: only that namespace may set regex paths for it (nginx tries them before Prefix "/"); the path is ignored`},
		{Kind: kind, Object: route.Ref, Field: "/", Reason: reason.PathConflict,
			Message: `host "shared.example.com" path "/" (Prefix) is already routed by Ingress web/owner (Ingress routes win over TestRoute routes)`},
		{Kind: kind, Object: route.Ref, Field: "default", Reason: reason.DefaultBackendConflict,
			Message: "the default backend of Ingress web/owner is used (Ingress routes win over TestRoute routes)"},
	}, report.Problems)
}

// TestArchitectureListsProcessors keeps the processor table of
// docs/architecture.md in the order of processors.
func TestArchitectureListsProcessors(t *testing.T) {
	doc, err := os.ReadFile("../../docs/architecture.md")
	require.NoError(t, err)
	var documented []string
	for _, m := range regexp.MustCompile("(?m)^\\| [0-9]+ \\| `([A-Za-z]+)` \\|").FindAllSubmatch(doc, -1) {
		documented = append(documented, string(m[1]))
	}
	var names []string
	for _, p := range processors {
		name := runtime.FuncForPC(reflect.ValueOf(p).Pointer()).Name()
		names = append(names, name[strings.LastIndex(name, ".")+1:])
	}
	require.Equal(t, names, documented)
}
