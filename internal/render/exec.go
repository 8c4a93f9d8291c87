package render

import (
	"errors"
	"reflect"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"text/template"
	"text/template/parse"
)

// executor runs the parsed templates the way text/template does, for the
// subset they use: text, {{.}}, field chains on . and $, if, with, range
// over slices and {{template "name" pipeline}}. text/template looks every
// field up by name, through reflection, each time it is printed, which made
// it most of Render's time at 10,000 servers; executor compiles the parse
// trees once and each field step remembers the index of its field in the
// type it last saw. The templates stay the only source of nginx.conf's
// text.
//
// Anything outside that subset (functions, variables, maps, methods, nil
// pointers in a chain) returns errSlowPath when it is reached, and Render
// runs text/template instead, which then also gives its own error
// messages. Both give equal bytes (see exec_test.go).
type executor struct {
	templates map[string]node
	// buffers keeps the buffers of runChunks' later chunks (*[]byte),
	// megabytes each at 10,000 servers, for the next Render: they are
	// copied into nginx.conf and free again.
	buffers sync.Pool
}

// errSlowPath says that text/template must execute the template.
var errSlowPath = errors.New("template needs text/template")

var stringType = reflect.TypeFor[string]()

// maxDepth bounds nested {{template}} calls; text/template reports
// deeper (recursive) ones as errors.
const maxDepth = 100

func newExecutor(tmpl *template.Template) *executor {
	e := &executor{templates: map[string]node{}}
	for _, t := range tmpl.Templates() {
		if t.Tree != nil {
			e.templates[t.Name()] = compile(t.Tree.Root)
		}
	}
	return e
}

// execute appends template name, run on data, to out.
func (e *executor) execute(out []byte, name string, data any) ([]byte, error) {
	root, ok := e.templates[name]
	if !ok {
		return out, errSlowPath
	}
	v := reflect.ValueOf(data)
	s := &execState{e: e, out: out, root: v}
	err := root.run(s, v)
	return s.out, err
}

// execState is one template invocation: root is its $. It appends to out
// itself, as a bytes.Buffer's Write costs more than the short writes
// themselves.
type execState struct {
	e     *executor
	out   []byte
	root  reflect.Value
	depth int
	// inChunk: the state runs one chunk of a range (runChunks), whose
	// ranges run on this goroutine only.
	inChunk bool
}

// node is a compiled parse.Node.
type node interface {
	run(s *execState, dot reflect.Value) error
}

func compile(n parse.Node) node {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		list := make(listNode, 0, len(n.Nodes))
		for _, child := range n.Nodes {
			if c := compile(child); c != nil {
				list = append(list, c)
			}
		}
		return list
	case *parse.TextNode:
		return textNode(n.Text)
	case *parse.CommentNode:
		return nil
	case *parse.ActionNode:
		return actionNode{compilePipe(n.Pipe)}
	case *parse.IfNode:
		return branchNode{pipe: compilePipe(n.Pipe), list: compile(n.List), elseList: compile(n.ElseList)}
	case *parse.WithNode:
		return branchNode{pipe: compilePipe(n.Pipe), list: compile(n.List), elseList: compile(n.ElseList), with: true}
	case *parse.RangeNode:
		return rangeNode{pipe: compilePipe(n.Pipe), list: compile(n.List), elseList: compile(n.ElseList)}
	case *parse.TemplateNode:
		if n.Pipe == nil {
			return slowNode{}
		}
		return templateNode{name: n.Name, pipe: compilePipe(n.Pipe)}
	}
	return slowNode{}
}

type (
	listNode   []node
	textNode   []byte
	slowNode   struct{}
	actionNode struct{ pipe *pipe }
	branchNode struct {
		pipe           *pipe
		list, elseList node // nil: empty
		with           bool
	}
	rangeNode struct {
		pipe           *pipe
		list, elseList node
	}
	templateNode struct {
		name string
		pipe *pipe
	}
)

func (l listNode) run(s *execState, dot reflect.Value) error {
	for _, n := range l {
		if err := n.run(s, dot); err != nil {
			return err
		}
	}
	return nil
}

func (t textNode) run(s *execState, _ reflect.Value) error {
	write(s, t)
	return nil
}

// write appends b to s.out. While it fits, only the length changes: the
// compiler stores s.out's pointer after every append, which costs a write
// barrier (an execState is on the heap) for each write while the GC runs.
func write[B ~string | ~[]byte](s *execState, b B) {
	n := len(s.out)
	if len(b) > cap(s.out)-n {
		s.out = append(s.out, b...)
		return
	}
	s.out = s.out[:n+len(b)]
	copy(s.out[n:], b)
}

func (slowNode) run(*execState, reflect.Value) error { return errSlowPath }

func (a actionNode) run(s *execState, dot reflect.Value) error {
	v, err := a.pipe.eval(s, dot)
	if err != nil {
		return err
	}
	return s.print(v)
}

// run is text/template's if and with: with moves dot to the value.
func (b branchNode) run(s *execState, dot reflect.Value) error {
	v, err := b.pipe.eval(s, dot)
	if err != nil {
		return err
	}
	truth, ok := isTrue(v)
	switch {
	case !ok:
		return errSlowPath
	case truth && b.with:
		return runOpt(b.list, s, v)
	case truth:
		return runOpt(b.list, s, dot)
	}
	return runOpt(b.elseList, s, dot)
}

// run is text/template's range over a slice or array.
func (r rangeNode) run(s *execState, dot reflect.Value) error {
	v, err := r.pipe.eval(s, dot)
	if err != nil {
		return err
	}
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return errSlowPath
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Slice && v.Kind() != reflect.Array {
		return errSlowPath
	}
	if v.Len() == 0 {
		return runOpt(r.elseList, s, dot)
	}
	if v.Len() >= parallelRange && !s.inChunk && runtime.GOMAXPROCS(0) > 1 {
		return r.runChunks(s, v)
	}
	for i := range v.Len() {
		if err := runOpt(r.list, s, v.Index(i)); err != nil {
			return err
		}
	}
	return nil
}

// parallelRange is the length from which a range runs on every CPU: the
// servers of a large config, megabytes of text.
const parallelRange = 256

// runChunks runs the range's list over the elements of v in one chunk
// per CPU, each into a buffer of its own but the first, which appends to
// s.out, and appends the buffers in order: the same bytes as one element
// after another. Nodes only read, and fieldStep's cache is atomic.
func (r rangeNode) runChunks(s *execState, v reflect.Value) error {
	n, chunks := v.Len(), runtime.GOMAXPROCS(0)
	parts := make([]execState, chunks)
	errs := make([]error, chunks)
	run := func(c int) {
		for i := c * n / chunks; i < (c+1)*n/chunks && errs[c] == nil; i++ {
			errs[c] = runOpt(r.list, &parts[c], v.Index(i))
		}
	}
	// s.out was sized for the whole config: share out what is left, with
	// room to spare, as chunks of as many servers differ in bytes (and a
	// buffer that grows copies megabytes).
	size := (cap(s.out) - len(s.out)) / chunks
	size += size / 4
	var wg sync.WaitGroup
	for c := range parts {
		parts[c] = execState{e: s.e, out: s.out, root: s.root, depth: s.depth, inChunk: true}
		if c > 0 {
			parts[c].out = s.e.buffer(size)
			wg.Go(func() { run(c) })
		}
	}
	run(0)
	wg.Wait()
	s.out = parts[0].out
	for c := range parts {
		if errs[c] != nil {
			return errs[c]
		}
		if c > 0 {
			s.out = append(s.out, parts[c].out...)
			free := parts[c].out[:0]
			s.e.buffers.Put(&free)
		}
	}
	return nil
}

// buffer returns an empty buffer of at least size bytes.
func (e *executor) buffer(size int) []byte {
	if b, ok := e.buffers.Get().(*[]byte); ok && cap(*b) >= size {
		return *b
	}
	return make([]byte, 0, size)
}

// run calls another template with its own $, as text/template does.
func (t templateNode) run(s *execState, dot reflect.Value) error {
	root, ok := s.e.templates[t.name]
	if !ok || s.depth >= maxDepth {
		return errSlowPath
	}
	v, err := t.pipe.eval(s, dot)
	if err != nil {
		return err
	}
	outer := s.root
	s.root, s.depth = v, s.depth+1
	err = root.run(s, v)
	s.root, s.depth = outer, s.depth-1
	return err
}

func runOpt(n node, s *execState, dot reflect.Value) error {
	if n == nil {
		return nil
	}
	return n.run(s, dot)
}

// pipe is a pipeline of one command: ., a field chain on ., or $ with a
// field chain. A nil *pipe is anything else.
type pipe struct {
	fromRoot bool
	steps    []*fieldStep
}

func compilePipe(p *parse.PipeNode) *pipe {
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return nil
	}
	var out pipe
	var chain []string
	switch arg := p.Cmds[0].Args[0].(type) {
	case *parse.DotNode:
	case *parse.FieldNode:
		chain = arg.Ident
	case *parse.VariableNode:
		if arg.Ident[0] != "$" {
			return nil
		}
		out.fromRoot, chain = true, arg.Ident[1:]
	default:
		return nil
	}
	for _, name := range chain {
		out.steps = append(out.steps, &fieldStep{name: name})
	}
	return &out
}

func (p *pipe) eval(s *execState, dot reflect.Value) (reflect.Value, error) {
	if p == nil {
		return reflect.Value{}, errSlowPath
	}
	v := dot
	if p.fromRoot {
		v = s.root
	}
	for _, step := range p.steps {
		var err error
		if v, err = step.field(v); err != nil {
			return reflect.Value{}, err
		}
	}
	// As text/template: a value in an empty interface stands for itself.
	if v.Kind() == reflect.Interface && v.Type().NumMethod() == 0 {
		v = reflect.ValueOf(v.Interface())
	}
	return v, nil
}

// fieldStep is one name of a field chain. It remembers the field's index
// in the last type it was looked up in: each step nearly always sees one
// type. The cache is shared by concurrent Renders, hence atomic.
type fieldStep struct {
	name  string
	cache atomic.Pointer[fieldCache]
}

type fieldCache struct {
	t     reflect.Type
	index int // -1: text/template would not just read a field
}

// field returns the struct field of v that the step names, through
// pointers.
func (f *fieldStep) field(v reflect.Value) (reflect.Value, error) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return reflect.Value{}, errSlowPath
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return reflect.Value{}, errSlowPath
	}
	c := f.cache.Load()
	if c == nil || c.t != v.Type() {
		c = &fieldCache{t: v.Type(), index: fieldIndex(v.Type(), f.name)}
		f.cache.Store(c)
	}
	if c.index < 0 {
		return reflect.Value{}, errSlowPath
	}
	return v.Field(c.index), nil
}

// fieldIndex returns the index of t's field name when text/template would
// print that field: it prefers a method of the same name, and refuses
// unexported fields. Promoted fields take the slow path too.
func fieldIndex(t reflect.Type, name string) int {
	if _, ok := reflect.PointerTo(t).MethodByName(name); ok {
		return -1
	}
	f, ok := t.FieldByName(name)
	if !ok || !f.IsExported() || len(f.Index) != 1 {
		return -1
	}
	return f.Index[0]
}

// print writes a string, integer or boolean as fmt.Print would, which is
// what text/template does; a type with methods might be a fmt.Stringer.
// Plain strings, nearly every value printed, skip the costly method check.
func (s *execState) print(v reflect.Value) error {
	if !v.IsValid() {
		return errSlowPath
	}
	if t := v.Type(); t != stringType && t.PkgPath() != "" && (t.NumMethod() > 0 || reflect.PointerTo(t).NumMethod() > 0) {
		return errSlowPath
	}
	var number [24]byte
	switch v.Kind() {
	case reflect.String:
		write(s, v.String())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		write(s, strconv.AppendInt(number[:0], v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		write(s, strconv.AppendUint(number[:0], v.Uint(), 10))
	case reflect.Bool:
		write(s, strconv.AppendBool(number[:0], v.Bool()))
	default:
		return errSlowPath
	}
	return nil
}

// isTrue is text/template's truth: non-zero numbers, non-empty strings and
// slices, non-nil pointers, and every struct.
func isTrue(v reflect.Value) (truth, ok bool) {
	if v.Kind() == reflect.Interface && !v.IsNil() {
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Invalid:
		return false, true
	case reflect.String, reflect.Slice, reflect.Array, reflect.Map:
		return v.Len() > 0, true
	case reflect.Bool:
		return v.Bool(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() != 0, true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() != 0, true
	case reflect.Pointer, reflect.Interface, reflect.Chan, reflect.Func:
		return !v.IsNil(), true
	case reflect.Struct:
		return true, true
	}
	return false, false
}
