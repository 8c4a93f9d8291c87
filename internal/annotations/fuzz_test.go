package annotations

import (
	"reflect"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/testutil"
)

// FuzzParse feeds any value to every annotation and checks that whatever a
// grammar accepts holds no byte that could end an nginx string or
// directive, and no variable outside the variable names of templates.
func FuzzParse(f *testing.F) {
	testutil.FuzzSpecs(f, parseDefaults, parseValues, checkParse)
}

// TestParseEverySpecValue is FuzzParse's check of every annotation with
// every one of its seed values.
func TestParseEverySpecValue(t *testing.T) {
	testutil.CheckEverySpec(t, parseDefaults, parseValues, checkParse)
}

// parseValues are values that some grammars accept, and breakouts.
var parseValues = append([]string{"on", "1", "/a/$1", "https://a.example.com$request_uri", "10.0.0.0/8", `^v\.[0-9]+$`, "CN=(a|b)$"}, breakouts...)

// parseSpecs are the annotations checkParse goes through, and their defaults.
var (
	parseSpecs    = Specs()
	parseDefaults = testutil.Defaults(parseSpecs, func(s Spec) string { return s.Default })
)

func checkParse(t *testing.T, spec uint16, value string) {
	s := parseSpecs[int(spec)%len(parseSpecs)]
	p, problems := Parse(map[string]string{prefix + "/" + s.Key: value}, prefix)
	if len(problems) > 0 {
		return
	}
	walkStrings(t, reflect.ValueOf(p), "Parsed")
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
