package builder

import (
	"cmp"
	"slices"
	"strings"
	"sync"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/source"
)

// Build turns the Snapshot into this instance's model and reports what it
// served and what it rejected. It runs the processors (processors.go) in
// order over one build, and never modifies the Snapshot's objects.
func Build(snap source.Snapshot, opts Options) (model.Config, Report) {
	return run(snap, opts, processors)
}

// run is Build with the processors procs.
func run(snap source.Snapshot, opts Options, procs []func(*build)) (model.Config, Report) {
	defer opts.Certificates.rotate()
	b := &build{snap: snap, opts: opts, secrets: secretIndex{all: snap.Secrets}, owners: hostOwners{}}
	defer func() { b.parses.rotate() }()
	b.passthrough = passthroughClaims{}
	b.tls = newTLSState(opts, &b.secrets)
	for _, process := range procs {
		process(b)
	}
	served := b.servedIngresses() // while the background may still run
	b.background.Wait()
	b.problems = append(b.problems, b.backgroundProblems...)
	// A default backend that was asked for and failed answers 503, as a
	// path whose Service is missing does, not 404.
	b.cfg.DefaultBackendUnavailable = b.cfg.DefaultBackend == "" && b.defaultAsked
	return b.cfg, b.report(served)
}

// build is what one Build call has decided so far. Every processor reads
// the Snapshot and what the processors before it decided, and adds to it.
type build struct {
	snap source.Snapshot
	opts Options
	// cfg is the Config the processors fill.
	cfg      model.Config
	backends *resolver
	// routes finds the index in locs of each route's winning Location,
	// and holds the route of each (see routes.go).
	routes routeTable
	locs   []model.Location
	// defaultOwner is the owner of the default backend that won, if any.
	defaultOwner *model.Owner
	// defaultAsked is set once an owner or the option asked for a
	// default backend, which may have failed to resolve.
	defaultAsked bool
	// served lists the owners that contributed something, in the order
	// they were added (each owner is added in one go).
	served   []model.Owner
	problems problems
	secrets  secretIndex
	// owners maps hosts to the namespaces that own them (see owners.go).
	owners hostOwners
	// tls collects the certificates of hosts and the HTTPS redirects of
	// owners.
	tls tlsState
	// background runs what no later processor reads (see addBackends);
	// Build waits for it, then adds its problems.
	background         sync.WaitGroup
	backgroundProblems problems
	// endpointReads are the Service ports whose endpoints the processors
	// read, beside the backends' (resolver.reads), for Reendpoint.
	endpointReads endpointReads
	// ingressState is what the Ingress processors pass on (ingress.go).
	ingressState
	// gatewayState is what the Gateway API processors pass on
	// (gateway_report.go).
	gatewayState
	// pathPolicies are the policies of Ingress paths that their Ingress's
	// policy does not fit (applyPath).
	pathPolicies policyCopies[pathPolicy]
	// ownPolicies, set by tests only, gives each location a copy of the
	// policy it would share (sharePolicy), which no write through a
	// shared policy reaches: with and without it, Build must give equal
	// Configs (TestSharedPoliciesEqualCopies).
	ownPolicies func(*model.Policy) *model.Policy
}

// servedIngresses lists the Ingresses among the owners served, sorted:
// Ingress status and request metrics are per Ingress.
func (b *build) servedIngresses() []model.Ref {
	served := slices.Grow([]model.Ref(nil), len(b.served)) // nil when none
	for _, o := range b.served {
		if o.Kind == KindIngress {
			served = append(served, o.Ref)
		}
	}
	slices.SortFunc(served, compareRefs)
	return served
}

// report is the Report of the build, which served the Ingresses served.
func (b *build) report(served []model.Ref) Report {
	reads := b.endpointReads
	if b.backends != nil {
		reads = append(reads, b.backends.reads...)
	}
	return Report{Served: served, Problems: b.problems.sorted(), Gateway: b.gatewayReport.sorted(),
		secrets: secretReads{now: b.opts.Now, certificates: b.tls.certs.parsed, other: b.secrets.read}, endpoints: reads}
}

// rejection says why part of an object was dropped; field is relative to
// the part that was checked (e.g. "path", "service.port.name"), or empty.
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
