package annotations

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

func TestParseSnippetAccepts(t *testing.T) {
	snip, err := ParseSnippet("server_tokens off;", ServerSnippet)
	require.NoError(t, err, "archway's nginx.conf already says it")
	require.Equal(t, &model.Snippet{}, snip)
	snip, err = ParseSnippet(`
		# security headers
		server_tokens off;
		more_set_headers "X-Frame-Options: DENY" "Content-Security-Policy: default-src 'self'";
		more_clear_headers Server X-Powered-*;
		add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;
		proxy_hide_header X-Powered-By;
		expires 30d;
		rewrite ^/old/(.*)$ /new/$1 permanent;
		return 301 https://$host${request_uri};
		location = /.well-known/carddav { return 301 $scheme://$host/remote.php/dav; }
		location ~ ^/(metrics|ping) { deny all; return 404; }
		location /admin { allow 10.0.0.0/8; deny all; }
	`, ServerSnippet)
	require.NoError(t, err)
	require.Len(t, snip.Directives, 7)
	require.Equal(t, []model.Header{
		{Name: "X-Frame-Options", Value: model.Template{{Text: "DENY"}}},
		{Name: "Content-Security-Policy", Value: model.Template{{Text: "default-src 'self'"}}},
	}, snip.Directives[0].Headers)
	require.Equal(t, []string{"Server", "X-Powered-*"}, snip.Directives[1].Names)
	require.True(t, snip.Directives[2].Always)
	require.Equal(t, "30d", snip.Directives[4].Expires)
	require.Equal(t, model.Directive{Kind: model.Rewrite, Regex: "/old/(.*)$", Flag: "permanent",
		URL: model.Template{{Text: "/new/"}, {Var: "1"}}}, snip.Directives[5])
	require.Equal(t, model.Template{{Text: "https://"}, {Var: "host"}, {Var: "request_uri"}}, snip.Directives[6].URL)
	require.Equal(t, []model.SnippetLocation{
		{Match: model.SnippetExact, Path: "/.well-known/carddav", Directives: []model.Directive{{Kind: model.Return, Code: 301,
			URL: model.Template{{Var: "scheme"}, {Text: "://"}, {Var: "host"}, {Text: "/remote.php/dav"}}}}},
		{Match: model.SnippetRegex, Path: "/(metrics|ping)", Directives: []model.Directive{{Kind: model.Deny, All: true}, {Kind: model.Return, Code: 404}}},
		{Match: model.SnippetPrefix, Path: "/admin", Directives: []model.Directive{
			{Kind: model.Allow, Address: netip.MustParsePrefix("10.0.0.0/8")}, {Kind: model.Deny, All: true}}},
	}, snip.Locations)
}

func TestParseSnippetRefuses(t *testing.T) {
	for _, tc := range []struct {
		snippet string
		kind    SnippetKind
		want    string
	}{
		{`if ($host = x) { return 403; }`, ConfigurationSnippet, `"if" (line 1) is refused: only location blocks may open "{"`},
		{`server_tokens on;`, ServerSnippet, `"server_tokens" (line 1) is refused: archway's nginx never tells its version`},
		{`set $x 1;`, ConfigurationSnippet, `"set" (line 1) is refused: it is not in archway's safe snippet subset`},
		{"more_set_headers \"A: b\";\naccess_by_lua_block { os.execute('id') }", ConfigurationSnippet, `"access_by_lua_block" (line 2) is refused`},
		{`include /etc/passwd;`, ConfigurationSnippet, `"include" (line 1) is refused`},
		{`add_header X-Uri $uri;`, ConfigurationSnippet, `"$uri" (line 1) is refused: header value: variable "$uri" is not allowed here`},
		{`add_header X-A "b`, ConfigurationSnippet, `quote " (line 1) is refused: it is never closed`},
		{`add_header X-A b`, ConfigurationSnippet, `"b" (line 1) is refused: the directive does not end with ";"`},
		{`add_header X-A "a\"b";`, ConfigurationSnippet, `may not hold a backslash`},
		{`more_set_headers -s 404 "X: y";`, ConfigurationSnippet, `"-s" (line 1) is refused: the options -s, -t and -r of headers-more are not supported`},
		{`location /x { deny all; }`, ConfigurationSnippet, `location blocks are taken only in a server-snippet`},
		{`location /x { location /y { deny all; } }`, ServerSnippet, `location blocks may not be nested`},
		{`location /x { deny all;`, ServerSnippet, `never closed`},
		{"location = /x { deny all; }\nlocation ^~ /y { deny all; }\nlocation /y { return 404; }", ServerSnippet, `"location" (line 3) is refused: location "/y" comes twice`},
		{`location ~ \.php$ { deny all; }`, ServerSnippet, `must be anchored`},
		{`location / { deny all; }`, ServerSnippet, `location "/" is the Ingress paths' own`},
		{`location /_archway/auth { deny all; }`, ServerSnippet, `reserved for archway's own locations`},
		{`proxy_set_header X-A b;`, ServerSnippet, `put it in a configuration-snippet`},
		{`deny all;`, ServerSnippet, `whitelist-source-range`},
		{`rewrite ^/a/(.*) /b/$2 last;`, ConfigurationSnippet, `uses $2, but the regex has 1 capture groups`},
		{`rewrite ^/a /b loop;`, ConfigurationSnippet, `a rewrite flag is last, break, redirect or permanent`},
		{`rewrite ^/x/(.*)$ /$1 last;`, ConfigurationSnippet, `"/$1" (line 1) is refused: with last or no flag nginx searches the locations again`},
		{`rewrite ^/x/(.*)$ /_arch$1;`, ServerSnippet, `could be one of archway's own (/_archway/...)`},
		{`rewrite ^/x /_archway/auth/x last;`, ConfigurationSnippet, `could be one of archway's own`},
		{`return 301;`, ConfigurationSnippet, `a redirect needs its target`},
		{`return 302 http://unix:/var/run/x.sock;`, ConfigurationSnippet, `unix`},
		{`return 200 "$request_body";`, ConfigurationSnippet, `response text`},
		{"add_header X-A \"a\r\nb\";", ConfigurationSnippet, `backslash or line break`},
		{"add_header X-A \x01;", ConfigurationSnippet, `only printable ASCII`},
		{`expires 1h30m;`, ConfigurationSnippet, `want off, epoch, max or a time`},
		{`expires 0000001d;`, ConfigurationSnippet, `want off, epoch, max or a time`},
		{`expires +1d;`, ConfigurationSnippet, `want off, epoch, max or a time`},
		{`# only a comment`, ConfigurationSnippet, `holds no directive`},
		{`;`, ConfigurationSnippet, `a directive was expected here`},
		{`}`, ConfigurationSnippet, `a directive was expected here`},
	} {
		t.Run(tc.snippet, func(t *testing.T) {
			_, err := ParseSnippet(tc.snippet, tc.kind)
			require.ErrorContains(t, err, tc.want)
		})
	}
}
