package builder

import (
	"testing"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

func TestBuildHosts(t *testing.T) {
	hosts, more := ref("web", "hosts"), ref("web", "more-hosts")
	invalid := func(rule, message string) Problem {
		return Problem{Kind: KindIngress, Object: hosts, Field: "spec.rules[" + rule + "].host",
			Reason: reason.InvalidHost, Message: message}
	}
	runFixtures(t, map[string]fixture{
		"exact, wildcard and catch-all hosts; one host over two Ingresses": {
			files: []string{"classes.yaml", "service-web-app.yaml", "hosts.yaml"},
			config: model.Config{
				Servers: []model.Server{
					{Host: "", Locations: []model.Location{
						prefix("/c", "web_app_80", hosts),
						prefix("/d", "web_app_80", more),
					}},
					{Host: "*.example.com", Locations: []model.Location{prefix("/w", "web_app_80", hosts)}},
					{Host: "foo.example.com", Locations: []model.Location{
						prefix("/f", "web_app_80", hosts),
						prefix("/g", "web_app_80", hosts),
						prefix("/h", "web_app_80", more),
					}},
				},
				Backends: []model.Backend{webApp80()},
			},
			report: Report{
				Served: []model.Ref{hosts, more},
				Problems: []Problem{
					invalid("3", `host "Foo.Example.com" is not a lowercase DNS name, optionally after "*."`),
					invalid("4", `host "*.*.example.com" is not a lowercase DNS name, optionally after "*."`),
					invalid("5", `host "10.0.0.1" is an IP address, not a DNS name`),
					invalid("7", `host "evil.example.com; return 200" is not a lowercase DNS name, optionally after "*."`),
				},
			},
		},
	})
}

func TestBuildPaths(t *testing.T) {
	paths := ref("web", "paths")
	const allowed = " is not allowed (only A-Z a-z 0-9 . _ ~ / -)"
	invalid := func(index, field, message string) Problem {
		return Problem{Kind: KindIngress, Object: paths, Field: "spec.rules[0].http.paths[" + index + "]." + field,
			Reason: reason.InvalidPath, Message: message}
	}
	runFixtures(t, map[string]fixture{
		"pathTypes are normalised; a bad path drops alone": {
			files: []string{"classes.yaml", "service-web-app.yaml", "paths.yaml"},
			config: model.Config{
				Servers: []model.Server{{Host: "paths.example.com", Locations: []model.Location{
					prefix("/", "web_app_80", paths),
					prefix("/Case/a.b_c~d-e", "web_app_80", paths),
					exact("/exact", "web_app_80", paths),
					exact("/exact-slash/", "web_app_80", paths),
					prefix("/impl", "web_app_80", paths),
					prefix("/no-type", "web_app_80", paths),
					prefix("/prefix", "web_app_80", paths),
					exact("/same", "web_app_80", paths),
					prefix("/same", "web_app_80", paths),
				}}},
				Backends: []model.Backend{webApp80()},
			},
			report: Report{
				Served: []model.Ref{paths},
				Problems: []Problem{
					invalid("10", "path", `path "/a b": character ' '`+allowed),
					invalid("11", "path", `path "/a/../b" must not contain "/../"`),
					invalid("12", "path", `path "/a//b" must not contain "//"`),
					invalid("13", "path", `path "relative" must begin with /`),
					invalid("14", "path", `path "" must begin with /`),
					invalid("15", "path", `path "/x/." must not end in a . or .. segment`),
					invalid("16", "path", `path "/café": character 'é'`+allowed),
					invalid("17", "path", `path "/%2e%2e": character '%'`+allowed),
					invalid("18", "pathType", `unknown pathType "Regex"`),
					invalid("19", "path", `path "/x;}": character ';'`+allowed),
					{Kind: KindIngress, Object: paths, Field: "spec.rules[0].http.paths[4]", Reason: reason.PathConflict,
						Message: `host "paths.example.com" path "/" (Prefix) is already routed by an earlier path of this Ingress`},
				},
			},
		},
	})
}

func TestBuildConflicts(t *testing.T) {
	old, young := ref("web", "old"), ref("web", "young")
	// winner is named only to a loser of its namespace.
	conflict := func(loser model.Ref, index, host, path, match, winner string) Problem {
		return Problem{Kind: KindIngress, Object: loser, Field: "spec.rules[0].http.paths[" + index + "]",
			Reason: reason.PathConflict, Message: `host "` + host + `" path "` + path + `" (` + match +
				`) is already routed by ` + winner + precedence}
	}
	runFixtures(t, map[string]fixture{
		"the oldest Ingress wins, then namespace, then name": {
			files: []string{"classes.yaml", "service-web-app.yaml", "conflicts.yaml"},
			config: model.Config{
				Servers: []model.Server{
					{Host: "shop.example.com", Locations: []model.Location{
						prefix("/api", "web_app_80", old),
						exact("/cart", "web_app_admin", young),
						prefix("/cart", "web_app_80", old),
					}},
					{Host: "tie.example.com", Locations: []model.Location{
						exact("/name-tie", "web_app_80", ref("web", "b")),
						exact("/tie", "alpha_app_80", ref("alpha", "z")),
					}},
				},
				DefaultBackend: "web_app_80",
				Backends: []model.Backend{
					{Name: "alpha_app_80", Service: ref("alpha", "app"), Port: "80"},
					webApp80(),
					{Name: "web_app_admin", Service: ref("web", "app"), Port: "admin",
						Endpoints: []model.Endpoint{{Address: "10.0.0.1", Port: 9000}}},
				},
			},
			report: Report{
				Served: []model.Ref{ref("alpha", "z"), ref("web", "b"), old, young},
				Problems: []Problem{
					conflict(ref("web", "a"), "0", "tie.example.com", "/tie", "Exact", "an Ingress of another namespace"),
					conflict(ref("web", "c"), "0", "tie.example.com", "/name-tie", "Exact", "Ingress web/b"),
					{Kind: KindIngress, Object: young, Field: "spec.defaultBackend", Reason: reason.DefaultBackendConflict,
						Message: "the default backend of Ingress web/old is used" + precedence},
					conflict(young, "0", "shop.example.com", "/cart", "Prefix", "Ingress web/old"),
					conflict(young, "2", "shop.example.com", "/api", "Prefix", "Ingress web/old"),
				},
			},
		},
	})
}
