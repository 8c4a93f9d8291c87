package testutil

import "testing"

// SpecCheck checks one input of a fuzz target over a table of specs (the
// annotations, the ConfigMap keys): a spec's index, modulo the table's
// length, and a value for it.
type SpecCheck func(t *testing.T, spec uint16, value string)

// FuzzSpecs fuzzes check from seeds of every spec with its default, and of
// each of values once, with the specs in turn. Seeding every spec with
// every value gives thousands of seeds, which `make test`'s short
// -fuzztime spends replaying before the fuzzer mutates anything:
// CheckEverySpec runs that cross product as a test instead.
func FuzzSpecs(f *testing.F, defaults, values []string, check SpecCheck) {
	for i, d := range defaults {
		f.Add(uint16(i), d)
	}
	for k, v := range values {
		f.Add(uint16(k%len(defaults)), v)
	}
	f.Fuzz(check)
}

// CheckEverySpec runs check on every spec with its default and with each
// of values.
func CheckEverySpec(t *testing.T, defaults, values []string, check SpecCheck) {
	for i, d := range defaults {
		for _, v := range append([]string{d}, values...) {
			check(t, uint16(i), v)
		}
	}
}

// Defaults are the defaults of specs, in their order.
func Defaults[S any](specs []S, of func(S) string) []string {
	defaults := make([]string, len(specs))
	for i, s := range specs {
		defaults[i] = of(s)
	}
	return defaults
}
