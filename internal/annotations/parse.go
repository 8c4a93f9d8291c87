package annotations

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/archway-ingress/archway/internal/reason"
)

// Effect is what a Problem does to its Ingress.
type Effect int

const (
	// Ignored: the Ingress is served without the annotation.
	Ignored Effect = iota
	// Blocked: the Ingress keeps its routes, and they answer 503, so that
	// nothing is served without a protection or rewrite it asked for, and
	// its paths never fall through to another Ingress's route.
	Blocked
)

// Problem is one annotation that was not applied as written.
type Problem struct {
	Key     string // the full annotation key
	Reason  reason.Reason
	Message string
	Effect  Effect
}

// Parse reads the annotations under prefix ("nginx.ingress.kubernetes.io")
// into typed values. Keys outside the prefix are not archway's business
// and are ignored. Problems are sorted by key; Parsed holds every valid
// value even when some other value was invalid.
func Parse(annotations map[string]string, prefix string) (Parsed, []Problem) {
	return Defaults{}.Parse(annotations, prefix)
}

// Parse is the package's Parse over the defaults d.
func (d Defaults) Parse(annotations map[string]string, prefix string) (Parsed, []Problem) {
	for key := range annotations {
		if _, ok := keyName(key, prefix); ok {
			return d.parse(annotations, prefix)
		}
	}
	// Most Ingresses have no key under the prefix: they get the defaults,
	// which check accepts (see defaults), without a heap copy.
	return *d.base(), nil
}

// parse is Parse for annotations with at least one key under prefix.
func (d Defaults) parse(annotations map[string]string, prefix string) (Parsed, []Problem) {
	p := *d.base()
	var problems []Problem
	keys := make([]string, 0, len(annotations))
	for k := range annotations {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	specs := index()
	for _, key := range keys {
		name, ok := keyName(key, prefix)
		if !ok {
			continue
		}
		value := annotations[key]
		s, known := specs[name]
		switch {
		case known:
			if err := apply(s, value, &p); err != nil {
				problems = append(problems, Problem{Key: key, Reason: reason.InvalidAnnotation, Effect: Blocked,
					Message: fmt.Sprintf("value %s: %v", shorten(value), err)})
			}
		case strings.HasSuffix(name, "-snippet"):
			problems = append(problems, Problem{Key: key, Reason: reason.SnippetRefused, Effect: Ignored,
				Message: "snippet annotations are refused: archway never copies configuration text from an Ingress into nginx.conf"})
		default:
			problems = append(problems, Problem{Key: key, Reason: reason.UnsupportedAnnotation, Effect: Ignored,
				Message: "archway does not support this annotation; the Ingress is served without it"})
		}
	}
	problems = append(problems, p.check(annotations, prefix)...)
	slices.SortStableFunc(problems, func(a, b Problem) int { return strings.Compare(a.Key, b.Key) })
	return p, problems
}

// Read reports whether Parse reads the annotation key: a key under prefix
// or under OwnPrefix. Parse's result depends on these keys alone.
func Read(key, prefix string) bool {
	_, ok := keyName(key, prefix)
	return ok
}

// keyName returns the table name of a key that is archway's business: the
// name under prefix, or the whole key under OwnPrefix (see OwnPrefix).
func keyName(key, prefix string) (string, bool) {
	if name, ok := cutPrefix(key, prefix); ok {
		if _, known := index()[name]; known || !strings.HasPrefix(key, OwnPrefix+"/") {
			return name, true
		}
	}
	return key, strings.HasPrefix(key, OwnPrefix+"/")
}

// cutPrefix returns the name of a key under prefix ("<prefix>/<name>").
func cutPrefix(key, prefix string) (string, bool) {
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return "", false
	}
	return strings.CutPrefix(rest, "/")
}

// apply parses one value, trimmed of surrounding space (YAML block
// scalars end in a newline), after refusing control characters, which no
// grammar allows.
func apply(s Spec, value string, p *Parsed) error {
	value = strings.TrimSpace(value)
	if strings.ContainsFunc(value, unicode.IsControl) {
		return errors.New("control characters are not allowed")
	}
	return s.apply(value, p)
}

// shorten quotes a value for a message, cut to a readable length.
func shorten(v string) string {
	const maxLen = 80
	if len(v) > maxLen {
		return strconv.Quote(v[:maxLen]) + "..."
	}
	return strconv.Quote(v)
}

// index maps annotation names to their specs; built once, never modified.
var index = sync.OnceValue(func() map[string]Spec {
	m := make(map[string]Spec)
	for _, s := range Specs() {
		m[s.Key] = s
	}
	return m
})

// defaults is Parsed as it is before any annotation applies: the seeded
// defaults of the table, which must pass check. Built once; Parse works on
// a copy, whose slices parsers replace and never modify.
var defaults = sync.OnceValue(func() *Parsed {
	p := new(Parsed)
	for _, s := range Specs() {
		if s.seed {
			if err := s.apply(s.Default, p); err != nil {
				panic(fmt.Sprintf("annotation %s: default %q: %v", s.Key, s.Default, err))
			}
		}
	}
	if problems := p.check(nil, ""); len(problems) > 0 {
		panic(fmt.Sprintf("annotation defaults do not go together: %v", problems))
	}
	return p
})
