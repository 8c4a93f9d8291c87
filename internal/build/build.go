package build

import (
	"cmp"
	"fmt"
	"slices"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/ingressclass"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/source"
)

// Build turns the Snapshot into this instance's model and reports what it
// served and what it rejected. It never modifies the Snapshot's objects.
func Build(snap source.Snapshot, opts Options) (model.Config, Report) {
	b := &builder{
		routes: map[routeKey]model.Location{},
		served: map[model.Ref]bool{},
	}
	b.backends = newResolver(snap.Services, snap.EndpointSlices, &b.problems)
	sel := ingressclass.Selector{
		IngressClass:      opts.IngressClass,
		ControllerClass:   opts.ControllerClass,
		WatchWithoutClass: opts.WatchWithoutClass,
	}
	classes := b.indexClasses(snap.IngressClasses, opts.IngressClass)
	// Oldest first: the first Ingress to claim a route or the default
	// backend is the oldest, so it wins every conflict.
	for _, ing := range b.selectIngresses(snap.Ingresses, classes, sel) {
		b.addIngress(ing)
	}
	if b.defaultOwner == nil && opts.DefaultBackendService != "" {
		b.defaultBackend = b.backends.defaultService(opts.DefaultBackendService)
	}
	for _, e := range snap.LoadErrors {
		field := ""
		if e.Doc >= 0 {
			field = fmt.Sprintf("document %d", e.Doc)
		}
		b.problems.add(KindFile, model.Ref{Name: e.File}, field, ReasonInvalidManifest, e.Err.Error())
	}
	return b.config(), b.report()
}

// builder collects what one Build call has decided so far.
type builder struct {
	backends *resolver
	// routes holds the winning Location of each route.
	routes map[routeKey]model.Location
	// defaultOwner is the Ingress whose spec.defaultBackend won, if any.
	defaultOwner   *model.Ref
	defaultBackend string
	served         map[model.Ref]bool
	problems       problems
}

func (b *builder) addIngress(ing *networkingv1.Ingress) {
	ref := model.Ref{Namespace: ing.Namespace, Name: ing.Name}
	if ing.Spec.DefaultBackend != nil {
		b.addDefaultBackend(ref, ing.Spec.DefaultBackend)
	}
	for i, rule := range ing.Spec.Rules {
		field := fmt.Sprintf("spec.rules[%d]", i)
		if rule.Host != "" {
			if err := checkHost(rule.Host); err != nil {
				b.problems.add(KindIngress, ref, field+".host", ReasonInvalidHost, err.Error())
				continue
			}
		}
		if rule.HTTP == nil {
			continue
		}
		for j, path := range rule.HTTP.Paths {
			b.addPath(ref, rule.Host, fmt.Sprintf("%s.http.paths[%d]", field, j), path)
		}
	}
}

func (b *builder) addPath(ing model.Ref, host, field string, p networkingv1.HTTPIngressPath) {
	path, match, rej := parsePath(p.PathType, p.Path)
	if rej != nil {
		b.reject(ing, field, rej)
		return
	}
	key := routeKey{host: host, path: path, match: match}
	if winner, taken := b.routes[key]; taken {
		b.problems.add(KindIngress, ing, field, ReasonPathConflict, key.conflict(ing, winner.Ingress))
		return
	}
	backend, rej := b.backends.ingressBackend(ing.Namespace, p.Backend)
	if rej != nil {
		b.reject(ing, field+".backend", rej)
	}
	b.routes[key] = model.Location{Path: path, Match: match, Backend: backend, Ingress: ing}
	b.served[ing] = true
}

func (b *builder) addDefaultBackend(ing model.Ref, be *networkingv1.IngressBackend) {
	const field = "spec.defaultBackend"
	if b.defaultOwner != nil {
		b.problems.add(KindIngress, ing, field, ReasonDefaultBackendConflict,
			fmt.Sprintf("the default backend of Ingress %s is used%s", b.defaultOwner, precedence))
		return
	}
	backend, rej := b.backends.ingressBackend(ing.Namespace, *be)
	if rej != nil {
		b.reject(ing, field, rej)
	}
	b.defaultOwner = &ing
	b.defaultBackend = backend
	b.served[ing] = true
}

// reject reports a rejection found under field of an Ingress.
func (b *builder) reject(ing model.Ref, field string, rej *rejection) {
	b.problems.add(KindIngress, ing, field+"."+rej.field, rej.reason, rej.message)
}

func (b *builder) config() model.Config {
	return model.Config{
		Servers:        servers(b.routes),
		DefaultBackend: b.defaultBackend,
		Backends:       b.backends.used(),
	}
}

func (b *builder) report() Report {
	var r Report
	for ref := range b.served {
		r.Served = append(r.Served, ref)
	}
	slices.SortFunc(r.Served, compareRefs)
	r.Problems = b.problems.sorted()
	return r
}

// rejection says why part of an object was dropped; field is relative to
// the part that was checked (e.g. "path", "service.port.name").
type rejection struct {
	field, reason, message string
}

// problems accumulates the Report's Problems of one Build.
type problems []Problem

func (p *problems) add(kind string, obj model.Ref, field, reason, message string) {
	*p = append(*p, Problem{Kind: kind, Object: obj, Field: field, Reason: reason, Message: message})
}

// sorted returns the problems in Report order without repeats: one object
// may be examined once per backend that uses it.
func (p problems) sorted() []Problem {
	slices.SortFunc(p, func(a, b Problem) int {
		return cmp.Or(compareRefs(a.Object, b.Object), cmp.Compare(a.Field, b.Field),
			cmp.Compare(a.Reason, b.Reason), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Message, b.Message))
	})
	return slices.Compact(p)
}

func compareRefs(a, b model.Ref) int {
	return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
}
