package builder

import (
	"runtime"
	"sync/atomic"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/model"
)

// ingressPrep is what Build works out of one Ingress alone, reading
// nothing that the build writes: its parsed annotations, and its paths
// parsed and their Services found. Workers prepare Ingresses beside the
// pass that claims routes, hosts and backends in order, which then only
// looks the results up.
type ingressPrep struct {
	annotations *parsedAnnotations
	// paths holds the paths of the rules with an http section, rule after
	// rule, as eachRule numbers them.
	paths []pathPrep
}

// pathPrep is one path of an Ingress: parsePath's results and, for a
// path that parses, the Service port its backend names.
type pathPrep struct {
	path    string
	match   model.Match
	rej     *rejection
	service servicePortChoice
}

// preparedIngresses gives the ingressPrep of each Ingress in order,
// prepared ahead.
type preparedIngresses struct {
	preps []ingressPrep
	ahead *ahead
}

// prepareIngresses starts preparing ings, which hold paths paths in all;
// none is what annotations that Parse does not read parse to.
func (b *build) prepareIngresses(ings []*networkingv1.Ingress, paths int, none *parsedAnnotations) *preparedIngresses {
	p := &preparedIngresses{preps: make([]ingressPrep, len(ings))}
	all := make([]pathPrep, paths)
	first := 0
	for i, ing := range ings {
		n := 0
		for _, rule := range ing.Spec.Rules {
			if rule.HTTP != nil {
				n += len(rule.HTTP.Paths)
			}
		}
		p.preps[i].paths = all[first : first+n : first+n]
		first += n
	}
	p.ahead = startAhead(len(ings), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			b.prepareIngress(ings[i], none, &p.preps[i])
		}
	})
	return p
}

// get returns the ingressPrep of the i-th Ingress; i goes up from 0.
func (p *preparedIngresses) get(i int) *ingressPrep {
	p.ahead.wait(i)
	return &p.preps[i]
}

// prepareIngress fills prep with what ing alone says. Without an
// annotation cache, it leaves the parse of annotations that Parse reads,
// and then the paths, to addIngress: holding the parse of every Ingress
// would cost a kilobyte and more each.
func (b *build) prepareIngress(ing *networkingv1.Ingress, none *parsedAnnotations, prep *ingressPrep) {
	switch {
	case !readsAny(ing.Annotations, b.prefix):
		prep.annotations = none
	case b.parses != nil:
		prep.annotations = b.parses.parse(ing.Annotations, func() parsedAnnotations { return b.parseAnnotations(ing) })
	default:
		return
	}
	b.preparePaths(ing, &prep.annotations.parsed.Location, prep.paths)
}

// preparePaths fills paths with the paths of ing, whose annotations
// parsed to loc.
func (b *build) preparePaths(ing *networkingv1.Ingress, loc *annotations.Location, paths []pathPrep) {
	regex := loc.UseRegex || loc.RewriteTarget != nil // as ingressPolicy's
	n := 0
	// The paths of an Ingress usually share a Service: last is the
	// latest one looked up, and lastChoice what it gave.
	var last *networkingv1.IngressServiceBackend
	var lastChoice servicePortChoice
	for _, rule := range ing.Spec.Rules {
		if rule.HTTP == nil {
			continue
		}
		for _, path := range rule.HTTP.Paths {
			pp := &paths[n]
			pp.path, pp.match, pp.rej = parsePath(path.PathType, path.Path, regex)
			be := path.Backend
			switch {
			case pp.rej != nil:
			case last != nil && be.Resource == nil && be.Service != nil && *be.Service == *last:
				pp.service = lastChoice
			default:
				pp.service = b.backends.ingressServicePort(ing.Namespace, be)
				last, lastChoice = be.Service, pp.service
			}
			n++
		}
	}
}

// ahead prepares the items [0, n) in chunks, on GOMAXPROCS-1 goroutines
// beside the caller, which consumes the items in order through wait. The
// caller prepares a chunk itself when no goroutine has taken it yet, and
// does all of them when the items are few.
type ahead struct {
	n       int
	prepare func(lo, hi int)
	// claimed counts the chunks taken; done[c] is closed once a goroutine
	// has prepared chunk c.
	claimed atomic.Int64
	done    []chan struct{}
	// prepared is the number of items the caller may read.
	prepared int
}

// aheadChunk is how many items one goroutine takes at a time: tens of
// microseconds of work, against a channel each.
const aheadChunk = 64

// aheadMin is the fewest items that are prepared beside the caller:
// below it, the work of all of them is worth less than waking goroutines
// for (well under a millisecond), and small inputs pay nothing.
const aheadMin = 512

func startAhead(n int, prepare func(lo, hi int)) *ahead {
	a := &ahead{n: n, prepare: prepare}
	workers := runtime.GOMAXPROCS(0) - 1
	if n < aheadMin || workers < 1 {
		return a
	}
	a.done = make([]chan struct{}, (n+aheadChunk-1)/aheadChunk)
	for c := range a.done {
		a.done[c] = make(chan struct{})
	}
	for range workers {
		go a.work()
	}
	return a
}

func (a *ahead) work() {
	for {
		c := int(a.claimed.Add(1) - 1)
		if c >= len(a.done) {
			return
		}
		a.prepare(c*aheadChunk, min(a.n, (c+1)*aheadChunk))
		close(a.done[c])
	}
}

// wait returns once item i is prepared; i goes up from 0.
func (a *ahead) wait(i int) {
	if i < a.prepared {
		return
	}
	c := i / aheadChunk
	if a.claimed.CompareAndSwap(int64(c), int64(c+1)) {
		a.prepare(c*aheadChunk, min(a.n, (c+1)*aheadChunk))
	} else {
		<-a.done[c] // a goroutine took it
	}
	a.prepared = min(a.n, (c+1)*aheadChunk)
}
