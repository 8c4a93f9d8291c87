package build

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/ingressclass"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/source"
)

// Build turns the Snapshot into this instance's model and reports what it
// served and what it rejected. It never modifies the Snapshot's objects.
func Build(snap source.Snapshot, opts Options) (model.Config, Report) {
	b := &builder{
		routes:  make(map[routeKey]*model.Location, len(snap.Ingresses)),
		served:  map[model.Ref]bool{},
		prefix:  cmp.Or(opts.AnnotationsPrefix, annotations.DefaultPrefix),
		secrets: secretIndex{all: snap.Secrets},
	}
	b.backends = newResolver(snap.Services, snap.EndpointSlices, &b.problems)
	b.tls = newTLSState(opts, &b.secrets)
	defer opts.Certificates.rotate()
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
	b.addCanaries()
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
	cfg := b.config()
	cfg.Settings = settings(snap.ConfigMap, &b.problems)
	cfg.DefaultCertificate = b.tls.defaultCertificate(opts, &b.problems)
	return cfg, b.report()
}

// builder collects what one Build call has decided so far.
type builder struct {
	backends *resolver
	// routes holds the winning Location of each route.
	routes map[routeKey]*model.Location
	// defaultOwner is the Ingress whose spec.defaultBackend won, if any.
	defaultOwner   *model.Ref
	defaultBackend string
	served         map[model.Ref]bool
	problems       problems
	// prefix is the annotations prefix; secrets are looked up by them.
	prefix  string
	secrets secretIndex
	// hosts collects the server-scoped annotations of each host.
	hosts hostClaims
	// tls collects the TLS sections and HTTPS redirects.
	tls tlsState
	// canaries wait, oldest first, for every main route (see canary.go).
	canaries []canaryIngress
}

func (b *builder) addIngress(ing *networkingv1.Ingress) {
	ref := model.Ref{Namespace: ing.Namespace, Name: ing.Name}
	pol := b.ingressPolicy(ing, ref)
	if pol.canary.Enabled {
		b.canaries = append(b.canaries, canaryIngress{ing: ing, pol: pol})
		return
	}
	b.tls.addIngress(ing, ref, pol.redirect, &b.problems)
	if ing.Spec.DefaultBackend != nil {
		b.addDefaultBackend(ref, ing.Spec.DefaultBackend, pol.blocked)
	}
	b.eachRule(ing, ref, func(host, field string, paths []networkingv1.HTTPIngressPath) {
		for j, path := range paths {
			b.addPath(ref, host, pathField(field, j), path, &pol)
		}
		if host != "" && b.served[ref] {
			b.hosts.claim(host, ref, pol.server, AnnotationField(b.prefix+"/server-alias"))
		}
	})
}

// addPath adds one path of an Ingress with its policy. A path whose
// Ingress has a blocked policy, or that cannot take the policy, keeps its
// route and answers 503 (see package annotations).
func (b *builder) addPath(ing model.Ref, host, field string, p networkingv1.HTTPIngressPath, pol *ingressPolicy) {
	path, match, rej := parsePath(p.PathType, p.Path, pol.regex)
	if rej != nil {
		b.reject(ing, field, rej)
		return
	}
	key := routeKey{host: host, path: path, match: match}
	if winner, taken := b.routes[key]; taken {
		b.problems.add(KindIngress, ing, field, ReasonPathConflict, key.conflict(ing, winner.Ingress))
		return
	}
	b.served[ing] = true
	policy, rej := pol.pathPolicy(match, path)
	if rej != nil {
		b.reject(ing, field, rej)
	}
	if pol.blocked || rej != nil {
		b.routes[key] = &model.Location{Path: path, Match: match, Ingress: ing}
		return
	}
	backend, rej := b.backends.ingressBackend(ing.Namespace, p.Backend)
	if rej != nil {
		b.reject(ing, field+".backend", rej)
	} else {
		backend = b.tuned(backend, pol)
	}
	b.routes[key] = &model.Location{Path: path, Match: match, Backend: backend, Ingress: ing, Policy: policy}
}

// tuned returns the variant of a resolved backend that the Ingress's
// service-upstream and balancing annotations ask for.
func (b *builder) tuned(backend string, pol *ingressPolicy) string {
	if pol.serviceUpstream {
		backend = b.backends.clusterIP(backend)
	}
	if pol.balancing != (model.Balancing{}) {
		backend = b.backends.balanced(backend, pol.balancing)
	}
	return backend
}

// addDefaultBackend claims the default backend for an Ingress; a blocked
// Ingress claims it to answer 503.
func (b *builder) addDefaultBackend(ing model.Ref, be *networkingv1.IngressBackend, blocked bool) {
	const field = "spec.defaultBackend"
	if b.defaultOwner != nil {
		b.problems.add(KindIngress, ing, field, ReasonDefaultBackendConflict,
			fmt.Sprintf("the default backend of Ingress %s is used%s", b.defaultOwner, precedence))
		return
	}
	backend, rej := "", (*rejection)(nil)
	if !blocked {
		backend, rej = b.backends.ingressBackend(ing.Namespace, *be)
	}
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
	servers := b.hosts.apply(servers(b.routes), &b.problems)
	b.tls.apply(servers)
	return model.Config{
		Servers:        servers,
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

// eachRule calls visit for every rule of the Ingress that has paths and a
// valid host (or none), with the rule's field; an invalid host is reported
// and its rule skipped.
func (b *builder) eachRule(ing *networkingv1.Ingress, ref model.Ref, visit func(host, field string, paths []networkingv1.HTTPIngressPath)) {
	for i, rule := range ing.Spec.Rules {
		field := "spec.rules[" + strconv.Itoa(i) + "]"
		if rule.Host != "" {
			if err := checkHost(rule.Host); err != nil {
				b.problems.add(KindIngress, ref, field+".host", ReasonInvalidHost, err.Error())
				continue
			}
		}
		if rule.HTTP != nil {
			visit(rule.Host, field, rule.HTTP.Paths)
		}
	}
}

// pathField is the field of the j-th path of the rule at ruleField.
func pathField(ruleField string, j int) string {
	return ruleField + ".http.paths[" + strconv.Itoa(j) + "]"
}
