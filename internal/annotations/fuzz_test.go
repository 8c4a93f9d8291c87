package annotations

import (
	"reflect"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"
)

// FuzzParse feeds any value to every annotation and checks that whatever a
// grammar accepts holds no byte that could end an nginx string or
// directive, and no variable outside the variable names of templates.
func FuzzParse(f *testing.F) {
	specs := Specs()
	for i, s := range specs {
		for _, v := range []string{s.Default, "on", "1", "/a/$1", "https://a.example.com$request_uri", "10.0.0.0/8", `^v\.[0-9]+$`, "CN=(a|b)$"} {
			f.Add(uint8(i), v)
		}
		for _, v := range breakouts {
			f.Add(uint8(i), v)
		}
	}
	f.Fuzz(func(t *testing.T, i uint8, value string) {
		s := specs[int(i)%len(specs)]
		p, problems := Parse(map[string]string{prefix + "/" + s.Key: value}, prefix)
		if len(problems) > 0 {
			return
		}
		walkStrings(t, reflect.ValueOf(p), "Parsed")
	})
}

// walkStrings checks every string reachable from v.
func walkStrings(t *testing.T, v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.String:
		checkString(t, path, v.String())
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkStrings(t, v.Elem(), path)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkStrings(t, v.Index(i), path+"[]")
		}
	case reflect.Struct:
		for i := range v.NumField() {
			walkStrings(t, v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	}
}

func checkString(t *testing.T, path, s string) {
	if strings.HasSuffix(path, ".Var") && s != "" {
		require.Regexp(t, `^([a-z][a-z0-9_]*|[1-9])$`, s, path)
		return
	}
	bad := "\"';{}#`"
	switch {
	case strings.HasSuffix(path, ".HeaderPattern"):
		// A canary header pattern is a regex pushed to Lua as JSON, never
		// written into nginx.conf: its end anchor and escapes are allowed.
		bad += " "
	case strings.HasSuffix(path, ".MatchCN"):
		// A regex in a quoted nginx token: '$' only as its end anchor,
		// never followed by a name.
		require.NotRegexp(t, `\$[^|)]`, s, path)
		bad += "\\"
	case strings.HasSuffix(path, ".AuthRealm"):
		bad += "$\\"
	default:
		bad += "$\\ "
	}
	require.False(t, strings.ContainsAny(s, bad), "%s = %q", path, s)
	require.False(t, strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || r > unicode.MaxASCII }), "%s = %q", path, s)
}
