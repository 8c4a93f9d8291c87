package builder

import (
	"maps"
	"slices"
	"strconv"
	"sync"

	"github.com/archway-ingress/archway/internal/annotations"
)

// AnnotationCache remembers what the annotations of Ingresses parse to
// between Builds, so that a sync after one Ingress changed does not parse
// the annotations of thousands of unchanged ones again (a handful of
// annotations takes tens of microseconds). Entries are found by the
// annotations' content, never by object identity, so an object changed
// in place is parsed again; they are parsed with the ConfigMap's
// defaults, the prefix and the snippet setting of one Build, and a Build
// with others starts afresh. Entries that one Build and the next do not
// use are dropped. It is safe for concurrent use, and Build's output is
// the same with or without it (TestAnnotationCacheEqualsBuild).
type AnnotationCache struct {
	mu  sync.Mutex
	gen *annotationGeneration
}

// NewAnnotationCache returns an empty cache for Options.Annotations.
func NewAnnotationCache() *AnnotationCache { return &AnnotationCache{} }

// annotationInputs is what Parse and the snippets read besides an
// Ingress's annotations: every entry of a generation was parsed with them.
type annotationInputs struct {
	prefix       string
	safeSnippets bool
	// defaults are the ConfigMap's location defaults as given to
	// annotations.NewDefaults.
	defaults map[string]string
}

func (a annotationInputs) equal(o annotationInputs) bool {
	return a.prefix == o.prefix && a.safeSnippets == o.safeSnippets && maps.Equal(a.defaults, o.defaults)
}

// annotationGeneration holds the entries parsed with one set of inputs.
// A Build holds on to its generation, so entries of other inputs never
// reach it, even when Builds of other inputs run beside it.
type annotationGeneration struct {
	inputs annotationInputs
	mu     sync.Mutex
	// cur holds what this Build used, prev what the one before did.
	cur, prev map[string]*parsedAnnotations
}

// parsedAnnotations is what one set of annotation values parses to. It
// is shared by Builds and read only.
type parsedAnnotations struct {
	key      string // parsedKey's, kept to move the entry without a copy
	parsed   annotations.Parsed
	problems []annotations.Problem
	snippets ingressSnippets
}

// generation returns the generation of inputs, starting a new one when
// they are not those of the last Build; nil for a nil cache.
func (c *AnnotationCache) generation(inputs annotationInputs) *annotationGeneration {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == nil || !c.gen.inputs.equal(inputs) {
		c.gen = &annotationGeneration{inputs: annotationInputs{inputs.prefix, inputs.safeSnippets, maps.Clone(inputs.defaults)}}
	}
	return c.gen
}

// parse returns what values, which hold a key that Parse reads, parse to
// through the generation; the result is shared, and read only.
func (g *annotationGeneration) parse(values map[string]string, parse func() parsedAnnotations) *parsedAnnotations {
	var buf [1024]byte
	key := parsedKey(buf[:0], values, g.inputs.prefix)
	g.mu.Lock()
	r, found := g.cur[string(key)]
	if !found {
		r, found = g.prev[string(key)]
	}
	g.mu.Unlock()
	if !found {
		parsed := parse()
		parsed.key = string(key)
		r = &parsed
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cur == nil {
		g.cur = map[string]*parsedAnnotations{}
	}
	g.cur[r.key] = r
	return r
}

// rotate ends a Build: what it did not use is dropped after the next one.
func (g *annotationGeneration) rotate() {
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.prev, g.cur = g.cur, nil
}

// readsAny reports whether values hold a key that Parse reads: without
// one, Parse gives the defaults.
func readsAny(values map[string]string, prefix string) bool {
	for k := range values {
		if annotations.Read(k, prefix) {
			return true
		}
	}
	return false
}

// parsedKey appends to key the annotations that Parse reads, sorted, each
// key and value preceded by its length so that no two sets share an
// encoding; nil when there are none.
func parsedKey(key []byte, values map[string]string, prefix string) []byte {
	var buf [16]string
	keys := buf[:0]
	for k := range values {
		if annotations.Read(k, prefix) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := values[k]
		key = strconv.AppendInt(key, int64(len(k)), 10)
		key = append(append(key, ':'), k...)
		key = strconv.AppendInt(key, int64(len(v)), 10)
		key = append(append(key, ':'), v...)
	}
	return key
}
