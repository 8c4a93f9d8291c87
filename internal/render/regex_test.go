package render

import (
	"bytes"
	"encoding/json"
	mathrand "math/rand/v2"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/grammar"
	"github.com/archway-ingress/archway/internal/model"
)

// regexConf is a minimal nginx.conf with a location per regex path, as
// locations.go writes them.
func regexConf(t testing.TB, paths []string) []File {
	var b strings.Builder
	b.WriteString("pid pid;\nevents {}\nhttp {\n    access_log off;\n    server {\n        listen 127.0.0.1:8080;\n")
	for _, path := range paths {
		token, err := regexToken(path, "")
		require.NoError(t, err, path)
		b.WriteString("        location ~* " + token + " {\n            return 204;\n        }\n")
	}
	b.WriteString("    }\n}\n")
	return []File{{Name: ConfigFile, Data: []byte(b.String()), Mode: 0o644}}
}

// nginxRefuses runs nginx -t on files and returns its output and whether
// it refused them.
func nginxRefuses(t testing.TB, files []File) (string, bool) {
	dir := t.TempDir()
	out, err := exec.Command(nginxBinary(t), "-t", "-p", dir, "-c", writeFiles(t, dir, files), "-e", "stderr").CombinedOutput()
	return string(out), err != nil
}

// patternRoute is a canary route whose canaries match the header "x"
// against each pattern, as the endpoints push sends it to the Lua side.
func patternRoute(patterns []string) []byte {
	canaries := make([]map[string]any, len(patterns))
	for i, p := range patterns {
		canaries[i] = map[string]any{"backend": "beta", "weight": 0, "weight_total": 1, "header": "x", "header_pattern": p}
	}
	payload, _ := json.Marshal(map[string]any{"canary.x": map[string]any{"main": "main", "canaries": canaries}})
	return payload
}

// pushPatterns fails unless the Lua side of e takes every pattern; on a
// refusal it names the patterns refused.
func pushPatterns(t testing.TB, e *canaryEnv, patterns []string) {
	code, body, err := pushStatus(e.opts.RuntimeDir, "?merge=1", patternRoute(patterns))
	require.NoError(t, err)
	if code == http.StatusOK {
		return
	}
	var refused []string
	for _, p := range patterns {
		if code, _, _ := pushStatus(e.opts.RuntimeDir, "?merge=1", patternRoute([]string{p})); code != http.StatusOK {
			refused = append(refused, p)
		}
	}
	t.Fatalf("the Lua side refuses canary patterns that grammar.CheckHeaderPattern accepts (%s): %q", body, refused)
}

// patternEnv is nginx with the Lua side running, for canary patterns.
func patternEnv(t testing.TB) *canaryEnv {
	ep := model.Endpoint{Address: "127.0.0.1", Port: 9}
	return newCanaryEnv(t, []model.Backend{{Name: "main", Endpoints: []model.Endpoint{ep}}, {Name: "beta", Endpoints: []model.Endpoint{ep}}})
}

// pcre2Compiles reports whether PCRE2 (pcre2test, the library nginx
// links) compiles a regex path as nginx's "location ~*" does.
func pcre2Compiles(t testing.TB, path string) (string, bool) {
	token, err := regexToken(path, "")
	require.NoError(t, err)
	cmd := exec.Command("pcre2test")
	cmd.Stdin = strings.NewReader(token + "i\n")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "pcre2test (Debian's pcre2-utils, scripts/install-deps.sh test):\n%s", out)
	return string(out), !bytes.Contains(out, []byte("Failed:"))
}

// regexCorpus returns n regex paths that grammar.CheckRegex accepts, drawn
// from a seeded random mix of the pieces where PCRE and RE2 differ.
func regexCorpus(n int) []string {
	pieces := []string{"a", "Z", "0", "/", ".", "-", "_", "~", ":", "=", "!", "@", "&", "%", ",", "<", ">", "(", ")", "(?:", "|",
		"*", "+", "?", "*?", "{2}", "{1,3}", "{2,}", "{,2}", "^", "$", `\.`, `\d`, `\W`, `\-`, "[a-z]", "[^/]", `[\d-]`, `[\s-a]`,
		"[.]", "[:]", "[", "]", "(?i)", "(?-i)", "(?U)", "(?<n>", "(?P<n>", "{", "}", `\/`}
	random := mathrand.New(mathrand.NewPCG(3, 4))
	var paths []string
	for len(paths) < n {
		var b strings.Builder
		b.WriteString("/")
		for range 1 + random.IntN(12) {
			b.WriteString(pieces[random.IntN(len(pieces))])
		}
		if grammar.CheckRegex(b.String()) == nil {
			paths = append(paths, b.String())
		}
	}
	return paths
}

// TestRegexAgreesWithPCRE checks grammar.CheckRegex against the engines that
// run its regexes: every regex path it accepts, hand-picked or from a
// seeded random corpus, compiles in nginx (PCRE2), and every canary
// header pattern it accepts compiles in the Lua side (ngx.re; Debian's
// Lua module links the older PCRE). The regexes Go parses and PCRE
// refuses are refused, and nginx does refuse them.
func TestRegexAgreesWithPCRE(t *testing.T) {
	accepted := append(regexCorpus(3000), "/api(/|$)(.*)", "/v[0-9]+/(.*)", `/files/.+\.pdf`, "/(?i)x", "/(a{3})+", "/(/.*)?",
		"/[.]", `/[\d-]`, "/[]a]", "/"+strings.Repeat("(", 32)+strings.Repeat(")", 32), "/(abcdefghij){1000}", "/[a-z]{500}")
	out, refused := nginxRefuses(t, regexConf(t, accepted))
	require.False(t, refused, "nginx refuses regex paths that grammar.CheckRegex accepts:\n%s", out)

	var patterns []string
	for _, path := range accepted {
		if grammar.CheckHeaderPattern(path[1:]) == nil {
			patterns = append(patterns, path[1:])
		}
	}
	require.Greater(t, len(patterns), 1000)
	pushPatterns(t, patternEnv(t), patterns)

	// Go parses these; nginx refuses them, with the message of model's.
	for path, nginxSays := range map[string]string{
		"/(?<host>x)":                            `the duplicate "host" variable`,
		"/(?<a>x)(?<a>y)":                        "two named subpatterns have the same name",
		"/(?<" + strings.Repeat("a", 33) + ">x)": "subpattern name is too long",
		`/a[\d-z]`:                               "invalid range in character class",
		"/[:alpha:]":                             "POSIX named classes are supported only within a class",
		"/[[:foo:]]":                             "unknown POSIX class name",
		"/a^+b":                                  "quantifier does not follow a repeatable item",
		"/a(?i)+":                                "quantifier does not follow a repeatable item",
		"/" + strings.Repeat("(", 251) + strings.Repeat(")", 251): "parentheses are too deeply nested",
		"/(" + strings.Repeat("abcdefghij", 50) + "){100}":        "regular expression is too large",
		"/(?:" + strings.Repeat("(?:a){0,1000}", 70) + ")":        "regular expression is too large",
	} {
		t.Run(path[:min(len(path), 40)], func(t *testing.T) {
			require.Error(t, grammar.CheckRegex(path))
			conf := regexConf(t, []string{"/"})
			conf[0].Data = bytes.Replace(conf[0].Data, []byte(`^/"`), []byte("^"+path+`"`), 1)
			out, refused := nginxRefuses(t, conf)
			require.True(t, refused, "nginx takes %q", path)
			require.Contains(t, out, nginxSays)
		})
	}
}

// FuzzRegexPCRE asserts that PCRE2 compiles, as nginx does, every regex
// path that grammar.CheckRegex accepts, nginx -t takes it on a sample of
// inputs, and the Lua side takes every canary pattern that
// grammar.CheckHeaderPattern accepts.
func FuzzRegexPCRE(f *testing.F) {
	for _, seed := range []string{"api(/|$)(.*)", `[\d-z]`, "(?<host>x)", "[:alpha:]", "a^+b", "a(?i)+", "((a+)+)+$", "(x){9}", "[]a]"} {
		f.Add(seed)
	}
	e := patternEnv(f)
	f.Fuzz(func(t *testing.T, re string) {
		if grammar.CheckHeaderPattern(re) == nil {
			pushPatterns(t, e, []string{re})
		}
		path := "/" + re
		if grammar.CheckRegex(path) != nil {
			return
		}
		out, ok := pcre2Compiles(t, path)
		require.True(t, ok, "PCRE2 refuses %q, which grammar.CheckRegex accepts:\n%s", path, out)
		if len(re)%32 == 0 {
			out, refused := nginxRefuses(t, regexConf(t, []string{path}))
			require.False(t, refused, "nginx refuses %q:\n%s", path, out)
		}
	})
}

// TestRegexMatchLimit sends requests that backtrack through ~4.6 million
// steps before they match: a regex path and a canary header pattern
// that grammar.CheckRegex accepts (no nested repetition) yet are
// polynomial. Bounded by grammar.RegexMatchLimit, nginx gives up early: the
// location answers 500 and the canary rule decides nothing, where an
// unbounded match would cost the worker ~70 ms per request (the Lua
// side's JIT, fewer; its bound is lower).
func TestRegexMatchLimit(t *testing.T) {
	const slow = "(.*.*.*z|x)" // 300 bytes without a "z" try ~n³/6 splits
	subject := "x" + strings.Repeat("a", 300)
	require.NoError(t, grammar.CheckRegex("/p/"+slow))
	require.NoError(t, grammar.CheckHeaderPattern("^"+slow))

	r, err := New("")
	require.NoError(t, err)
	live := liveBackends(t, "regex", "root")
	client := serve(t, r, model.Config{Backends: live, Servers: []model.Server{{Host: "regex.example.com", Locations: []model.Location{
		prefix("/", "root"), {Path: "/p/" + slow, Match: model.MatchRegex, Backend: "regex"},
	}}}})
	code, body, err := get(client, "regex.example.com", "/p/x")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "regex", body, "a cheap match is served")
	start := time.Now()
	code, _, err = get(client, "regex.example.com", "/p/"+subject)
	require.NoError(t, err)
	require.Equal(t, http.StatusInternalServerError, code, "the match limit stops the regex")
	t.Logf("a request at the match limit took %v", time.Since(start))

	eps := namedServers(t, nil, "main", "beta")
	e := newCanaryEnv(t, []model.Backend{{Name: "main", Endpoints: []model.Endpoint{eps["main"]}}, {Name: "beta", Endpoints: []model.Endpoint{eps["beta"]}}})
	e.use(t, model.Canary{Backend: "beta", WeightTotal: 100, Header: "X-Canary", HeaderPattern: "^" + slow})
	require.Equal(t, "beta", e.get(t, "X-Canary: x"), "a cheap match picks the canary")
	start = time.Now()
	require.Equal(t, "main", e.get(t, "X-Canary: "+subject), "the match limit stops the pattern")
	t.Logf("a canary request at the match limit took %v", time.Since(start))
}
