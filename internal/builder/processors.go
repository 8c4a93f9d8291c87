package builder

import (
	"cmp"
	"fmt"
	"runtime"
	"sync"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

// processors are Build's steps, in the order Build runs them over one
// build, in the style of Contour's DAG processors. Each reads the
// Snapshot's objects of its kind and what the processors before it decided
// (routes, host owners, backends, problems), and adds to it. Order is
// precedence: a route, a host and the default backend go to their first
// claim, so a kind's routes win over those of the kinds after it; the
// Ingresses claim theirs oldest first.
//
// A new kind of route is a file of processors, added here in its place,
// and its objects' field in source.Snapshot. Its routes name their
// model.Owner by kind, namespace and name; it claims routes with route,
// hosts with owners.claim, backends through backends, and reports its
// problems under its kind (docs/developing.md).
var processors = []func(*build){
	(*build).addSettings,              // the ConfigMap (settings.go), which the Ingresses' snippets need
	(*build).indexServices,            // Services and EndpointSlices, which backends resolve; this instance's Ingresses
	(*build).addIngresses,             // this instance's Ingresses, oldest first (ingress.go)
	(*build).addCanaries,              // canary Ingresses, onto the routes of their namespace (canary.go)
	(*build).addHTTPRoutes,            // Gateway API HTTPRoutes, on what the Ingresses left (httproute.go)
	(*build).addDefaultBackendService, // --default-backend-service, unless an owner took the default backend
	(*build).addStreams,               // --tcp-services-configmap, --udp-services-configmap (streams.go)
	(*build).finishPassthrough,        // --enable-ssl-passthrough's hosts (passthrough.go)
	(*build).addLoadErrors,            // manifest documents that could not be read or are obsolete
	(*build).addBackends,              // every backend is known: endpoints, beside the processors after it
	(*build).addServers,               // routes grouped into servers by host
	(*build).applyWAF,                 // ModSecurity of every route, and of hosts' owners (waf.go)
	(*build).applyHostAnnotations,     // server-alias, from-to-www-redirect, auth-tls-* (ingress.go)
	(*build).applyTLS,                 // certificates of hosts, HTTPS redirects (tls.go)
	(*build).applyServerSnippets,      // server-snippets of the hosts' owner namespaces (snippets.go)
	(*build).addDefaultCertificate,    // --default-ssl-certificate (tls.go)
}

// indexServices indexes the Services and EndpointSlices, and picks this
// instance's Ingresses (pickIngresses) beside it when there are many:
// neither reads what the other writes, and they take about as long.
func (b *build) indexServices() {
	var picking sync.WaitGroup
	if len(b.snap.Ingresses) >= aheadMin && runtime.GOMAXPROCS(0) > 1 {
		picking.Go(b.pickIngresses)
	} else {
		b.pickIngresses()
	}
	b.backends = newResolver(b.snap.Services, b.snap.EndpointSlices, &b.problems)
	b.backends.loopback = b.opts.LoopbackEndpoints
	picking.Wait()
}

func (b *build) addDefaultBackendService() {
	if b.defaultOwner == nil && b.opts.DefaultBackendService != "" {
		b.cfg.DefaultBackend = b.backends.defaultService(b.opts.DefaultBackendService)
		b.defaultAsked = true
	}
}

func (b *build) addLoadErrors() {
	for _, e := range b.snap.LoadErrors {
		field := ""
		if e.Doc >= 0 {
			field = fmt.Sprintf("document %d", e.Doc)
		}
		b.problems.add(KindFile, model.Ref{Name: e.File}, field, reason.InvalidManifest, e.Err.Error())
	}
	for _, e := range b.snap.Obsolete {
		b.problems.add(KindFile, model.Ref{Name: e.File}, fmt.Sprintf("document %d", e.Doc), reason.ObsoleteAPIVersion, e.Err.Error())
	}
}

// addBackends reads the endpoints of every backend, and sorts them, while
// the processors after it run: no later processor makes or reads a
// backend.
func (b *build) addBackends() {
	b.background.Go(func() { b.cfg.Backends = b.backends.used(&b.backgroundProblems) })
}

func (b *build) addServers() {
	b.cfg.Servers = servers(b.routes.keys, b.locs)
	b.markAnyDepth()
}

func (b *build) applyTLS() { b.tls.apply(b.cfg.Servers, b.owners, &b.problems) }

func (b *build) addSettings() {
	cm := b.controllerConfigMap()
	b.cfg.Settings = settings(cm, &b.problems)
	b.parses = b.opts.Annotations.generation(annotationInputs{prefix: cmp.Or(b.opts.AnnotationsPrefix, annotations.DefaultPrefix),
		safeSnippets: b.cfg.Settings.SafeSnippets, defaults: b.cfg.Settings.LocationDefaults})
	b.annotationDefaults = annotationDefaults(cm, &b.cfg.Settings, &b.problems)
	b.globalAuth = annotations.ExternalAuthPolicy(&b.cfg.Settings.GlobalAuth.Auth)
	b.addHeaderConfigMaps()
}

func (b *build) addDefaultCertificate() {
	b.cfg.DefaultCertificate = b.tls.defaultCertificate(b.opts, &b.problems)
}
