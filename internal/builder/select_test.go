package builder

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/source"
)

func TestBuildClassSelection(t *testing.T) {
	files := []string{"classes.yaml", "service-web-app.yaml", "selection.yaml"}
	server := func(host, ingress string) model.Server {
		return model.Server{Host: host, Locations: []model.Location{prefix("/", "web_app_80", ref("web", ingress))}}
	}
	runFixtures(t, map[string]fixture{
		"class name or annotation": {
			files: files,
			config: model.Config{
				Servers: []model.Server{
					server("annotation.example.com", "by-annotation"),
					server("class-name.example.com", "by-class-name"),
				},
				Backends: []model.Backend{webApp80()},
			},
			report: Report{Served: []model.Ref{ref("web", "by-annotation"), ref("web", "by-class-name")}},
		},
		"watch without class adds class-less Ingresses": {
			files: files,
			opts:  &Options{IngressClass: "archway", ControllerClass: "archway.dev/ingress-controller", WatchWithoutClass: true},
			config: model.Config{
				Servers: []model.Server{
					server("annotation.example.com", "by-annotation"),
					server("class-name.example.com", "by-class-name"),
					server("no-class.example.com", "no-class"),
				},
				Backends: []model.Backend{webApp80()},
			},
			report: Report{Served: []model.Ref{ref("web", "by-annotation"), ref("web", "by-class-name"), ref("web", "no-class")}},
		},
		"IngressClass of another controller selects only by annotation": {
			files: files,
			opts:  &Options{IngressClass: "archway", ControllerClass: "example.com/other"},
			config: model.Config{
				Servers:  []model.Server{server("annotation.example.com", "by-annotation")},
				Backends: []model.Backend{webApp80()},
			},
			report: Report{Served: []model.Ref{ref("web", "by-annotation")}},
		},
		"without IngressClass objects only the annotation selects": {
			files: []string{"service-web-app.yaml", "selection.yaml"},
			config: model.Config{
				Servers:  []model.Server{server("annotation.example.com", "by-annotation")},
				Backends: []model.Backend{webApp80()},
			},
			report: Report{Served: []model.Ref{ref("web", "by-annotation")}},
		},
	})
}

func TestBuildDuplicatesAndNames(t *testing.T) {
	runFixtures(t, map[string]fixture{
		"duplicate objects are used by no one, other objects still are": {
			files: []string{"classes.yaml", "service-web-app.yaml", "duplicates.yaml"},
			config: model.Config{
				Servers: []model.Server{{Host: "dup.example.com", Locations: []model.Location{
					prefix("/app", "web_app_80", ref("web", "fine")),
					prefix("/twice", "", ref("web", "fine")),
				}}},
				Backends: []model.Backend{webApp80()},
			},
			report: Report{
				Served: []model.Ref{ref("web", "fine")},
				Problems: []Problem{
					{Kind: KindIngress, Object: ref("BAD", "shouting"), Field: "metadata", Reason: reason.InvalidName,
						Message: `namespace "BAD" is not a lowercase DNS label`},
					{Kind: KindIngress, Object: ref("web", "copied"), Reason: reason.DuplicateObject,
						Message: "2 Ingresses are named web/copied; none of them is served"},
					{Kind: KindIngress, Object: ref("web", "fine"), Field: "spec.rules[0].http.paths[1].backend.service.name",
						Reason: reason.DuplicateObject, Message: "2 Services are named web/twice; none of them is used"},
				},
			},
		},
		"duplicate IngressClass of this instance selects nothing by class name": {
			files: []string{"classes.yaml", "classes.yaml", "service-web-app.yaml", "selection.yaml"},
			config: model.Config{
				Servers: []model.Server{{Host: "annotation.example.com", Locations: []model.Location{
					prefix("/", "web_app_80", ref("web", "by-annotation")),
				}}},
				Backends: []model.Backend{webApp80()},
			},
			report: Report{
				Served: []model.Ref{ref("web", "by-annotation")},
				Problems: []Problem{{Kind: KindIngressClass, Object: ref("", "archway"), Reason: reason.DuplicateObject,
					Message: "2 IngressClasses are named archway; no Ingress of this class is served"}},
			},
		},
	})
}

func TestBuildLoadErrors(t *testing.T) {
	runFixtures(t, map[string]fixture{
		"a broken document is reported, the rest is served": {
			files: []string{"classes.yaml", "service-web-app.yaml", "broken.yaml"},
			config: model.Config{
				Servers: []model.Server{{Host: "still.example.com", Locations: []model.Location{
					prefix("/", "web_app_80", ref("web", "before-the-break")),
				}}},
				Backends: []model.Backend{webApp80()},
			},
			report: Report{
				Served: []model.Ref{ref("web", "before-the-break")},
				Problems: []Problem{{Kind: KindFile, Object: ref("", "broken.yaml"), Field: "document 1",
					Reason: reason.InvalidManifest, Message: brokenMessage(t)}},
			},
		},
	})

	t.Run("an unreadable file has no document", func(t *testing.T) {
		_, report := Build(source.Snapshot{LoadErrors: []source.LoadError{
			{File: "/m/gone.yaml", Doc: -1, Err: errors.New("permission denied")},
		}}, defaultOpts())
		require.Equal(t, Report{Problems: []Problem{{Kind: KindFile, Object: ref("", "/m/gone.yaml"),
			Reason: reason.InvalidManifest, Message: "permission denied"}}}, report)
	})
}

// brokenMessage is the decoder's own error for testdata/broken.yaml: its
// wording belongs to package source, the Problem around it to Build.
func brokenMessage(t *testing.T) string {
	s := load(t, "broken.yaml")
	require.Len(t, s.LoadErrors, 1)
	require.Equal(t, 1, s.LoadErrors[0].Doc)
	return s.LoadErrors[0].Err.Error()
}
