package builder

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/ingressclass"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/source"
)

// Build turns the Snapshot into this instance's model and reports what it
// served and what it rejected. It never modifies the Snapshot's objects.
func Build(snap source.Snapshot, opts Options) (model.Config, Report) {
	b := &build{
		prefix:  cmp.Or(opts.AnnotationsPrefix, annotations.DefaultPrefix),
		secrets: secretIndex{all: snap.Secrets},
	}
	// Indexing the Services and selecting the Ingresses are independent:
	// do both at once.
	var indexing sync.WaitGroup
	indexing.Go(func() {
		b.backends = newResolver(snap.Services, snap.EndpointSlices, &b.problems)
		b.backends.loopback = opts.LoopbackEndpoints
	})
	defer opts.Certificates.rotate()
	sel := ingressclass.Selector{
		IngressClass:      opts.IngressClass,
		ControllerClass:   opts.ControllerClass,
		WatchWithoutClass: opts.WatchWithoutClass,
	}
	classes := b.indexClasses(snap.IngressClasses, opts.IngressClass)
	// Oldest first: the first Ingress to claim a route or the default
	// backend is the oldest, so it wins every conflict.
	ings := b.withinLimits(b.selectIngresses(snap.Ingresses, classes, sel), opts.Limits)
	b.reserve(ings)
	b.owners = hostOwners{}
	b.tls = newTLSState(opts, &b.secrets, len(ings))
	settings := settings(snap.ConfigMap, &b.problems)
	b.safeSnippets = settings.SafeSnippets
	indexing.Wait()
	for _, ing := range ings {
		b.addIngress(ing)
	}
	b.addCanaries()
	if b.defaultOwner == nil && opts.DefaultBackendService != "" {
		b.defaultBackend = b.backends.defaultService(opts.DefaultBackendService)
		b.defaultAsked = true
	}
	for _, e := range snap.LoadErrors {
		field := ""
		if e.Doc >= 0 {
			field = fmt.Sprintf("document %d", e.Doc)
		}
		b.problems.add(KindFile, model.Ref{Name: e.File}, field, reason.InvalidManifest, e.Err.Error())
	}
	cfg := b.config()
	cfg.Settings = settings
	cfg.DefaultCertificate = b.tls.defaultCertificate(opts, &b.problems)
	return cfg, b.report()
}

// build collects what one Build call has decided so far.
type build struct {
	backends *resolver
	// routes maps each route to the index of its winning Location in
	// locs; keys holds the route of each Location in locs.
	routes map[routeKey]int
	locs   []model.Location
	keys   []routeKey
	// defaultOwner is the owner of the default backend that won, if any.
	defaultOwner   *model.Owner
	defaultBackend string
	// defaultAsked is set once an Ingress or the option asked for a
	// default backend, which may have failed to resolve.
	defaultAsked bool
	// served lists the owners that contributed something, in the order
	// they were added (each owner is added in one go).
	served   []model.Owner
	problems problems
	// prefix is the annotations prefix; secrets are looked up by them.
	prefix  string
	secrets secretIndex
	// owners maps hosts to the namespaces that own them (see owners.go).
	owners hostOwners
	// hosts collects the server-scoped annotations of each host.
	hosts hostClaims
	// tls collects the TLS sections and HTTPS redirects.
	tls tlsState
	// canaries wait, oldest first, for every main route (see canary.go).
	canaries []canaryIngress
	// safeSnippets applies the snippets of the safe subset; serverSnippets
	// collects the server-snippets (see snippets.go).
	safeSnippets   bool
	serverSnippets serverSnippets
}

func (b *build) addIngress(ing *networkingv1.Ingress) {
	ref := model.Ref{Namespace: ing.Namespace, Name: ing.Name}
	owner := ingressOwner(ref)
	pol := b.ingressPolicy(ing, ref)
	if pol.canary.Enabled {
		b.canaries = append(b.canaries, canaryIngress{ing: ing, pol: pol})
		return
	}
	b.tls.addIngress(ing, ref, pol.redirect, &b.problems)
	hostless := b.hostless(ing, ref, &pol)
	if ing.Spec.DefaultBackend != nil {
		b.addDefaultBackend(owner, ing.Spec.DefaultBackend, hostless.blocked)
	}
	b.eachRule(ing, ref, func(host string, rule int, paths []networkingv1.HTTPIngressPath) {
		b.owners.claim(host, ref.Namespace)
		rulePol := &pol
		if host == "" {
			rulePol = hostless
		}
		for j, path := range paths {
			b.addPath(owner, host, pathAt{rule, j}, path, rulePol)
		}
		if host != "" && b.serving(owner) {
			b.hosts.claim(host, ref, pol.server, pol.clientAuth, b.prefix)
			b.serverSnippets.claim(host, ref, pol.serverSnippet, b.prefix)
		}
	})
}

// ingressOwner is the owner of an Ingress's routes.
func ingressOwner(ing model.Ref) model.Owner { return model.Owner{Kind: KindIngress, Ref: ing} }

// reserve sizes the route tables for every path of ings, so that they
// never grow.
func (b *build) reserve(ings []*networkingv1.Ingress) {
	n := 0
	for _, ing := range ings {
		for _, rule := range ing.Spec.Rules {
			if rule.HTTP != nil {
				n += len(rule.HTTP.Paths)
			}
		}
	}
	b.routes = make(map[routeKey]int, n)
	b.locs = make([]model.Location, 0, n)
	b.keys = make([]routeKey, 0, n)
}

// serve records that owner contributes to the config.
func (b *build) serve(owner model.Owner) {
	if !b.serving(owner) {
		b.served = append(b.served, owner)
	}
}

// serving reports whether owner, the object being added, contributes to
// the config so far.
func (b *build) serving(owner model.Owner) bool {
	return len(b.served) > 0 && b.served[len(b.served)-1] == owner
}

// route gives key to owner and returns its new Location, which answers
// 503 until given a backend; or nil and why not: an older owner routes
// key, or key is a regex path of a host that owner's namespace does not
// own. The rejection's field is empty.
func (b *build) route(owner model.Owner, key routeKey) (*model.Location, *rejection) {
	if key.match == model.MatchRegex && b.owners[key.host] != owner.Namespace {
		return nil, &rejection{reason: reason.HostNotOwned, message: notOwned(key.host, "regex paths") +
			" (nginx tries them before Prefix \"/\"); the path is ignored"}
	}
	if winner, taken := b.routes[key]; taken {
		return nil, &rejection{reason: reason.PathConflict, message: key.conflict(owner, b.locs[winner].Owner)}
	}
	b.serve(owner)
	b.routes[key] = len(b.locs)
	b.keys = append(b.keys, key)
	b.locs = append(b.locs, model.Location{Path: key.path, Match: key.match, Owner: owner})
	return &b.locs[len(b.locs)-1], nil
}

// addPath adds one path of an Ingress with its policy. A path whose
// Ingress has a blocked policy, or that cannot take the policy, keeps its
// route and answers 503 (see package annotations).
func (b *build) addPath(ing model.Owner, host string, at pathAt, p networkingv1.HTTPIngressPath, pol *ingressPolicy) {
	path, match, rej := parsePath(p.PathType, p.Path, pol.regex)
	if rej == nil {
		var loc *model.Location
		if loc, rej = b.route(ing, routeKey{host: host, path: path, match: match}); loc != nil {
			b.applyPath(ing.Ref, loc, at, p.Backend, pol)
			return
		}
	}
	b.reject(ing.Ref, at.field(), rej)
}

// applyPath gives the new Location of an Ingress's path its policy and
// backend.
func (b *build) applyPath(ing model.Ref, loc *model.Location, at pathAt, backend networkingv1.IngressBackend, pol *ingressPolicy) {
	if rej := pol.checkPath(loc.Match, loc.Path); rej != nil {
		b.reject(ing, at.field(), rej)
		return
	}
	if pol.blocked {
		return
	}
	loc.Policy = pol.policy
	name, rej := b.backends.ingressBackend(ing.Namespace, backend)
	if rej != nil {
		b.reject(ing, at.field()+".backend", rej)
		return
	}
	loc.Backend = b.tuned(name, pol)
}

// tuned returns the variant of a resolved backend that the Ingress's
// service-upstream and balancing annotations ask for.
func (b *build) tuned(backend string, pol *ingressPolicy) string {
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
func (b *build) addDefaultBackend(ing model.Owner, be *networkingv1.IngressBackend, blocked bool) {
	const field = "spec.defaultBackend"
	if b.defaultOwner != nil {
		b.problems.add(KindIngress, ing.Ref, field, reason.DefaultBackendConflict,
			"the default backend of "+olderOwner(ing, *b.defaultOwner)+" is used"+precedence)
		return
	}
	backend, rej := "", (*rejection)(nil)
	if !blocked {
		backend, rej = b.backends.ingressBackend(ing.Namespace, *be)
	}
	if rej != nil {
		b.reject(ing.Ref, field, rej)
	}
	b.defaultOwner = &ing
	b.defaultBackend, b.defaultAsked = backend, true
	b.serve(ing)
}

// reject reports a rejection found under field of an Ingress.
func (b *build) reject(ing model.Ref, field string, rej *rejection) {
	if rej.field != "" {
		field += "." + rej.field
	}
	b.problems.add(KindIngress, ing, field, rej.reason, rej.message)
}

func (b *build) config() model.Config {
	// Every route and backend is known: the backends' endpoints and order
	// no longer depend on the routes, so make them while the routes
	// become servers. Problems are sorted in the end, whatever their
	// order here.
	var backends []model.Backend
	var backendProblems problems
	var wg sync.WaitGroup
	wg.Go(func() { backends = b.backends.used(&backendProblems) })
	servers := b.hosts.apply(servers(b.keys, b.locs), b.owners, &b.problems)
	b.tls.apply(servers, b.owners, &b.problems)
	b.serverSnippets.apply(servers, b.owners, &b.problems)
	wg.Wait()
	b.problems = append(b.problems, backendProblems...)
	return model.Config{
		Servers:        servers,
		DefaultBackend: b.defaultBackend,
		// A default backend that was asked for and failed answers 503, as
		// a path whose Service is missing does, not 404.
		DefaultBackendUnavailable: b.defaultBackend == "" && b.defaultAsked,
		Backends:                  backends,
	}
}

func (b *build) report() Report {
	var served []model.Ref
	for _, o := range b.served {
		if o.Kind == KindIngress {
			served = append(served, o.Ref)
		}
	}
	slices.SortFunc(served, compareRefs)
	return Report{Served: served, Problems: b.problems.sorted()}
}

// rejection says why part of an object was dropped; field is relative to
// the part that was checked (e.g. "path", "service.port.name").
type rejection struct {
	field, message string
	reason         reason.Reason
}

// problems accumulates the Report's Problems of one Build.
type problems []Problem

func (p *problems) add(kind string, obj model.Ref, field string, why reason.Reason, message string) {
	*p = append(*p, Problem{Kind: kind, Object: obj, Field: field, Reason: why, Message: message})
}

// addAnnotation adds a problem of the Ingress's annotation key.
func (p *problems) addAnnotation(ing model.Ref, key string, why reason.Reason, message string) {
	*p = append(*p, Problem{Kind: KindIngress, Object: ing, Field: AnnotationField(key), Key: key, Reason: why, Message: message})
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

// compareRefs orders by namespace, then name. Unlike cmp.Or, it compares
// names only on a tie: Build sorts tens of thousands of Refs.
func compareRefs(a, b model.Ref) int {
	if c := strings.Compare(a.Namespace, b.Namespace); c != 0 {
		return c
	}
	return strings.Compare(a.Name, b.Name)
}

// eachRule calls visit for every rule of the Ingress that has paths and a
// valid host (or none), with the rule's index; an invalid host is reported
// and its rule skipped.
func (b *build) eachRule(ing *networkingv1.Ingress, ref model.Ref, visit func(host string, rule int, paths []networkingv1.HTTPIngressPath)) {
	for i, rule := range ing.Spec.Rules {
		if rule.Host != "" {
			if err := checkHost(rule.Host); err != nil {
				b.problems.add(KindIngress, ref, "spec.rules["+strconv.Itoa(i)+"].host", reason.InvalidHost, err.Error())
				continue
			}
		}
		if rule.HTTP != nil {
			visit(rule.Host, i, rule.HTTP.Paths)
		}
	}
}

// pathAt is where a path is in its Ingress. Its field is built only for a
// problem: building it for every path cost Build an allocation each.
type pathAt struct{ rule, path int }

func (a pathAt) field() string {
	return "spec.rules[" + strconv.Itoa(a.rule) + "].http.paths[" + strconv.Itoa(a.path) + "]"
}
