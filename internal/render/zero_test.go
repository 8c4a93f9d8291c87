package render

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

// TestIsZeroPolicy checks isZero against reflect on the zero Policy and on
// a Policy with each field, and each field of Proxy, set: a location with
// any annotation must get its policy.
func TestIsZeroPolicy(t *testing.T) {
	require.True(t, isZero(&model.Policy{}))
	check := func(name string, set func(*model.Policy) reflect.Value, field int) {
		var p model.Policy
		f := set(&p).Field(field)
		f.Set(nonZero(f.Type()))
		require.False(t, isZero(&p), name)
		require.False(t, reflect.ValueOf(p).IsZero(), name)
	}
	policy := func(p *model.Policy) reflect.Value { return reflect.ValueOf(p).Elem() }
	proxy := func(p *model.Policy) reflect.Value { return reflect.ValueOf(&p.Proxy).Elem() }
	for f := range reflect.TypeFor[model.Policy]().Fields() {
		check(f.Name, policy, f.Index[0])
	}
	for f := range reflect.TypeFor[model.Proxy]().Fields() {
		check("Proxy."+f.Name, proxy, f.Index[0])
	}
	// -0.0 is a zero byte apart from 0.0, and reflect does not count it
	// zero either.
	negative := -1.0
	negative *= 0
	require.Equal(t, reflect.ValueOf(negative).IsZero(), isZero(&negative))
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
