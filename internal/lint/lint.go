package lint

import (
	"cmp"
	"slices"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/ingressclass"
	"github.com/archway-ingress/archway/internal/reason"
	"github.com/archway-ingress/archway/internal/source"
)

// Severity says how much a finding matters for the switch.
type Severity string

// The severities, worst first.
const (
	// Error: archway will not serve the object (or part of it) as written.
	Error Severity = "error"
	// Warning: archway serves it, but differently from ingress-nginx.
	Warning Severity = "warning"
	// Info: worth knowing; nothing changes for clients.
	Info Severity = "info"
)

func (s Severity) rank() int { return slices.Index([]Severity{Error, Warning, Info}, s) }

// Finding is one problem or difference of one object.
type Finding struct {
	Severity  Severity `json:"severity"`
	Kind      string   `json:"kind"`
	Namespace string   `json:"namespace,omitempty"`
	Name      string   `json:"name"`
	// Field is the JSON path of the part concerned; empty for the whole
	// object.
	Field string `json:"field,omitempty"`
	// Reason is builder's Problem reason, or one of lint's own (package reason).
	Reason reason.Reason `json:"reason"`
	// Message says what archway does with it.
	Message string `json:"message"`
	// Fix says how to change the object; empty when nothing needs to.
	Fix string `json:"fix,omitempty"`
}

// Options configure Lint.
type Options struct {
	// Build are the options the controller would run with; the class
	// options are overridden, as every Ingress is linted.
	Build builder.Options
	// Partial says the Snapshot holds only the objects linted (files):
	// a Service or Secret it lacks may exist in the cluster, so a
	// reference to one is listed in Result.Unchecked, not as an error.
	Partial bool
}

// Result is the outcome of Lint.
type Result struct {
	Ingresses int `json:"ingresses"`
	// ConfigMap is the controller ConfigMap linted (namespace/name), if any.
	ConfigMap string    `json:"configMap,omitempty"`
	Errors    int       `json:"errors"`
	Warnings  int       `json:"warnings"`
	Infos     int       `json:"infos"`
	Findings  []Finding `json:"findings"`
	// Unchecked are the Services and Secrets ("Service web/api") that
	// Ingresses name and the files linted do not hold (Options.Partial):
	// only a cluster can tell whether they exist.
	Unchecked []string `json:"unchecked,omitempty"`
}

// Lint builds snap as the controller would, with every Ingress of this
// instance's class, and returns the Report's Problems and the differences
// from ingress-nginx as findings, sorted by object, field and severity.
func Lint(snap source.Snapshot, opts Options) Result {
	snap.Ingresses = asOwnClass(snap.Ingresses)
	bopts := opts.Build
	bopts.WatchWithoutClass = true
	prefix := cmp.Or(bopts.AnnotationsPrefix, annotations.DefaultPrefix)
	_, report := builder.Build(snap, bopts)

	refs := newReferences(snap, opts.Partial)
	res := Result{Ingresses: len(snap.Ingresses), Findings: []Finding{}}
	for _, p := range report.Problems {
		f, unchecked := refs.finding(p, prefix)
		if unchecked != "" {
			res.Unchecked = append(res.Unchecked, unchecked)
			continue
		}
		res.Findings = append(res.Findings, f)
	}
	slices.Sort(res.Unchecked)
	res.Unchecked = slices.Compact(res.Unchecked)
	res.Findings = append(res.Findings, differences(snap.Ingresses, prefix)...)
	if cm := snap.ConfigMap; cm != nil {
		res.ConfigMap = cm.Namespace + "/" + cm.Name
	}
	slices.SortFunc(res.Findings, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Kind, b.Kind),
			cmp.Compare(a.Field, b.Field), cmp.Compare(a.Severity.rank(), b.Severity.rank()),
			cmp.Compare(a.Reason, b.Reason), cmp.Compare(a.Message, b.Message))
	})
	for _, f := range res.Findings {
		switch f.Severity {
		case Error:
			res.Errors++
		case Warning:
			res.Warnings++
		default:
			res.Infos++
		}
	}
	return res
}

// asOwnClass returns copies of ings that name no class, so that build
// (with WatchWithoutClass) takes them all: they were written for
// ingress-nginx's class, and the question is what archway would do.
func asOwnClass(ings []*networkingv1.Ingress) []*networkingv1.Ingress {
	out := make([]*networkingv1.Ingress, len(ings))
	for i, ing := range ings {
		c := ing.DeepCopy()
		c.Spec.IngressClassName = nil
		delete(c.Annotations, ingressclass.LegacyAnnotation)
		out[i] = c
	}
	slices.SortFunc(out, func(a, b *networkingv1.Ingress) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out
}
