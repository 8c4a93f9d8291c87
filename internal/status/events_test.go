package status

import (
	"testing"

	"github.com/stretchr/testify/require"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/client-go/tools/record"

	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/source"
)

var (
	badPath = builder.Problem{Kind: builder.KindIngress, Object: model.Ref{Namespace: "web", Name: "a"},
		Field: "spec.rules[0].http.paths[0].path", Reason: reason.InvalidPath, Message: `path "/a b" has a space`}
	noService = builder.Problem{Kind: builder.KindIngress, Object: model.Ref{Namespace: "web", Name: "b"},
		Reason: reason.ServiceNotFound, Message: `Service "web/gone" not found`}
	unknownKey = builder.Problem{Kind: builder.KindConfigMap, Object: model.Ref{Namespace: "ingress", Name: "archway"},
		Field: "data.plugins", Key: "plugins", Reason: reason.UnsupportedSetting, Message: "no Lua"}
	noGrant = builder.Problem{Kind: builder.KindHTTPRoute, Object: model.Ref{Namespace: "web", Name: "r"},
		Field: "spec.rules[0].backendRefs[0].namespace", Reason: reason.RefNotPermitted, Message: "no ReferenceGrant"}
	badSlice = builder.Problem{Kind: builder.KindEndpointSlice, Object: model.Ref{Namespace: "web", Name: "s"},
		Reason: reason.InvalidEndpoint, Message: "loopback"}
)

const (
	badPathEvent    = `Warning InvalidPath spec.rules[0].http.paths[0].path: path "/a b" has a space involvedObject{kind=Ingress,apiVersion=networking.k8s.io/v1}`
	unknownKeyEvent = `Warning UnsupportedSetting data.plugins: no Lua involvedObject{kind=ConfigMap,apiVersion=v1}`
	noGrantEvent    = `Warning RefNotPermitted spec.rules[0].backendRefs[0].namespace: no ReferenceGrant involvedObject{kind=HTTPRoute,apiVersion=gateway.networking.k8s.io/v1}`
	noServiceEvent  = `Warning ServiceNotFound Service "web/gone" not found involvedObject{kind=Ingress,apiVersion=networking.k8s.io/v1}`
)

func TestEvents(t *testing.T) {
	snap := source.Snapshot{Ingresses: []*networkingv1.Ingress{ingress("a"), ingress("b")}}
	sync := func(problems ...builder.Problem) func(*Events) {
		return func(e *Events) { e.Synced(snap, builder.Report{Problems: problems}) }
	}
	lead := func(leader bool) func(*Events) {
		return func(e *Events) { e.SetLeader(leader) }
	}
	// Each step starts where the previous one left off.
	steps := []struct {
		name string
		do   func(*Events)
		want []string
	}{
		{name: "not leader: nothing", do: sync(badPath)},
		{name: "becoming leader emits current problems", do: lead(true), want: []string{badPathEvent}},
		{name: "same problem again: nothing; not an Ingress: nothing", do: sync(badPath, badSlice)},
		{name: "and again", do: sync(badPath)},
		{name: "a new problem only", do: sync(badPath, noService), want: []string{noServiceEvent}},
		{name: "a ConfigMap's problem: on the ConfigMap", do: sync(badPath, noService, unknownKey), want: []string{unknownKeyEvent}},
		{name: "an HTTPRoute's problem: on the HTTPRoute", do: sync(badPath, noService, unknownKey, noGrant), want: []string{noGrantEvent}},
		{name: "gone", do: sync(noService)},
		{name: "back again", do: sync(badPath, noService), want: []string{badPathEvent}},
		{name: "lost leadership", do: lead(false)},
		{name: "a follower emits nothing", do: sync(badPath)},
		{name: "leader again: re-emitted", do: lead(true), want: []string{badPathEvent}},
		{name: "leader still: nothing", do: lead(true)},
	}
	recorder := record.NewFakeRecorder(100)
	recorder.IncludeObject = true
	events := NewEvents(recorder)
	for _, step := range steps {
		step.do(events)
		var got []string
		for len(recorder.Events) > 0 {
			got = append(got, <-recorder.Events)
		}
		require.Equal(t, step.want, got, step.name)
	}
}
