package render

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestQuote(t *testing.T) {
	tests := map[string]struct {
		in      string
		want    string
		wantErr bool
	}{
		"path":             {in: "/foo/bar", want: `"/foo/bar"`},
		"empty":            {in: "", want: `""`},
		"space and hash":   {in: "/a b#c", want: `"/a b#c"`},
		"single quote":     {in: "/it's", want: `"/it's"`},
		"non-ASCII":        {in: "/café", want: `"/café"`},
		"unix socket":      {in: "unix:/run/a/s.sock", want: `"unix:/run/a/s.sock"`},
		"double quote":     {in: `/a"b`, wantErr: true},
		"backslash":        {in: `/a\"`, wantErr: true},
		"variable":         {in: "/$host", wantErr: true},
		"semicolon":        {in: "/a;b", wantErr: true},
		"open brace":       {in: "/a{", wantErr: true},
		"close brace":      {in: "/a}", wantErr: true},
		"newline":          {in: "/a\nb", wantErr: true},
		"carriage return":  {in: "/a\rb", wantErr: true},
		"tab":              {in: "/a\tb", wantErr: true},
		"NUL":              {in: "/a\x00", wantErr: true},
		"DEL":              {in: "/a\x7f", wantErr: true},
		"C1 control":       {in: "/a\u0085", wantErr: true},
		"invalid UTF-8":    {in: "/a\xff", wantErr: true},
		"truncated UTF-8":  {in: "/a\xc3", wantErr: true},
		"version sentinel": {in: versionPlaceholder, wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := quote(tc.in)
			if tc.wantErr {
				require.Error(t, err)
				require.Empty(t, got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func FuzzQuote(f *testing.F) {
	for _, s := range []string{"/", "/foo/bar", `a"b`, "a;b", "${x}", "a\nb", "\\", "\xff", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := quote(s)
		refused := !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool {
			return unicode.IsControl(r) || strings.ContainsRune(unsafeInQuotes, r)
		})
		if refused {
			require.Error(t, err)
			return
		}
		// Everything else is accepted verbatim, and what reaches nginx.conf
		// holds nothing that could end the string or start a directive,
		// block or variable.
		require.NoError(t, err)
		require.Equal(t, `"`+s+`"`, got)
		inner := got[1 : len(got)-1]
		require.False(t, strings.ContainsAny(inner, "\"\\;{}$\n\r"), "unsafe byte in %q", got)
	})
}

// TestQuoter checks that the quoter's strings, carved from shared blocks,
// are quote's and stay intact as later strings fill new blocks, and that
// it keeps the first error.
func TestQuoter(t *testing.T) {
	long := strings.Repeat("x", 100<<10) // longer than any block
	tests := map[string]struct {
		in      []string
		suffix  string
		wantErr string // the first error, from the string holding it
	}{
		"many strings over many blocks": {in: append(strings.Fields(strings.Repeat("/a /bb /ccc/d ", 20000)), long, "/e")},
		"with a suffix":                 {in: []string{"/p", "/", long, "/q"}, suffix: "/"},
		"non-ASCII":                     {in: []string{"/café", "/b"}},
		"first error kept":              {in: []string{"/a", `/b"`, "/c;", "/d"}, wantErr: `/b"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var q quoter
			got := make([]string, len(tc.in))
			for i, s := range tc.in {
				got[i] = q.join(s, tc.suffix)
			}
			if tc.wantErr != "" {
				_, want := quote(tc.wantErr)
				require.Equal(t, want, q.err)
				require.Equal(t, `"/a"`, got[0])
				require.Equal(t, []string{"", "", ""}, got[1:])
				return
			}
			require.NoError(t, q.err)
			for i, s := range tc.in {
				want, err := quote(s + tc.suffix)
				require.NoError(t, err)
				require.Equal(t, want, got[i])
			}
		})
	}
}
