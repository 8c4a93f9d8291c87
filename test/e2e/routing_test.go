package e2e

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/utils/ptr"

	"github.com/archway-ingress/archway/test/harness"
)

// TestHostAndPathRules checks the Ingress spec's matching rules through
// nginx: Exact and element-wise Prefix, longest match first, Exact before
// an equally long Prefix, case-sensitive paths, rules for one host merged
// from two Ingresses, and wildcard hosts matching exactly one label.
func TestHostAndPathRules(t *testing.T) {
	t.Parallel()
	s := env
	ns := s.classNamespace(t)
	for _, name := range []string{"prefix", "deep", "exact", "wild"} {
		s.CreateService(t, ns, name, true, s.StartBackend(t, name))
	}
	a := s.startArchway(t, harness.ArchwayOptions{Class: ns})

	const (
		prefix = networkingv1.PathTypePrefix
		exact  = networkingv1.PathTypeExact
	)
	s.CreateIngress(t, harness.WithClass(harness.NewIngress(ns, "paths",
		harness.Route{Host: "app.example", Path: "/foo", PathType: prefix, Service: "prefix"},
		harness.Route{Host: "app.example", Path: "/foo/bar/", PathType: prefix, Service: "deep"},
		harness.Route{Host: "app.example", Path: "/exact", PathType: exact, Service: "exact"},
		harness.Route{Host: "*.wild.example", Path: "/", PathType: prefix, Service: "wild"},
	), ns))
	// A second Ingress adds a Prefix as long as the first one's Exact.
	s.CreateIngress(t, harness.WithClass(harness.NewIngress(ns, "more-paths",
		harness.Route{Host: "app.example", Path: "/exact", PathType: prefix, Service: "prefix"},
	), ns))
	a.WaitFor(t, "app.example", "/exact/more", harness.Served("prefix"))

	tests := map[string]struct {
		host, path string
		want       harness.Answer
	}{
		"prefix matches itself":                 {"app.example", "/foo", harness.Served("prefix")},
		"prefix matches with a trailing slash":  {"app.example", "/foo/", harness.Served("prefix")},
		"prefix matches a sub-path":             {"app.example", "/foo/baz", harness.Served("prefix")},
		"prefix matches whole elements only":    {"app.example", "/foobar", harness.NotFound},
		"paths are case-sensitive":              {"app.example", "/FOO", harness.NotFound},
		"longest prefix wins":                   {"app.example", "/foo/bar", harness.Served("deep")},
		"longest prefix wins below it":          {"app.example", "/foo/bar/baz", harness.Served("deep")},
		"a longer prefix needs the whole word":  {"app.example", "/foo/barn", harness.Served("prefix")},
		"exact beats prefix of equal length":    {"app.example", "/exact", harness.Served("exact")},
		"exact does not match a sub-path":       {"app.example", "/exact/more", harness.Served("prefix")},
		"no rule for the path":                  {"app.example", "/", harness.NotFound},
		"wildcard matches one label":            {"a.wild.example", "/", harness.Served("wild")},
		"wildcard matches any path below":       {"b.wild.example", "/x/y", harness.Served("wild")},
		"wildcard does not match two labels":    {"a.b.wild.example", "/", harness.NotFound},
		"wildcard does not match the bare host": {"wild.example", "/", harness.NotFound},
		"unknown host":                          {"other.example", "/foo", harness.NotFound},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			a.Expect(t, tc.host, tc.path, tc.want)
		})
	}
}

// TestDefaultBackend checks what answers requests that no rule matches:
// --default-backend-service, then an Ingress's spec.defaultBackend, which
// takes precedence, then the flag again once that Ingress is gone.
func TestDefaultBackend(t *testing.T) {
	t.Parallel()
	s := env
	ns := s.classNamespace(t)
	for _, name := range []string{"app", "flag-default", "spec-default"} {
		s.CreateService(t, ns, name, true, s.StartBackend(t, name))
	}
	a := s.startArchway(t, harness.ArchwayOptions{Class: ns, Args: []string{"--default-backend-service=" + ns + "/flag-default"}})
	s.CreateIngress(t, harness.WithClass(harness.NewIngress(ns, "app",
		harness.Route{Host: "app.example", Path: "/app", PathType: networkingv1.PathTypePrefix, Service: "app"},
	), ns))
	a.WaitFor(t, "app.example", "/app", harness.Served("app"))
	a.Expect(t, "app.example", "/elsewhere", harness.Served("flag-default"))
	a.Expect(t, "unknown.example", "/", harness.Served("flag-default"))

	fallback := harness.WithClass(harness.NewIngress(ns, "fallback"), ns)
	fallback.Spec.DefaultBackend = ptr.To(harness.ServiceBackend("spec-default", 0, harness.ServicePort))
	s.CreateIngress(t, fallback)
	a.WaitFor(t, "unknown.example", "/", harness.Served("spec-default"))
	a.Expect(t, "app.example", "/elsewhere", harness.Served("spec-default"))
	a.Expect(t, "app.example", "/app/x", harness.Served("app"))

	s.DeleteIngress(t, ns, "fallback")
	a.WaitFor(t, "unknown.example", "/", harness.Served("flag-default"))
}
