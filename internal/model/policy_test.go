package model

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestIsZeroPolicy checks IsZero against reflect on nil, the zero Policy
// and a Policy with each field, and each field of Proxy, set: a location
// with any annotation must get its policy.
func TestIsZeroPolicy(t *testing.T) {
	require.True(t, (*Policy)(nil).IsZero())
	require.True(t, (&Policy{}).IsZero())
	check := func(name string, set func(*Policy) reflect.Value, field int) {
		var p Policy
		f := set(&p).Field(field)
		f.Set(nonZero(f.Type()))
		require.False(t, p.IsZero(), name)
		require.False(t, reflect.ValueOf(p).IsZero(), name)
	}
	policy := func(p *Policy) reflect.Value { return reflect.ValueOf(p).Elem() }
	proxy := func(p *Policy) reflect.Value { return reflect.ValueOf(&p.Proxy).Elem() }
	for f := range reflect.TypeFor[Policy]().Fields() {
		check(f.Name, policy, f.Index[0])
	}
	for f := range reflect.TypeFor[Proxy]().Fields() {
		check("Proxy."+f.Name, proxy, f.Index[0])
	}
}

// nonZero returns a value of t that is not its zero value.
func nonZero(t reflect.Type) reflect.Value {
	v := reflect.New(t).Elem()
	switch t.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(t.Elem()))
	case reflect.Slice:
		v.Set(reflect.MakeSlice(t, 1, 1))
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(1)
	case reflect.Struct:
		v.Field(0).Set(nonZero(t.Field(0).Type))
	default:
		panic("no non-zero value of " + t.String())
	}
	return v
}
