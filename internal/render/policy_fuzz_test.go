package render

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/utils/ptr"

	"github.com/archway-ingress/archway/internal/annotations"
	"github.com/archway-ingress/archway/internal/model"
	"github.com/archway-ingress/archway/internal/testutil"
	"github.com/archway-ingress/archway/templates"
)

// templateDirectives returns the directive names the templates print:
// the first word of each of their lines that is not a template action or
// comment. A rendered line starting with anything else can only come from
// a value that escaped its token.
func templateDirectives(t testing.TB) map[string]bool {
	known := map[string]bool{}
	err := fs.WalkDir(templates.FS, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(name, ".tmpl") {
			return err
		}
		data, err := fs.ReadFile(templates.FS, name)
		for line := range strings.SplitSeq(string(data), "\n") {
			fields := strings.Fields(line)
			if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
				continue
			}
			word := strings.TrimSuffix(fields[0], ";")
			if _, rest, ok := strings.Cut(word, "Module}}_"); ok {
				known["proxy_"+rest], known["grpc_"+rest] = true, true // {{.Module}}_read_timeout
			} else if !strings.HasPrefix(word, "{{") {
				known[word] = true
			}
		}
		return err
	})
	require.NoError(t, err)
	// Directives whose names the views hold.
	for _, name := range []string{"proxy_pass", "grpc_pass", "allow", "deny", "more_set_headers", "proxy_hide_header", "client_body_temp_path", "proxy_temp_path",
		"fastcgi_temp_path", "uwsgi_temp_path", "scgi_temp_path"} {
		known[name] = true
	}
	return known
}

// FuzzPolicyRender renders a location with whatever one annotation value
// package annotations accepts, and checks that every line of nginx.conf
// is one known directive whose quotes balance: no value can end its token
// and start a directive of its own.
func FuzzPolicyRender(f *testing.F) {
	testutil.FuzzSpecs(f, annotationDefaults(), policyValues, policyRenderCheck(f))
}

// TestPolicyRenderEverySpecValue is FuzzPolicyRender's check of every
// annotation with every one of its seed values.
func TestPolicyRenderEverySpecValue(t *testing.T) {
	testutil.CheckEverySpec(t, annotationDefaults(), policyValues, policyRenderCheck(t))
}

// policyValues are values that some annotations accept, and ones that try
// to end an nginx token or directive.
var policyValues = []string{"on", "true", "3", "/a/$1", "https://a.example.com$request_uri",
	"10.0.0.0/8", "x\"; return 200 \"owned", "a}b", "a\nb"}

func annotationDefaults() []string {
	return testutil.Defaults(annotations.Specs(), func(s annotations.Spec) string { return s.Default })
}

// policyRenderCheck renders a location with one annotation's value when
// package annotations accepts it, and checks nginx.conf's directives.
func policyRenderCheck(tb testing.TB) testutil.SpecCheck {
	specs := annotations.Specs()
	known := templateDirectives(tb)
	r, err := New("")
	require.NoError(tb, err)
	return func(t *testing.T, spec uint16, value string) {
		s := specs[int(spec)%len(specs)]
		parsed, problems := annotations.Parse(map[string]string{annotations.DefaultPrefix + "/" + s.Key: value}, annotations.DefaultPrefix)
		if len(problems) > 0 {
			return
		}
		loc := model.Location{Path: "/", Match: model.MatchPrefix, Backend: "app", Owner: model.Owner{Kind: model.KindIngress, Ref: model.Ref{Namespace: "ns", Name: "ing"}},
			Policy: ptr.To(parsed.Location.Policy())}
		be := backend("app", 80, "10.0.0.1")
		be.Balancing = parsed.Location.Balancing()
		cfg := model.Config{Backends: []model.Backend{be}, Servers: []model.Server{{Host: "a.test", Aliases: parsed.Server.Aliases, Locations: []model.Location{loc}}}}
		out, err := r.Render(cfg, rootOptions("/run/archway"))
		require.NoError(t, err, "%s=%q", s.Key, value)
		checkDirectives(t, known, out.Files[0].Data, fmt.Sprintf("%s=%q", s.Key, value))
	}
}

// checkDirectives checks that every line of conf is one known directive
// whose quotes balance, or a map or geo entry; what names the input.
func checkDirectives(t *testing.T, known map[string]bool, conf []byte, what string) {
	sc := bufio.NewScanner(bytes.NewReader(conf))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line == "}" || strings.HasPrefix(line, "#") {
			continue
		}
		if code, _, ok := strings.Cut(line, "; #"); ok && strings.Count(code, `"`)%2 == 0 {
			line = code + ";" // a template's own trailing comment
		}
		name := strings.TrimSuffix(strings.Fields(line)[0], ";")
		if strings.HasPrefix(name, `"`) || strings.HasPrefix(name, "$") || strings.HasPrefix(name, "~") ||
			strings.IndexFunc(name, func(r rune) bool { return r >= '0' && r <= '9' || r == '@' }) == 0 {
			continue // map and geo entries
		}
		require.True(t, known[name], "%s: unknown directive in %q", what, line)
		require.Zero(t, strings.Count(line, `"`)%2, "%s: unbalanced quotes in %q", what, line)
		require.True(t, strings.HasSuffix(line, ";") || strings.HasSuffix(line, "{") || strings.HasSuffix(line, "}"),
			"%s: line %q does not end a directive", what, line)
	}
}
