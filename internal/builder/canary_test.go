package builder

import (
	"testing"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// webApp81 is the Backend of testdata/service-web-app.yaml's port 81.
func webApp81() model.Backend {
	return model.Backend{
		Name: "web_app_81", Service: ref("web", "app"), Port: "81",
		Endpoints: []model.Endpoint{{Address: "10.0.0.1", Port: 9000}},
	}
}

func withCanaries(l model.Location, c ...model.Canary) model.Location {
	l.Canaries = c
	return l
}

func TestBuildCanaries(t *testing.T) {
	main, oldCanary, newCanary, bad := ref("web", "main"), ref("web", "old-canary"), ref("web", "new-canary"), ref("web", "bad-canary")
	byHeader := model.Canary{Backend: "web_app_admin", Owner: ingressOwner(oldCanary), WeightTotal: 100,
		Header: "X-Canary", HeaderPattern: "^beta-[0-9]+$", Cookie: "canary"}
	ewma := webApp81()
	ewma.Name, ewma.Balancing = "web_app_81.b3fd8de829ea", model.Balancing{Algorithm: model.EWMA}
	byWeight := model.Canary{Backend: ewma.Name, Owner: ingressOwner(newCanary), Weight: 3, WeightTotal: 10}
	admin := webApp81()
	admin.Name, admin.Port = "web_app_admin", "admin"
	runFixtures(t, map[string]fixture{
		"canaries attach to the same host, path and pathType, oldest first": {
			files: []string{"classes.yaml", "service-web-app.yaml", "canary.yaml"},
			config: model.Config{
				Servers: []model.Server{{Host: "c.example.com", Locations: []model.Location{
					withCanaries(prefix("/", "web_app_80", main), byHeader, byWeight),
					withCanaries(exact("/exact", "web_app_80", main), byWeight),
				}}},
				Backends: []model.Backend{webApp80(), webApp81(), ewma, admin},
			},
			report: Report{
				Served: []model.Ref{main, newCanary, oldCanary},
				Problems: []Problem{
					{Kind: KindIngress, Object: bad, Field: annotationsField, Reason: reason.InvalidAnnotation,
						Message: "the canary is not used, since some of its annotations are invalid"},
					{Kind: KindIngress, Object: bad, Field: annotation("canary-weight"), Key: annotationKey("canary-weight"), Reason: reason.InvalidAnnotation,
						Message: `value "200": must be at most canary-weight-total (100)`},
					{Kind: KindIngress, Object: oldCanary, Field: "spec.rules[0].http.paths[1]", Reason: reason.CanaryWithoutMain,
						Message: `no other Ingress serves host "c.example.com" path "/exact" (Prefix) with a backend; the canary path is ignored`},
					{Kind: KindIngress, Object: oldCanary, Field: "spec.rules[0].http.paths[2]", Reason: reason.CanaryWithoutMain,
						Message: `no other Ingress serves host "c.example.com" path "/nobody" (Prefix) with a backend; the canary path is ignored`},
				},
			},
		},
	})
}
