package builder

import (
	"cmp"
	"strconv"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/ingressclass"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// The Ingress processors: addIngresses, addCanaries (canary.go),
// applyHostAnnotations and applyServerSnippets, in that order among the
// others (processors.go).
// The files of the Ingress kind: this one, select.go, limits.go, paths.go,
// annotations.go and the files of what annotations ask for (secrets.go,
// aliases.go, clientauth.go, serviceupstream.go), canary.go, and the TLS
// sections in tls.go.

// ingressState is what the Ingress processors pass on to each other.
type ingressState struct {
	// ingresses are this instance's Ingresses (pickIngresses).
	ingresses []*networkingv1.Ingress
	// prefix is the annotations prefix; secrets are looked up by them.
	prefix string
	// annotationDefaults are what each Ingress's annotations apply over,
	// with the ConfigMap's defaults (settings_locations.go).
	annotationDefaults annotations.Defaults
	// parses holds what annotations parsed to in earlier Builds, with
	// the same defaults (annotationcache.go); nil without a cache.
	parses *annotationGeneration
	// globalAuth is the ConfigMap's external auth, nil when off
	// (settings_auth.go).
	globalAuth *model.ExternalAuth
	// hosts collects the server-scoped annotations of each host.
	hosts hostClaims
	// canaries wait, oldest first, for every main route (see canary.go).
	canaries []canaryIngress
	// safeSnippets applies the snippets of the safe subset; serverSnippets
	// collects the server-snippets (see snippets.go).
	safeSnippets   bool
	serverSnippets serverSnippets
	// wafs holds the ModSecurity annotations (see waf.go).
	wafs wafClaims
	// passthrough holds the hosts of ssl-passthrough Ingresses (see
	// passthrough.go).
	passthrough passthroughClaims
}

// pickIngresses picks this instance's Ingresses (select.go) within the
// limits (limits.go), oldest first. It reads only the Snapshot's
// Ingresses and IngressClasses, and the Options.
func (b *build) pickIngresses() {
	sel := ingressclass.Selector{
		IngressClass:      b.opts.IngressClass,
		ControllerClass:   b.opts.ControllerClass,
		WatchWithoutClass: b.opts.WatchWithoutClass,
	}
	classes := b.indexClasses(b.snap.IngressClasses, b.opts.IngressClass)
	b.ingresses = b.withinLimits(b.selectIngresses(b.snap.Ingresses, classes, sel), b.opts.Limits)
}

// addIngresses adds the Ingresses picked, oldest first: the first Ingress
// to claim a route or the default backend is the oldest, so it wins every
// conflict.
func (b *build) addIngresses() {
	b.prefix = cmp.Or(b.opts.AnnotationsPrefix, annotations.DefaultPrefix)
	b.safeSnippets = b.cfg.Settings.SafeSnippets
	b.pathPolicies = policyCopies[pathPolicy]{}
	ings := b.ingresses
	paths := 0
	for _, ing := range ings {
		for _, rule := range ing.Spec.Rules {
			if rule.HTTP != nil {
				paths += len(rule.HTTP.Paths)
			}
		}
	}
	b.reserve(paths, len(ings))
	// Annotations that Parse does not read give the defaults, which most
	// Ingresses share.
	none := &parsedAnnotations{}
	none.parsed, _ = b.annotationDefaults.Parse(nil, b.prefix)
	prepared := b.prepareIngresses(ings, paths, none)
	for i, ing := range ings {
		b.addIngress(ing, prepared.get(i))
	}
}

func (b *build) addIngress(ing *networkingv1.Ingress, prep *ingressPrep) {
	ref := model.Ref{Namespace: ing.Namespace, Name: ing.Name}
	owner := ingressOwner(ref)
	a := prep.annotations
	if a == nil { // not prepared (see prepareIngress)
		parsed := b.parseAnnotations(ing)
		b.preparePaths(ing, &parsed.parsed.Location, prep.paths)
		a = &parsed
	}
	pol := b.ingressPolicy(ref, a)
	if pol.canary.Enabled {
		b.canaries = append(b.canaries, canaryIngress{ing: ing, pol: pol})
		return
	}
	if pol.passthrough {
		if b.opts.SSLPassthrough {
			b.addPassthrough(ing, ref, pol.passthroughProxy)
			return
		}
		b.passthroughDisabled(ref)
	}
	b.tls.addIngress(ing, ref, pol.redirect, &b.problems)
	hostless := b.hostless(ing, ref, &pol)
	if ing.Spec.DefaultBackend != nil {
		b.addDefaultBackend(owner, ing.Spec.DefaultBackend, hostless)
	}
	b.eachRule(ing, ref, func(host string, rule int, paths []networkingv1.HTTPIngressPath, first int) {
		if rej := b.passedThrough(host, ref.Namespace); rej != nil {
			b.reject(ref, "spec.rules["+strconv.Itoa(rule)+"].host", rej)
			return
		}
		b.owners.claim(host, ref.Namespace)
		rulePol := &pol
		if host == "" {
			rulePol = hostless
		}
		for j, path := range paths {
			b.addPath(owner, host, pathAt{rule, j}, path.Backend, &prep.paths[first+j], rulePol)
		}
		if host != "" && b.serving(owner) {
			b.hosts.claim(host, ref, pol.server, pol.clientAuth, b.prefix)
			b.serverSnippets.claim(host, ref, pol.serverSnippet, b.prefix)
		}
	})
}

// ingressOwner is the owner of an Ingress's routes.
func ingressOwner(ing model.Ref) model.Owner { return model.Owner{Kind: KindIngress, Ref: ing} }

// addPath adds one path of an Ingress, prepared as pp, with its policy. A
// path whose Ingress has a blocked policy, or that cannot take the policy,
// keeps its route and answers 503 (see package annotations).
func (b *build) addPath(ing model.Owner, host string, at pathAt, backend networkingv1.IngressBackend, pp *pathPrep, pol *ingressPolicy) {
	rej := pp.rej
	if rej == nil {
		var loc *model.Location
		if loc, rej = b.route(ing, routeKey{host: host, path: pp.path, match: pp.match}); loc != nil {
			b.applyPath(ing.Ref, loc, at, backend, pp.service, pol)
			return
		}
	}
	b.reject(ing.Ref, at.field(), rej)
}

// applyPath gives the new Location of an Ingress's path its policy and
// the backend of service.
func (b *build) applyPath(ing model.Ref, loc *model.Location, at pathAt, backend networkingv1.IngressBackend, service servicePortChoice, pol *ingressPolicy) {
	if pol.blocked {
		return
	}
	b.sharePolicy(loc, pol.policy)
	if p := loc.Policy; p != nil {
		noAuth := pol.globalAuth && underPrefix(loc.Path, b.cfg.Settings.GlobalAuth.NoAuthLocations)
		if host := upstreamVhost(p.Proxy.Host, ing.Namespace, backend); noAuth || host != p.Proxy.Host {
			b.pathPolicies.edit(loc, pathPolicy{noAuth, host}, func(p *model.Policy) {
				if noAuth {
					p.ExternalAuth = nil
				}
				p.Proxy.Host = host
			})
		}
	}
	name, rej := b.backends.chosen(service)
	if rej != nil {
		b.reject(ing, at.field()+".backend", rej)
		return
	}
	loc.Backend = b.tuned(name, pol)
}

// pathPolicy is how a path's policy differs from its Ingress's: without
// the global auth (no-auth-locations) and with the upstream-vhost of the
// path's Service.
type pathPolicy struct {
	noAuth bool
	host   string
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

// addDefaultBackend claims the default backend for an Ingress, tuned by
// its service-upstream and balancing annotations as its paths are; a
// blocked Ingress claims it to answer 503.
func (b *build) addDefaultBackend(ing model.Owner, be *networkingv1.IngressBackend, pol *ingressPolicy) {
	const field = "spec.defaultBackend"
	if rej := b.defaultTaken(ing); rej != nil {
		b.reject(ing.Ref, field, rej)
		return
	}
	backend, rej := "", (*rejection)(nil)
	if !pol.blocked {
		backend, rej = b.backends.ingressBackend(ing.Namespace, *be)
	}
	if rej != nil {
		b.reject(ing.Ref, field, rej)
	} else if backend != "" {
		backend = b.tuned(backend, pol)
	}
	b.setDefaultBackend(ing, backend)
}

// reject reports a rejection found under field of an Ingress.
func (b *build) reject(ing model.Ref, field string, rej *rejection) {
	if rej.field != "" {
		field += "." + rej.field
	}
	b.problems.add(KindIngress, ing, field, rej.reason, rej.message)
}

// applyHostAnnotations adds the aliases, www redirects and client
// certificates that the host owners' Ingresses ask for (aliases.go,
// clientauth.go) to the servers.
func (b *build) applyHostAnnotations() {
	b.cfg.Servers = b.hosts.apply(b.cfg.Servers, b.owners, &b.problems)
}

// applyServerSnippets gives the servers the server-snippets of their
// owner namespaces' Ingresses that fit them (snippets.go).
func (b *build) applyServerSnippets() { b.serverSnippets.apply(b.cfg.Servers, b.owners, &b.problems) }

// eachRule calls visit for every rule of the Ingress that has paths and a
// valid host (or none), with the rule's index and the index of its first
// path among the paths of the Ingress's rules; an invalid host is reported
// and its rule skipped.
func (b *build) eachRule(ing *networkingv1.Ingress, ref model.Ref, visit func(host string, rule int, paths []networkingv1.HTTPIngressPath, first int)) {
	next := 0
	for i, rule := range ing.Spec.Rules {
		first := next
		if rule.HTTP != nil {
			next += len(rule.HTTP.Paths)
		}
		if rule.Host != "" {
			if err := checkHost(rule.Host); err != nil {
				b.problems.add(KindIngress, ref, "spec.rules["+strconv.Itoa(i)+"].host", reason.InvalidHost, err.Error())
				continue
			}
		}
		if rule.HTTP != nil {
			visit(rule.Host, i, rule.HTTP.Paths, first)
		}
	}
}

// pathAt is where a path is in its Ingress. Its field is built only for a
// problem: building it for every path cost Build an allocation each.
type pathAt struct{ rule, path int }

func (a pathAt) field() string {
	return "spec.rules[" + strconv.Itoa(a.rule) + "].http.paths[" + strconv.Itoa(a.path) + "]"
}
