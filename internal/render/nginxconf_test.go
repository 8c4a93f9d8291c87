package render

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/templates"
)

// statement is one nginx directive as nginx's own parser splits it: its
// name, its arguments (quotes removed), the block it is in, and for a
// *_by_lua_block the Lua code, which nginx hands to Lua unparsed.
type statement struct {
	name   string
	args   []string
	parent string // the innermost enclosing block's directive; "" at the top
	lua    string
}

// parseConf splits nginx.conf into statements following nginx's tokenizer:
// whitespace separates tokens, quotes group them (a backslash escapes the
// next byte), '#' starts a comment, ';' ends a directive, '{' and '}' open
// and close blocks. It is strict where nginx is lax: a quoted token must
// end on its line, as archway never writes one across lines.
func parseConf(conf string) ([]statement, error) {
	var out []statement
	var stack []string
	var tokens []string
	for i := 0; i < len(conf); {
		c := conf[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#':
			for i < len(conf) && conf[i] != '\n' {
				i++
			}
		case c == ';' || c == '{':
			if len(tokens) == 0 {
				return nil, fmt.Errorf("offset %d: %q without a directive", i, c)
			}
			s := statement{name: tokens[0], args: tokens[1:]}
			if len(stack) > 0 {
				s.parent = stack[len(stack)-1]
			}
			tokens = nil
			i++
			if c == '{' && strings.HasSuffix(s.name, "_by_lua_block") {
				end, err := luaBlockEnd(conf, i)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", s.name, err)
				}
				s.lua, i = strings.TrimSpace(conf[i:end]), end+1
			} else if c == '{' {
				stack = append(stack, s.name)
			}
			out = append(out, s)
		case c == '}':
			if len(tokens) > 0 || len(stack) == 0 {
				return nil, fmt.Errorf("offset %d: unexpected }", i)
			}
			stack = stack[:len(stack)-1]
			i++
		case c == '"' || c == '\'':
			end := i + 1
			for ; end < len(conf) && conf[end] != c; end++ {
				if conf[end] == '\\' {
					end++
				}
				if end < len(conf) && conf[end] == '\n' {
					return nil, fmt.Errorf("offset %d: quoted token crosses a line", i)
				}
			}
			if end >= len(conf) {
				return nil, fmt.Errorf("offset %d: unterminated quote", i)
			}
			// nginx takes a ")" right after a quote, which closes an if
			// condition, as a token of its own.
			if end+1 < len(conf) && !strings.ContainsRune(" \t\r\n;{)", rune(conf[end+1])) {
				return nil, fmt.Errorf("offset %d: text right after a quoted token", end)
			}
			tokens = append(tokens, conf[i+1:end])
			i = end + 1
		default:
			end := i
			for end < len(conf) && !strings.ContainsRune(" \t\r\n;{}\"'", rune(conf[end])) {
				end++
			}
			if end < len(conf) && (conf[end] == '"' || conf[end] == '\'') {
				return nil, fmt.Errorf("offset %d: quote inside a token", end)
			}
			tokens = append(tokens, conf[i:end])
			i = end
		}
	}
	if len(tokens) > 0 || len(stack) > 0 {
		return nil, errors.New("unterminated directive or block")
	}
	return out, nil
}

// luaBlockEnd returns the offset of the '}' that closes a Lua block
// starting at from. archway's Lua blocks hold no braces in strings.
func luaBlockEnd(conf string, from int) (int, error) {
	depth := 1
	for i := from; i < len(conf); i++ {
		switch conf[i] {
		case '{':
			depth++
		case '}':
			if depth--; depth == 0 {
				return i, nil
			}
		}
	}
	return 0, errors.New("unterminated Lua block")
}

// confChecker holds what a rendered config may contain: the directive
// names of the templates, and the Lua code written in them.
type confChecker struct {
	known     map[string]bool
	templates string
}

func newConfChecker(t testing.TB) confChecker {
	var all strings.Builder
	err := fs.WalkDir(templates.FS, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(templates.FS, name)
		all.Write(data)
		return err
	})
	require.NoError(t, err)
	return confChecker{known: templateDirectives(t), templates: all.String()}
}

// check fails unless conf parses into statements that the templates
// write: every directive is one of theirs (entries of map, geo and
// upstream blocks aside), every Lua block is their code, and nothing that
// loads code or files appears beyond what nginx.conf.tmpl itself loads.
func (c confChecker) check(t testing.TB, conf []byte, input string) {
	t.Helper()
	statements, err := parseConf(string(conf))
	require.NoError(t, err, "input %q", input)
	loads := 0
	for _, s := range statements {
		switch {
		case s.parent == "map" || s.parent == "geo":
			require.Len(t, s.args, 1, "input %q: map entry %q %q", input, s.name, s.args)
		case s.lua != "" || strings.HasSuffix(s.name, "_by_lua_block"):
			require.Contains(t, c.templates, s.lua, "input %q: Lua not from the templates", input)
		default:
			require.True(t, c.known[s.name], "input %q: unknown directive %q %q", input, s.name, s.args)
		}
		switch {
		case s.name == "load_module":
			require.Contains(t, templateModules, s.args[0], "input %q: a module nginx.conf.tmpl does not load", input)
			loads++
		case s.name == "include" || s.name == "ssl_engine" || strings.HasSuffix(s.name, "_by_lua_file"):
			require.Fail(t, "loads code", "input %q: %s %q", input, s.name, s.args)
		}
	}
	require.GreaterOrEqual(t, loads, 2, "input %q: nginx.conf.tmpl always loads ndk and Lua", input)
}

// templateModules are the modules nginx.conf.tmpl may load: ndk and Lua
// always, the others only while a feature uses them (the WAF, snippets'
// headers-more, stream servers).
var templateModules = []string{
	"/usr/lib/nginx/modules/ndk_http_module.so",
	"/usr/lib/nginx/modules/ngx_http_lua_module.so",
	"/usr/lib/nginx/modules/ngx_http_headers_more_filter_module.so",
	"/usr/lib/nginx/modules/ngx_stream_module.so",
	wafModule,
}

func TestParseConf(t *testing.T) {
	tests := map[string]struct {
		conf string
		want []statement
		err  string
	}{
		"directives and blocks": {
			conf: "a 1;\nhttp {\n  b \"x y\" 'z';  # c d;\n  map $x $y { default \"\"; }\n}\n",
			want: []statement{{name: "a", args: []string{"1"}}, {name: "http", args: []string{}},
				{name: "b", args: []string{"x y", "z"}, parent: "http"}, {name: "map", args: []string{"$x", "$y"}, parent: "http"},
				{name: "default", args: []string{""}, parent: "map"}},
		},
		"lua block":            {conf: "init_by_lua_block { f({}) }", want: []statement{{name: "init_by_lua_block", args: []string{}, lua: "f({})"}}},
		"escaped quote":        {conf: `a "x\"; b";`, want: []statement{{name: "a", args: []string{`x\"; b`}}}},
		"unbalanced quote":     {conf: `a "x;`, err: "unterminated quote"},
		"quote inside a token": {conf: `a x"y";`, err: "quote inside a token"},
		"text after a quote":   {conf: `a "x"y;`, err: "text right after a quoted token"},
		"a quote closing a condition": {conf: `if ($a = "x") { return 403; }`, want: []statement{{name: "if", args: []string{"($a", "=", "x", ")"}},
			{name: "return", args: []string{"403"}, parent: "if"}}},
		"stray brace":             {conf: "a 1; }", err: "unexpected }"},
		"open block":              {conf: "http { a 1;", err: "unterminated"},
		"quote across lines":      {conf: "a \"x\ny\";", err: "crosses a line"},
		"semicolon alone":         {conf: ";", err: "without a directive"},
		"unterminated lua block":  {conf: "content_by_lua_block { x", err: "unterminated Lua block"},
		"missing final semicolon": {conf: "a 1", err: "unterminated"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := parseConf(tc.conf)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

// TestConfCheckerTakesFeatureModules: a config that loads a feature's
// module (here the WAF's) passes the checker that the build fuzzing uses,
// so fuzzing a WAF key cannot fail on the checker itself.
func TestConfCheckerTakesFeatureModules(t *testing.T) {
	b := newBuildRender(t)
	in := baseInput()
	in.annotation, in.value = "modsecurity-transaction-id", "abc"
	require.Empty(t, b.run(t, in, false).Problems)
}
