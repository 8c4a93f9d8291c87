package model

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBalancingValidate(t *testing.T) {
	tests := map[string]struct {
		b       Balancing
		wantErr string
	}{
		"zero is round robin": {},
		"ewma":                {b: Balancing{Algorithm: EWMA}},
		"hash by header":      {b: Balancing{HashBy: "http_x_user"}},
		"hash by uri":         {b: Balancing{HashBy: "request_uri"}},
		"full cookie": {b: Balancing{Cookie: &CookieAffinity{
			Name: "route-1_x", Path: "/app/v1.2~x", MaxAge: 3600, SameSite: "None", Secure: true}}},
		"unknown algorithm":   {b: Balancing{Algorithm: "least_conn"}, wantErr: "unknown balancing algorithm"},
		"hash with dollar":    {b: Balancing{HashBy: "$uri"}, wantErr: "not an nginx variable name"},
		"hash digit first":    {b: Balancing{HashBy: "1uri"}, wantErr: "not an nginx variable name"},
		"hash with dash":      {b: Balancing{HashBy: "http_x-user"}, wantErr: "not an nginx variable name"},
		"hash too long":       {b: Balancing{HashBy: strings.Repeat("a", 257)}, wantErr: "not an nginx variable name"},
		"cookie without name": {b: Balancing{Cookie: &CookieAffinity{}}, wantErr: "cookie name"},
		"cookie name =":       {b: Balancing{Cookie: &CookieAffinity{Name: "a=b"}}, wantErr: "cookie name"},
		"cookie path space":   {b: Balancing{Cookie: &CookieAffinity{Name: "a", Path: "/a b"}}, wantErr: "cookie path"},
		"cookie path no /":    {b: Balancing{Cookie: &CookieAffinity{Name: "a", Path: "a"}}, wantErr: "cookie path"},
		"negative max age":    {b: Balancing{Cookie: &CookieAffinity{Name: "a", MaxAge: -5}}, wantErr: "max age -5"},
		"huge max age":        {b: Balancing{Cookie: &CookieAffinity{Name: "a", MaxAge: 1 << 31}}, wantErr: "max age 2147483648"},
		"lower case lax":      {b: Balancing{Cookie: &CookieAffinity{Name: "a", SameSite: "lax"}}, wantErr: "SameSite"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := tc.b.Validate()
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

// FuzzBalancingValidate checks that nothing Validate accepts can end a
// Set-Cookie attribute or hold more than a variable name.
func FuzzBalancingValidate(f *testing.F) {
	f.Add("http_x_user", "route", "/", "Lax")
	f.Add("$uri;", "a\r\nb", "/a;Domain=x", "lax")
	f.Fuzz(func(t *testing.T, hashBy, name, path, sameSite string) {
		b := Balancing{HashBy: hashBy, Cookie: &CookieAffinity{Name: name, Path: path, SameSite: sameSite}}
		if b.Validate() != nil {
			return
		}
		require.Regexp(t, `^([a-z_][a-z0-9_]*)?$`, hashBy)
		require.Regexp(t, `^[A-Za-z0-9_-]+$`, name)
		require.Regexp(t, `^(/[A-Za-z0-9._~/-]*)?$`, path)
		require.Contains(t, []string{"", "Strict", "Lax", "None"}, sameSite)
	})
}
