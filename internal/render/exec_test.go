package render

import (
	"bytes"
	"net/netip"
	"runtime"
	"strconv"
	"testing"
	"text/template"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/model"
)

type execInner struct {
	Name  string
	Count int
	Items []string
}

type execStringer string

func (s execStringer) String() string { return "stringer:" + string(s) }

type execData struct {
	Text    string
	Number  int64
	Small   uint8
	Flag    bool
	Inner   execInner
	Ptr     *execInner
	Nil     *execInner
	List    []execInner
	Long    []execInner // long enough to run in chunks (runChunks)
	Ptrs    []*execInner
	Empty   []string
	Any     any
	Map     map[string]string
	Named   execStringer
	Float   float64
	private string
}

func (d execData) Method() string { return "method" }

// TestExecutorMatchesTextTemplate runs templates on both paths: the fast
// executor must write what text/template writes, or step aside.
func TestExecutorMatchesTextTemplate(t *testing.T) {
	chunksOnEveryCPU(t)
	data := execData{
		Text: "a b", Number: -42, Small: 7, Flag: true,
		Inner: execInner{Name: "in", Count: 2, Items: []string{"x", "y"}},
		Ptr:   &execInner{Name: "ptr"},
		List:  []execInner{{Name: "l0"}, {Name: "l1", Count: 1}},
		Ptrs:  []*execInner{{Name: "p0"}},
		Any:   "any", Map: map[string]string{"k": "v"}, Named: "n", Float: 1.5, private: "p",
	}
	for i := range 3 * parallelRange {
		data.Long = append(data.Long, execInner{Name: strconv.Itoa(i), Count: i % 3, Items: []string{"a", strconv.Itoa(i)}})
	}
	tests := map[string]struct {
		text string
		fast bool // the executor runs it itself
	}{
		"text and fields":    {text: "t={{.Text}} n={{.Number}} s={{.Small}} f={{.Flag}}", fast: true},
		"chains":             {text: "{{.Inner.Name}} {{.Ptr.Name}} {{.Inner.Count}}", fast: true},
		"dot and dollar":     {text: `{{range .Inner.Items}}{{.}}{{$.Text}};{{end}}`, fast: true},
		"if else":            {text: "{{if .Flag}}yes{{else}}no{{end}}{{if .Nil}}set{{else}}unset{{end}}", fast: true},
		"if on zero values":  {text: "{{if .Empty}}e{{end}}{{if .Inner.Count}}c{{end}}{{if .Inner}}s{{end}}", fast: true},
		"with":               {text: "{{with .Ptr}}{{.Name}}{{end}}{{with .Nil}}x{{else}}none{{end}}", fast: true},
		"with on an any":     {text: "{{with .Any}}{{.}}{{end}}", fast: true},
		"else with":          {text: "{{with .Nil}}a{{else with .Ptr}}{{.Name}}{{end}}", fast: true},
		"range":              {text: "{{range .List}}[{{.Name}} {{.Count}}]{{end}}{{range .Ptrs}}{{.Name}}{{end}}", fast: true},
		"range else":         {text: "{{range .Empty}}x{{else}}empty{{end}}", fast: true},
		"range in chunks":    {text: "<{{range .Long}}[{{.Name}}{{if .Count}} {{.Count}}{{end}}{{range .Items}}/{{.}}{{end}}{{$.Text}}]{{end}}>", fast: true},
		"chunks in order":    {text: `{{define "l"}}({{.Name}}){{end}}{{range .Long}}{{template "l" .}}{{end}}{{range .Long}}{{.Count}}{{end}}`, fast: true},
		"template":           {text: `{{define "sub"}}<{{.Name}} {{$.Count}}>{{end}}{{template "sub" .Inner}}{{$.Text}}`, fast: true},
		"trim and comments":  {text: "a  {{- /* c */ -}}  b {{- .Text}}", fast: true},
		"method":             {text: "{{.Method}}"},
		"stringer":           {text: "{{.Named}}"},
		"float":              {text: "{{.Float}}"},
		"map":                {text: "{{.Map.k}}"},
		"range over a map":   {text: "{{range .Map}}{{.}}{{end}}"},
		"function":           {text: `{{printf "%s" .Text}}`},
		"pipeline":           {text: `{{.Text | printf "%s"}}`},
		"variable":           {text: `{{$x := .Text}}{{$x}}`},
		"literal":            {text: `{{"lit"}}`},
		"struct printed":     {text: "{{.Inner}}"},
		"pointer printed":    {text: "{{.Ptr}}"},
		"range with index":   {text: "{{range $i, $v := .List}}{{$i}}{{end}}"},
		"template without .": {text: `{{define "sub"}}x{{end}}{{template "sub"}}`},
		"break":              {text: "{{range .List}}{{break}}{{end}}"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tmpl := template.Must(template.New("main").Parse(tc.text))
			var want bytes.Buffer
			require.NoError(t, tmpl.Execute(&want, data))
			got, err := newExecutor(tmpl).execute(nil, "main", data)
			if !tc.fast {
				require.ErrorIs(t, err, errSlowPath)
				return
			}
			require.NoError(t, err)
			require.Equal(t, want.String(), string(got))
		})
	}
}

// TestExecutorLeavesErrorsToTextTemplate: what text/template reports as an
// error, the executor hands back to it.
func TestExecutorLeavesErrorsToTextTemplate(t *testing.T) {
	tests := map[string]string{
		"nil pointer in a chain": "{{.Nil.Name}}",
		"unknown field":          "{{.Missing}}",
		"unexported field":       "{{.private}}",
		"field of a string":      "{{.Text.Name}}",
		"range over a nil ptr":   "{{range .Nil}}x{{end}}",
		// Only the last element of the last chunk is nil.
		"nil pointer in a chunk": "{{range .Ptrs}}{{.Name}}{{end}}",
		"unknown template":       `{{template "nowhere" .}}`,
		"recursion":              `{{define "r"}}{{template "r" .}}{{end}}{{template "r" .}}`,
	}
	chunksOnEveryCPU(t)
	data := execData{}
	for i := range 2 * parallelRange {
		data.Ptrs = append(data.Ptrs, &execInner{Name: strconv.Itoa(i)})
	}
	data.Ptrs = append(data.Ptrs, nil)
	for name, text := range tests {
		t.Run(name, func(t *testing.T) {
			tmpl := template.Must(template.New("main").Parse(text))
			require.Error(t, tmpl.Execute(&bytes.Buffer{}, data))
			_, err := newExecutor(tmpl).execute(nil, "main", data)
			require.ErrorIs(t, err, errSlowPath)
		})
	}
}

// chunksOnEveryCPU makes long ranges run in chunks (runChunks), three of
// them, on any machine, for the test.
func chunksOnEveryCPU(t *testing.T) {
	t.Cleanup(func(n int) func() { return func() { runtime.GOMAXPROCS(n) } }(runtime.GOMAXPROCS(3)))
}

// TestRenderPathsAgree renders every golden config and large ones on the
// fast path, whose long ranges run in chunks, and on text/template alone.
func TestRenderPathsAgree(t *testing.T) {
	chunksOnEveryCPU(t)
	fast, err := New("")
	require.NoError(t, err)
	slow, err := New("")
	require.NoError(t, err)
	slow.exec = nil
	configs := map[string]struct {
		cfg  model.Config
		opts Options
	}{
		"scale":          {cfg: scaleConfig(300, 50), opts: rootOptions(goldenRuntimeDir)},
		"scale unshared": {cfg: builtScaleConfig(t, 4*parallelRange), opts: rootOptions(goldenRuntimeDir)},
	}
	for name, c := range goldenCases {
		configs["golden "+name] = c
	}
	for name, cfg := range policyGoldenCases(t) {
		opts := rootOptions(goldenRuntimeDir)
		opts.Resolvers = []netip.Addr{netip.MustParseAddr("10.96.0.10")}
		configs["policy "+name] = struct {
			cfg  model.Config
			opts Options
		}{cfg, opts}
	}
	for name, c := range configs {
		t.Run(name, func(t *testing.T) {
			want, err := slow.Render(c.cfg, c.opts)
			require.NoError(t, err)
			got, err := fast.Render(c.cfg, c.opts)
			require.NoError(t, err)
			require.Equal(t, want, got)
		})
	}
}
