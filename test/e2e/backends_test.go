package e2e

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/test/harness"
)

// TestEndpointReadiness follows the ready condition of a Service's
// endpoints: none ready answers 503, a ready one serves, two ready ones
// both serve, and none ready again answers 503.
func TestEndpointReadiness(t *testing.T) {
	t.Parallel()
	s := env
	ns := s.classNamespace(t)
	one, two := s.StartBackend(t, "one"), s.StartBackend(t, "two")
	slice := s.CreateService(t, ns, "app", false, one, two)
	a := s.startArchway(t, harness.ArchwayOptions{Class: ns})
	s.CreateIngress(t, harness.WithClass(harness.NewIngress(ns, "app",
		harness.Route{Host: "app.example", Path: "/", PathType: networkingv1.PathTypePrefix, Service: "app"},
	), ns))
	a.WaitFor(t, "app.example", "/", harness.Unavailable)

	slice = s.SetReady(t, slice, true, false)
	a.WaitFor(t, "app.example", "/", harness.Served("one"))
	for range 10 {
		a.Expect(t, "app.example", "/", harness.Served("one"))
	}

	slice = s.SetReady(t, slice, true, true)
	a.WaitFor(t, "app.example", "/", harness.Served("two"))
	a.WaitFor(t, "app.example", "/", harness.Served("one"))

	s.SetReady(t, slice, false, false)
	a.WaitFor(t, "app.example", "/", harness.Unavailable)
}

// TestServicePorts resolves a backend's Service port by name and by
// number to the EndpointSlice's target port; a port the Service lacks
// answers 503 without disturbing the paths that resolve.
func TestServicePorts(t *testing.T) {
	t.Parallel()
	s := env
	ns := s.classNamespace(t)
	s.CreateService(t, ns, "app", true, s.StartBackend(t, "app"))
	a := s.startArchway(t, harness.ArchwayOptions{Class: ns})
	const prefix = networkingv1.PathTypePrefix
	s.CreateIngress(t, harness.WithClass(harness.NewIngress(ns, "ports",
		harness.Route{Host: "app.example", Path: "/by-name", PathType: prefix, Service: "app", PortName: harness.ServicePort},
		harness.Route{Host: "app.example", Path: "/by-number", PathType: prefix, Service: "app", PortNumber: 80},
		harness.Route{Host: "app.example", Path: "/no-such-name", PathType: prefix, Service: "app", PortName: "grpc"},
		harness.Route{Host: "app.example", Path: "/no-such-number", PathType: prefix, Service: "app", PortNumber: 8443},
	), ns))
	a.WaitFor(t, "app.example", "/by-name", harness.Served("app"))
	a.Expect(t, "app.example", "/by-number", harness.Served("app"))
	a.Expect(t, "app.example", "/no-such-name", harness.Unavailable)
	a.Expect(t, "app.example", "/no-such-number", harness.Unavailable)
}

// TestMissingService serves 503 for the paths of a Service that does not
// exist, keeps everything else serving, and serves the paths once the
// Service appears.
func TestMissingService(t *testing.T) {
	t.Parallel()
	s := env
	ns := s.classNamespace(t)
	s.CreateService(t, ns, "app", true, s.StartBackend(t, "app"))
	late := s.StartBackend(t, "late")
	a := s.startArchway(t, harness.ArchwayOptions{Class: ns})
	const prefix = networkingv1.PathTypePrefix
	s.CreateIngress(t, harness.WithClass(harness.NewIngress(ns, "mixed",
		harness.Route{Host: "app.example", Path: "/ok", PathType: prefix, Service: "app"},
		harness.Route{Host: "app.example", Path: "/missing", PathType: prefix, Service: "late"},
	), ns))
	s.CreateIngress(t, harness.WithClass(harness.NewIngress(ns, "only-missing",
		harness.Route{Host: "missing.example", Path: "/", PathType: prefix, Service: "late"},
	), ns))
	s.CreateIngress(t, harness.WithClass(harness.NewIngress(ns, "other",
		harness.Route{Host: "other.example", Path: "/", PathType: prefix, Service: "app"},
	), ns))
	a.WaitFor(t, "other.example", "/", harness.Served("app"))

	tests := map[string]struct {
		host, path string
		want       harness.Answer
	}{
		"a path of the missing Service":            {"app.example", "/missing", harness.Unavailable},
		"the other path of the same Ingress":       {"app.example", "/ok", harness.Served("app")},
		"an Ingress with only the missing Service": {"missing.example", "/", harness.Unavailable},
		"an unrelated Ingress":                     {"other.example", "/", harness.Served("app")},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			a.Expect(t, tc.host, tc.path, tc.want)
		})
	}

	s.CreateService(t, ns, "late", true, late)
	a.WaitFor(t, "app.example", "/missing", harness.Served("late"))
	a.Expect(t, "missing.example", "/", harness.Served("late"))
	a.Expect(t, "app.example", "/ok", harness.Served("app"))
}
