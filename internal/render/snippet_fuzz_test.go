package render

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/builder"
	"github.com/archway-ingress/archway/internal/model"
)

// snippetSeeds are the snippets the fuzz target starts from: the corpus,
// the hostile values of the build fuzzing (attacks), and IngressNightmare-
// style payloads written as snippets.
func snippetSeeds() []string {
	seeds := []string{
		"}\n}\nserver { listen 1; location / { content_by_lua_block { os.execute('id') } } }",
		"ssl_engine /proc/self/fd/3;",
		"load_module /tmp/x.so;",
		"more_set_headers \"X: y\\\";\nssl_engine x;#\";",
		"more_set_headers \"X: y\";\nssl_engine x;",
		"add_header X \"${ngx.var.x}\";",
		"add_header X-A \"a\" always; } location /x { return 200; } location /y {",
		"rewrite ^/(.*)$ http://unix:/run/x.sock:/$1 break;",
		"return 302 \"https://a.example.com/\\\";return 200 \\\"x\";",
		"location ~ ^/x\" { return 200; } location ~ \"/y { deny all; }",
		"location = /a { location = /b { return 200; } }",
		"location /a { deny all; } location ^~ /a { return 404; } location = /a { return 403; }",
		"proxy_set_header Host $http_host;\nproxy_set_header X-Uri $uri;",
		"rewrite ^/((a+)+)+$ /x last;",
		"add_header X-A \"#\";\nadd_header X-B ';' always;",
		"location ^~ /static { expires max; add_header Cache-Control public; }",
		"return 200 OK;\n# } include /etc/passwd;",
	}
	for _, tc := range snippetCorpus() {
		seeds = append(seeds, tc.snippet)
	}
	for _, a := range attacks() {
		in := baseInput()
		a.in(&in)
		seeds = append(seeds, in.value, in.path, in.host, in.secret)
	}
	return seeds
}

// soupWords are what the fuzz target's directive soup is made of:
// directives in and out of the subset, their arguments, and the bytes
// that end or start something in nginx.conf.
var soupWords = []string{
	"more_set_headers", "more_clear_headers", "add_header", "proxy_set_header", "proxy_hide_header", "expires",
	"return", "rewrite", "allow", "deny", "location", "if", "set", "include", "content_by_lua_block", "ssl_engine",
	`"X-A: b"`, "X-A", "Server", "$uri", "$host", "$request_uri", "${host}", "^/a/(.*)$", "/b/$1", "301", "404",
	"https://x.example.com$request_uri", "all", "10.0.0.0/8", "always", "=", "~", "~*", "^~", "/p", "30d", "last",
	"break", "permanent", ";", "{", "}", `"`, "'", "#", "\n", " ", `\`, "$", "/_archway/x",
}

// soup turns bytes into a snippet of soupWords, one word a byte.
func soup(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		s.WriteString(soupWords[int(c)%len(soupWords)])
		s.WriteByte(' ')
	}
	return s.String()
}

// snippetConfig is a config with one server whose "/" carries the snippet
// as a configuration-snippet, or whose server-snippet it is.
func snippetConfig(snip *model.Snippet, kind annotations.SnippetKind, host string) model.Server {
	loc := model.Location{Path: "/", Match: model.MatchPrefix,
		Owner: model.Owner{Kind: model.KindIngress, Ref: model.Ref{Namespace: "fuzz", Name: "snippet"}}}
	srv := model.Server{Host: host, Locations: []model.Location{loc}}
	if kind == annotations.ServerSnippet {
		srv.Snippet = snip
	} else {
		own(&srv.Locations[0]).Snippet = snip
	}
	return srv
}

// FuzzSnippet parses whatever snippet the fuzzer makes, and checks that
// one the subset accepts renders, and that nginx.conf then holds only the
// templates' directives and those of the subset, in server and location
// blocks: no snippet text escapes its token.
func FuzzSnippet(f *testing.F) {
	for _, s := range snippetSeeds() {
		f.Add(s, []byte{}, false)
		f.Add(s, []byte{}, true)
	}
	f.Add("", []byte{0, 16, 44, 6, 17, 41, 42}, true)
	known := templateDirectives(f)
	r, err := New("")
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, text string, words []byte, server bool) {
		kind := annotations.ConfigurationSnippet
		if server {
			kind = annotations.ServerSnippet
		}
		text += soup(words)
		snip, err := annotations.ParseSnippet(text, kind)
		if err != nil {
			return
		}
		cfg := model.Config{Servers: []model.Server{snippetConfig(snip, kind, "fuzz.example.com")}}
		out, err := r.Render(cfg, rootOptions(goldenRuntimeDir))
		require.NoError(t, err, "snippet %q: an accepted snippet must render", text)
		checkSnippetConf(t, known, out.Files[0].Data, text)
	})
}

// subsetDirectives are the directives a snippet may add.
var subsetDirectives = map[string]bool{"more_set_headers": true, "more_clear_headers": true, "add_header": true,
	"proxy_set_header": true, "proxy_hide_header": true, "expires": true, "return": true, "rewrite": true,
	"allow": true, "deny": true, "location": true}

// checkSnippetConf fails unless conf parses into the templates' directives
// and the subset's, the latter in server and location blocks only, and
// loads no code but the templates' modules and headers-more.
func checkSnippetConf(t *testing.T, known map[string]bool, conf []byte, input string) {
	t.Helper()
	statements, err := parseConf(string(conf))
	require.NoError(t, err, "snippet %q", input)
	for _, s := range statements {
		switch {
		case s.parent == "map" || s.parent == "geo" || s.lua != "":
		case s.name == "proxy_set_header" && s.parent == "http": // the templates' header list
		case subsetDirectives[s.name]:
			require.Contains(t, []string{"server", "location", "if"}, s.parent, "snippet %q: %s in %s", input, s.name, s.parent)
		default:
			require.True(t, known[s.name], "snippet %q: unknown directive %q %q", input, s.name, s.args)
		}
		if s.name == "load_module" {
			require.True(t, slices.Contains([]string{"ndk_http_module.so", "ngx_http_lua_module.so", "ngx_http_headers_more_filter_module.so"},
				strings.TrimPrefix(s.args[0], "/usr/lib/nginx/modules/")), "snippet %q: load_module %q", input, s.args)
		}
		require.NotContains(t, []string{"include", "ssl_engine"}, s.name, "snippet %q", input)
	}
}

// TestSnippetSeedsPassNginx renders every seed the subset accepts, each
// as both kinds of snippet on a host of its own, into one config, and
// checks it with nginx -t.
func TestSnippetSeedsPassNginx(t *testing.T) {
	var cfg model.Config
	accepted := 0
	for i, s := range snippetSeeds() {
		for _, kind := range []annotations.SnippetKind{annotations.ConfigurationSnippet, annotations.ServerSnippet} {
			snip, err := annotations.ParseSnippet(s, kind)
			if err != nil {
				continue
			}
			accepted++
			cfg.Servers = append(cfg.Servers, snippetConfig(snip, kind, fmt.Sprintf("s%d-%d.example.com", i, kind)))
		}
	}
	require.Greater(t, accepted, 20)
	r, err := New("")
	require.NoError(t, err)
	out, err := r.Render(cfg, rootOptions(goldenRuntimeDir))
	require.NoError(t, err)
	checkSnippetConf(t, templateDirectives(t), out.Files[0].Data, "the seeds")
	require.Contains(t, string(out.Files[0].Data), "ngx_http_headers_more_filter_module.so")
	dir := t.TempDir()
	out.Files[0].Data = bytes.ReplaceAll(out.Files[0].Data, []byte(goldenRuntimeDir), []byte(dir))
	nginxCheck(t, dir, out.Files)
}

// FuzzSnippetBuild builds a server-snippet beside the owner's Prefix path
// and another namespace's, with the subset on, and checks that whatever
// build accepts renders: build, not render, refuses a location that
// duplicates a path's.
func FuzzSnippetBuild(f *testing.F) {
	f.Add("location = /api { return 404; }", "/api", "/other")
	f.Add("location /api/ { deny all; }", "/api", "/x")
	f.Add("location = /a { return 404; } location /a { deny all; }", "/a", "/b")
	f.Add("location = /app { return 403; }", "/app/", "/")
	f.Add("location ~ ^/x { deny all; }", "/", "/x")
	r, err := New("")
	require.NoError(f, err)
	opts := builder.Options{IngressClass: "archway", ControllerClass: "archway.dev/ingress-controller", LoopbackEndpoints: true}
	f.Fuzz(func(t *testing.T, snippet, path, other string) {
		snap := snippetSnapshot([]snippetCase{{server: true, snippet: snippet, paths: []string{path}, others: []string{other}}}, 8080)
		cfg, _ := builder.Build(snap, opts)
		_, err := r.Render(cfg, rootOptions(goldenRuntimeDir))
		require.NoError(t, err, "snippet %q beside paths %q and %q: a built model must render", snippet, path, other)
	})
}
