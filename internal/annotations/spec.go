package annotations

import "github.com/archway-ingress/archway/internal/model"

// Scope says what an annotation applies to.
type Scope string

// The scopes.
const (
	// ScopeLocation annotations apply to every path of the Ingress.
	ScopeLocation Scope = "location"
	// ScopeServer annotations apply to every host of the Ingress.
	ScopeServer Scope = "server"
)

// Spec describes one annotation: its key under the prefix, the grammar of
// its value, what it applies to, its default and what it does. The table
// in Specs is the only place an annotation is defined; docs/annotations.md
// is generated from it.
type Spec struct {
	Key     string
	Group   string // the docs section
	Scope   Scope
	Syntax  string // the value grammar, in Markdown
	Default string // "" when unset means "off" or "none"
	Doc     string // one line
	// seed applies Default through apply before the Ingress's own values,
	// so that the default documented here is the one used.
	seed  bool
	apply func(value string, p *Parsed) error
}

// set returns an apply function that parses a value and stores it.
func set[T any](parse func(string) (T, error), store func(*Parsed, T)) func(string, *Parsed) error {
	return func(s string, p *Parsed) error {
		v, err := parse(s)
		if err != nil {
			return err
		}
		store(p, v)
		return nil
	}
}

// backendTLS returns the location's proxy-ssl settings, created on first
// use.
func backendTLS(p *Parsed) *model.BackendTLS {
	if p.Location.BackendTLS == nil {
		p.Location.BackendTLS = &model.BackendTLS{}
	}
	return p.Location.BackendTLS
}
