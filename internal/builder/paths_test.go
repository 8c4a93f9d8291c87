package builder

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/reason"
)

func TestParsePath(t *testing.T) {
	exactType, prefixType, implType := networkingv1.PathTypeExact, networkingv1.PathTypePrefix, networkingv1.PathTypeImplementationSpecific
	tests := map[string]struct {
		pathType  *networkingv1.PathType
		path      string
		wantPath  string
		wantMatch model.Match
		wantField string // of the rejection; "" when accepted
	}{
		"exact":                         {pathType: &exactType, path: "/foo", wantPath: "/foo", wantMatch: model.MatchExact},
		"exact keeps a trailing slash":  {pathType: &exactType, path: "/foo/", wantPath: "/foo/", wantMatch: model.MatchExact},
		"exact root":                    {pathType: &exactType, path: "/", wantPath: "/", wantMatch: model.MatchExact},
		"prefix":                        {pathType: &prefixType, path: "/foo", wantPath: "/foo", wantMatch: model.MatchPrefix},
		"prefix drops a trailing slash": {pathType: &prefixType, path: "/foo/bar/", wantPath: "/foo/bar", wantMatch: model.MatchPrefix},
		"prefix root stays":             {pathType: &prefixType, path: "/", wantPath: "/", wantMatch: model.MatchPrefix},
		"implementation specific":       {pathType: &implType, path: "/foo/", wantPath: "/foo", wantMatch: model.MatchPrefix},
		"implementation specific empty": {pathType: &implType, path: "", wantPath: "/", wantMatch: model.MatchPrefix},
		"missing type":                  {path: "/foo/", wantPath: "/foo", wantMatch: model.MatchPrefix},
		"missing type empty":            {path: "", wantPath: "/", wantMatch: model.MatchPrefix},
		"every allowed character":       {pathType: &exactType, path: "/AZaz09._~-/x", wantPath: "/AZaz09._~-/x", wantMatch: model.MatchExact},
		"dots inside a segment":         {pathType: &prefixType, path: "/a..b/.c/d.", wantPath: "/a..b/.c/d.", wantMatch: model.MatchPrefix},
		"prefix empty":                  {pathType: &prefixType, path: "", wantField: "path"},
		"exact empty":                   {pathType: &exactType, path: "", wantField: "path"},
		"relative":                      {pathType: &prefixType, path: "foo", wantField: "path"},
		"double slash":                  {pathType: &prefixType, path: "/a//b", wantField: "path"},
		"trailing double slash":         {pathType: &prefixType, path: "/a//", wantField: "path"},
		"dot segment":                   {pathType: &exactType, path: "/a/./b", wantField: "path"},
		"dot-dot segment":               {pathType: &exactType, path: "/a/../b", wantField: "path"},
		"ends in dot":                   {pathType: &prefixType, path: "/a/.", wantField: "path"},
		"ends in dot-dot":               {pathType: &prefixType, path: "/..", wantField: "path"},
		"dot-dot with trailing slash":   {pathType: &prefixType, path: "/../", wantField: "path"},
		"percent":                       {pathType: &prefixType, path: "/a%20b", wantField: "path"},
		"space":                         {pathType: &prefixType, path: "/a b", wantField: "path"},
		"regex":                         {pathType: &implType, path: "/a(.*)", wantField: "path"},
		"nginx syntax":                  {pathType: &exactType, path: "/a;}", wantField: "path"},
		"query":                         {pathType: &exactType, path: "/a?b", wantField: "path"},
		"non-ascii":                     {pathType: &exactType, path: "/ü", wantField: "path"},
		"unknown type":                  {pathType: ptrTo(networkingv1.PathType("Regex")), path: "/a", wantField: "pathType"},
		"internal location":             {pathType: &exactType, path: "/_archway/auth/0123456789abcdef", wantField: "path"},
		"internal namespace":            {pathType: &exactType, path: "/_archway", wantField: "path"},
		"internal namespace prefix":     {pathType: &prefixType, path: "/_archway/", wantField: "path"},
		"beside the internal namespace": {pathType: &prefixType, path: "/_archway-docs", wantPath: "/_archway-docs", wantMatch: model.MatchPrefix},
		"lowercase type":                {pathType: ptrTo(networkingv1.PathType("prefix")), path: "/a", wantField: "pathType"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			path, match, rej := parsePath(tc.pathType, tc.path, false)
			if tc.wantField != "" {
				require.NotNil(t, rej)
				require.Equal(t, tc.wantField, rej.field)
				require.Equal(t, reason.InvalidPath, rej.reason)
				return
			}
			require.Nil(t, rej)
			require.Equal(t, tc.wantPath, path)
			require.Equal(t, tc.wantMatch, match)
		})
	}
}

// TestParseRegexPath: a regex path that PCRE would refuse, or that
// could backtrack catastrophically, is reported on its own path.
func TestParseRegexPath(t *testing.T) {
	implType := networkingv1.PathTypeImplementationSpecific
	path, match, rej := parsePath(&implType, "/api(/|$)(.*)", true)
	require.Nil(t, rej)
	require.Equal(t, "/api(/|$)(.*)", path)
	require.Equal(t, model.MatchRegex, match)
	for path, complaint := range map[string]string{
		"/(?<host>.*)": "names a group",
		`/a[\d-z]`:     "as a range end",
		"/a^+":         "repeats the anchor",
		"/x/((a+)+)+$": "holding a repetition",
	} {
		_, _, rej := parsePath(&implType, path, true)
		require.NotNil(t, rej, path)
		require.Equal(t, "path", rej.field)
		require.Equal(t, reason.InvalidPath, rej.reason)
		require.Contains(t, rej.message, complaint)
	}
}

func FuzzParsePath(f *testing.F) {
	for _, seed := range []string{"/", "/foo/", "", "/a//b", "/a/../b", "/a/.", "/a b", "/é", "/a;}"} {
		for _, pathType := range []string{"Exact", "Prefix", "ImplementationSpecific", ""} {
			f.Add(pathType, seed)
		}
	}
	f.Fuzz(func(t *testing.T, pathType, in string) {
		var pt *networkingv1.PathType
		if pathType != "" {
			pt = ptrTo(networkingv1.PathType(pathType))
		}
		path, match, rej := parsePath(pt, in, false)
		if rej != nil {
			return
		}
		require.True(t, strings.HasPrefix(path, "/"), "accepted %q as %q", in, path)
		require.True(t, onlyBytes(path, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~/-"), "accepted %q", in)
		for _, bad := range []string{"//", "/./", "/../"} {
			require.NotContains(t, path, bad, "accepted %q", in)
		}
		require.False(t, strings.HasSuffix(path, "/.") || strings.HasSuffix(path, "/.."), "accepted %q", in)
		if match == model.MatchPrefix {
			require.True(t, path == "/" || !strings.HasSuffix(path, "/"), "accepted %q as %q", in, path)
		}
		// The model form is a fixed point: parsing it again changes nothing.
		again, againMatch, rej := parsePath(ptrTo(networkingv1.PathType(match)), path, false)
		require.Nil(t, rej)
		require.Equal(t, path, again)
		require.Equal(t, match, againMatch)
	})
}

func ptrTo[T any](v T) *T { return &v }
