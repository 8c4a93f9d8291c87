package status

import (
	"slices"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/record"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/source"
)

// Events turns the Report's Ingress, ConfigMap, Gateway and HTTPRoute
// problems into Warning Events on those objects, while it is the leader: one Event per distinct problem, again
// only after the problem went away and came back, or after leadership came
// back.
type Events struct {
	recorder record.EventRecorder

	mu      sync.Mutex
	leader  bool
	current []ingressProblem         // of the latest sync
	emitted map[builder.Problem]bool // while leader: what has an Event
}

type ingressProblem struct {
	problem builder.Problem
	object  *corev1.ObjectReference
}

// NewEvents returns Events that emit through recorder, which must not block
// (record's recorders drop rather than block).
func NewEvents(recorder record.EventRecorder) *Events {
	return &Events{recorder: recorder}
}

// Synced records the problems of a sync and, as leader, emits the new ones.
func (e *Events) Synced(snap source.Snapshot, report builder.Report) {
	current := ingressProblems(snap, report)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.current = current
	if e.leader {
		e.emit()
	}
}

// SetLeader turns emitting on or off; a new leader emits every current
// problem once.
func (e *Events) SetLeader(leader bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.leader == leader {
		return
	}
	e.leader, e.emitted = leader, nil
	if leader {
		e.emit()
	}
}

// emit sends an Event for each current problem that has none yet. e.mu is
// held.
func (e *Events) emit() {
	emitted := make(map[builder.Problem]bool, len(e.current))
	for _, p := range e.current {
		emitted[p.problem] = true
		if !e.emitted[p.problem] {
			e.recorder.Event(p.object, corev1.EventTypeWarning, string(p.problem.Reason), eventMessage(p.problem))
		}
	}
	e.emitted = emitted
}

func eventMessage(p builder.Problem) string {
	if p.Field == "" {
		return p.Message
	}
	return p.Field + ": " + p.Message
}

// ingressProblems are the Report's problems about Ingresses, ConfigMaps,
// Gateways and HTTPRoutes, each with a reference to its object (with its UID, so kubectl describe
// finds it).
func ingressProblems(snap source.Snapshot, report builder.Report) []ingressProblem {
	var uids map[objectKey]types.UID
	var out []ingressProblem
	for _, p := range report.Problems {
		ref := &corev1.ObjectReference{Kind: "Ingress", APIVersion: "networking.k8s.io/v1"}
		switch p.Kind {
		case builder.KindIngress:
		case builder.KindConfigMap:
			ref = &corev1.ObjectReference{Kind: "ConfigMap", APIVersion: "v1"}
		case builder.KindGateway, builder.KindHTTPRoute:
			ref = &corev1.ObjectReference{Kind: p.Kind, APIVersion: gatewayv1.GroupVersion.String()}
		default:
			continue
		}
		if uids == nil {
			uids = objectUIDs(snap)
		}
		ref.Namespace, ref.Name, ref.UID = p.Object.Namespace, p.Object.Name, uids[objectKey{p.Kind, p.Object}]
		out = append(out, ingressProblem{problem: p, object: ref})
	}
	return out
}

// objectKey names an object of a Problem kind.
type objectKey struct {
	kind string
	ref  model.Ref
}

// objectUIDs returns the UIDs of the objects of snap that Problems name.
func objectUIDs(snap source.Snapshot) map[objectKey]types.UID {
	uids := make(map[objectKey]types.UID, len(snap.Ingresses)+len(snap.ConfigMaps)+1)
	for _, cm := range append(slices.Clone(snap.ConfigMaps), snap.ConfigMap) {
		if cm != nil {
			uids[objectKey{builder.KindConfigMap, model.Ref{Namespace: cm.Namespace, Name: cm.Name}}] = cm.UID
		}
	}
	for _, ing := range snap.Ingresses {
		uids[objectKey{builder.KindIngress, refOf(ing)}] = ing.UID
	}
	for _, gw := range snap.Gateways {
		uids[objectKey{builder.KindGateway, refOf(gw)}] = gw.UID
	}
	for _, route := range snap.HTTPRoutes {
		uids[objectKey{builder.KindHTTPRoute, refOf(route)}] = route.UID
	}
	return uids
}
