package model

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCanaryValidate(t *testing.T) {
	ok := Canary{Backend: "b", WeightTotal: 100}
	with := func(f func(*Canary)) Canary { c := ok; f(&c); return c }
	tests := map[string]struct {
		canary Canary
		err    string // "" when valid
	}{
		"weight only":           {canary: ok},
		"all weight":            {canary: with(func(c *Canary) { c.Weight = 100 })},
		"largest total":         {canary: with(func(c *Canary) { c.WeightTotal, c.Weight = 1000000, 1000000 })},
		"every rule":            {canary: with(func(c *Canary) { c.Header, c.HeaderValue, c.HeaderPattern, c.Cookie = "X-C", "a@b.c", `^v\d+$`, "c_1" })},
		"no backend":            {canary: with(func(c *Canary) { c.Backend = "" }), err: "without backend"},
		"zero total":            {canary: with(func(c *Canary) { c.WeightTotal = 0 }), err: "weight total 0"},
		"total too large":       {canary: with(func(c *Canary) { c.WeightTotal = 1000001 }), err: "weight total"},
		"weight above total":    {canary: with(func(c *Canary) { c.Weight = 101 }), err: "weight 101"},
		"negative weight":       {canary: with(func(c *Canary) { c.Weight = -1 }), err: "weight -1"},
		"header with a colon":   {canary: with(func(c *Canary) { c.Header = "X:" }), err: "canary header"},
		"cookie with a space":   {canary: with(func(c *Canary) { c.Cookie = "a b" }), err: "canary cookie"},
		"value without header":  {canary: with(func(c *Canary) { c.HeaderValue = "v" }), err: "without header"},
		"value with a quote":    {canary: with(func(c *Canary) { c.Header, c.HeaderValue = "X", `v"` }), err: "header value"},
		"long value":            {canary: with(func(c *Canary) { c.Header, c.HeaderValue = "X", strings.Repeat("v", 257) }), err: "header value"},
		"pattern with a brace":  {canary: with(func(c *Canary) { c.Header, c.HeaderPattern = "X", "a{2}" }), err: "braces"},
		"pattern variable":      {canary: with(func(c *Canary) { c.Header, c.HeaderPattern = "X", "$host" }), err: "$ only at the end"},
		"pattern with a quote":  {canary: with(func(c *Canary) { c.Header, c.HeaderPattern = "X", `a"` }), err: "not a regex of"},
		"pattern bad escape":    {canary: with(func(c *Canary) { c.Header, c.HeaderPattern = "X", `a\b` }), err: "not a regex of"},
		"pattern not compiling": {canary: with(func(c *Canary) { c.Header, c.HeaderPattern = "X", "a(" }), err: "does not compile"},
		"unresolved":            {canary: Canary{Unresolved: true, Weight: 1, WeightTotal: 2}},
		"unresolved backend":    {canary: with(func(c *Canary) { c.Unresolved = true }), err: "only a weight"},
		"unresolved header":     {canary: Canary{Unresolved: true, Header: "X", WeightTotal: 2}, err: "only a weight"},
		"unresolved zero total": {canary: Canary{Unresolved: true}, err: "weight total 0"},
		"strict":                {canary: with(func(c *Canary) { c.Strict = true })},
		"strict cookie":         {canary: with(func(c *Canary) { c.Strict, c.Cookie = true, "c" }), err: "only a backend and a weight"},
		"strict unresolved":     {canary: Canary{Strict: true, Unresolved: true, WeightTotal: 2}, err: "a strict canary"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := tc.canary.Validate()
			if tc.err == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.err)
		})
	}
}
