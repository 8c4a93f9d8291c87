package dir

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/archway-ingress/archway/internal/source"
)

const (
	wait = 2 * time.Second
	tick = 10 * time.Millisecond
)

func ingress(name string) string {
	return fmt.Sprintf("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: %s, namespace: web}\n", name)
}

const broken = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: [broken\n"

func write(t *testing.T, path, data string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(data), 0o644))
}

func ingressNames(snap source.Snapshot) []string {
	names := []string{}
	for _, ing := range snap.Ingresses {
		names = append(names, ing.Name)
	}
	return names
}

func TestSnapshot(t *testing.T) {
	tests := map[string]struct {
		files     map[string]string // relative path -> content
		symlinks  map[string]string // relative path -> target
		want      []string
		wantError []string // base name and document of each LoadError
	}{
		"files in name order, documents in file order": {
			files: map[string]string{
				"b.yml":  ingress("b1") + "---\n" + ingress("b2"),
				"a.yaml": ingress("a"),
				"c.json": `{"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"c"}}`,
			},
			want: []string{"a", "b1", "b2", "c"},
		},
		"other names are ignored": {
			files: map[string]string{
				"kept.yaml":        ingress("kept"),
				".hidden.yaml":     ingress("hidden"),
				".#lock.yaml":      ingress("emacs-lock"),
				"#auto.yaml#":      ingress("emacs-autosave"),
				"backup.yaml~":     ingress("backup"),
				".kept.yaml.swp":   ingress("vim-swap"),
				"notes.txt":        ingress("text"),
				"sub.yaml/x.yaml":  ingress("subdirectory"),
				"deeper/in/y.yaml": ingress("nested"),
			},
			want: []string{"kept"},
		},
		"a malformed document is reported and the rest kept": {
			files: map[string]string{
				"a.yaml": ingress("a"),
				"b.yaml": ingress("b") + "---\n" + broken,
				"c.yaml": ingress("c"),
			},
			want:      []string{"a", "b", "c"},
			wantError: []string{"b.yaml#1"},
		},
		"a file that cannot be read is reported as a whole": {
			files:     map[string]string{"a.yaml": ingress("a"), "sub/x": ""},
			symlinks:  map[string]string{"dir.yaml": "sub"},
			want:      []string{"a"},
			wantError: []string{"dir.yaml#-1"},
		},
		"a dangling symlink is no file": {
			files:    map[string]string{"a.yaml": ingress("a")},
			symlinks: map[string]string{"gone.yaml": "nowhere.yaml"},
			want:     []string{"a"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for rel, data := range tc.files {
				path := filepath.Join(dir, rel)
				require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
				write(t, path, data)
			}
			for rel, target := range tc.symlinks {
				require.NoError(t, os.Symlink(target, filepath.Join(dir, rel)))
			}
			snap, err := New(dir, nil).Snapshot()
			require.NoError(t, err)
			require.Equal(t, tc.want, ingressNames(snap))
			var gotErrors []string
			for _, e := range snap.LoadErrors {
				require.Equal(t, dir, filepath.Dir(e.File))
				gotErrors = append(gotErrors, fmt.Sprintf("%s#%d", filepath.Base(e.File), e.Doc))
			}
			require.Equal(t, tc.wantError, gotErrors)
		})
	}
}

func TestSnapshotFailsWithoutDirectory(t *testing.T) {
	tests := map[string]func(t *testing.T) string{
		"missing": func(t *testing.T) string { return filepath.Join(t.TempDir(), "missing") },
		"a file, not a directory": func(t *testing.T) string {
			path := filepath.Join(t.TempDir(), "file.yaml")
			write(t, path, ingress("a"))
			return path
		},
	}
	for name, path := range tests {
		t.Run(name, func(t *testing.T) {
			src := New(path(t), nil)
			_, err := src.Snapshot()
			require.ErrorContains(t, err, "read manifests directory")
			require.Error(t, src.Start(t.Context()))
		})
	}
}

// A file that stops parsing keeps serving the objects of its last good
// version, and its errors say so; fixed, it serves its new objects, and
// removed, none.
func TestBrokenFileKeepsItsLastGoodObjects(t *testing.T) {
	dir := t.TempDir()
	src := New(dir, nil)
	app, other := filepath.Join(dir, "app.yaml"), filepath.Join(dir, "other.yaml")
	snapshot := func() source.Snapshot {
		snap, err := src.Snapshot()
		require.NoError(t, err)
		return snap
	}

	write(t, other, broken)
	snap := snapshot()
	require.Len(t, snap.LoadErrors, 1, "never good: nothing to keep")
	require.NotContains(t, snap.LoadErrors[0].Error(), "last good")

	write(t, app, ingress("a1")+"---\n"+ingress("a2"))
	write(t, other, ingress("o"))
	require.Equal(t, []string{"a1", "a2", "o"}, ingressNames(snapshot()))

	write(t, app, ingress("a1")+"---\n"+broken)
	snap = snapshot()
	require.Equal(t, []string{"a1", "a2", "o"}, ingressNames(snap))
	require.Len(t, snap.LoadErrors, 1)
	require.Equal(t, app, snap.LoadErrors[0].File)
	require.Contains(t, snap.LoadErrors[0].Error(), "last good version keeps serving")

	write(t, app, "{not yaml: [")
	require.Equal(t, []string{"a1", "a2", "o"}, ingressNames(snapshot()), "the last good version, not the broken one before")

	write(t, app, ingress("a3"))
	snap = snapshot()
	require.Equal(t, []string{"a3", "o"}, ingressNames(snap))
	require.Empty(t, snap.LoadErrors)

	require.NoError(t, os.Remove(app))
	require.Equal(t, []string{"o"}, ingressNames(snapshot()))
	write(t, app, broken)
	require.Equal(t, []string{"o"}, ingressNames(snapshot()), "a removed file's objects are gone for good")
}

// start starts a Source on dir and stops it when the test ends.
func start(t *testing.T, dir string) *Source {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	src := New(dir, slog.New(slog.DiscardHandler))
	require.NoError(t, src.Start(ctx))
	return src
}

// waitFor waits until Changed has fired and the Snapshot satisfies ok.
func waitFor(t *testing.T, src *Source, ok func(source.Snapshot, error) bool) {
	t.Helper()
	changed := false
	require.Eventually(t, func() bool {
		select {
		case <-src.Changed():
			changed = true
		default:
		}
		return changed && ok(src.Snapshot())
	}, wait, tick)
}

// drain discards a pending signal, so that the next one is known to be new.
func drain(src *Source) {
	select {
	case <-src.Changed():
	default:
	}
}

func hasIngresses(want ...string) func(source.Snapshot, error) bool {
	return func(snap source.Snapshot, err error) bool {
		return err == nil && slicesEqual(ingressNames(snap), want)
	}
}

func slicesEqual(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

func TestWatch(t *testing.T) {
	tests := map[string]struct {
		before []string // ingress names, one file each (name.yaml)
		change func(t *testing.T, dir string)
		want   func(source.Snapshot, error) bool
	}{
		"add a file": {
			before: []string{"a"},
			change: func(t *testing.T, dir string) { write(t, filepath.Join(dir, "b.yaml"), ingress("b")) },
			want:   hasIngresses("a", "b"),
		},
		"edit in place": {
			before: []string{"a"},
			change: func(t *testing.T, dir string) { write(t, filepath.Join(dir, "a.yaml"), ingress("edited")) },
			want:   hasIngresses("edited"),
		},
		"save by rename": {
			before: []string{"a"},
			change: func(t *testing.T, dir string) {
				tmp := filepath.Join(dir, ".a.yaml.tmp")
				write(t, tmp, ingress("renamed"))
				require.NoError(t, os.Rename(tmp, filepath.Join(dir, "a.yaml")))
			},
			want: hasIngresses("renamed"),
		},
		"delete": {
			before: []string{"a", "b"},
			change: func(t *testing.T, dir string) { require.NoError(t, os.Remove(filepath.Join(dir, "a.yaml"))) },
			want:   hasIngresses("b"),
		},
		"break a file": {
			before: []string{"a", "b"},
			change: func(t *testing.T, dir string) { write(t, filepath.Join(dir, "b.yaml"), broken) },
			want: func(snap source.Snapshot, err error) bool {
				return hasIngresses("a", "b")(snap, err) && len(snap.LoadErrors) == 1 &&
					filepath.Base(snap.LoadErrors[0].File) == "b.yaml" &&
					snap.LoadErrors[0].Doc == 0
			},
		},
		"remove the directory": {
			before: []string{"a"},
			change: func(t *testing.T, dir string) { require.NoError(t, os.RemoveAll(dir)) },
			want:   func(_ source.Snapshot, err error) bool { return err != nil },
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for _, ing := range tc.before {
				write(t, filepath.Join(dir, ing+".yaml"), ingress(ing))
			}
			src := start(t, dir)
			snap, err := src.Snapshot()
			require.NoError(t, err)
			require.Equal(t, tc.before, ingressNames(snap))
			tc.change(t, dir)
			waitFor(t, src, tc.want)
		})
	}
}

// A ConfigMap volume holds symlinks into "..data", itself a symlink that
// the kubelet swaps atomically; no event names the manifest files.
func TestWatchConfigMapVolume(t *testing.T) {
	dir := t.TempDir()
	publish := func(version, content string) {
		require.NoError(t, os.Mkdir(filepath.Join(dir, version), 0o755))
		write(t, filepath.Join(dir, version, "ing.yaml"), content)
		require.NoError(t, os.Symlink(version, filepath.Join(dir, "..data_tmp")))
		require.NoError(t, os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")))
	}
	publish("..v1", ingress("v1"))
	require.NoError(t, os.Symlink(filepath.Join("..data", "ing.yaml"), filepath.Join(dir, "ing.yaml")))

	src := start(t, dir)
	snap, err := src.Snapshot()
	require.NoError(t, err)
	require.Equal(t, []string{"v1"}, ingressNames(snap))

	publish("..v2", ingress("v2"))
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "..v1")))
	waitFor(t, src, hasIngresses("v2"))
}

// The directory itself is replaced: recreated, or a symlink to it swapped.
// After each replacement a later edit must still be seen, which proves the
// watch moved to the new directory.
func TestWatchReplacedDirectory(t *testing.T) {
	tests := map[string]func(t *testing.T, root string) (dir string, replace func()){
		"removed and recreated": func(t *testing.T, root string) (string, func()) {
			dir := filepath.Join(root, "manifests")
			require.NoError(t, os.Mkdir(dir, 0o755))
			write(t, filepath.Join(dir, "a.yaml"), ingress("old"))
			return dir, func() {
				require.NoError(t, os.RemoveAll(dir))
				require.NoError(t, os.Mkdir(dir, 0o755))
				write(t, filepath.Join(dir, "a.yaml"), ingress("new"))
			}
		},
		"symlink swapped": func(t *testing.T, root string) (string, func()) {
			for version, name := range map[string]string{"v1": "old", "v2": "new"} {
				require.NoError(t, os.Mkdir(filepath.Join(root, version), 0o755))
				write(t, filepath.Join(root, version, "a.yaml"), ingress(name))
			}
			dir := filepath.Join(root, "current")
			require.NoError(t, os.Symlink("v1", dir))
			return dir, func() {
				require.NoError(t, os.Symlink("v2", filepath.Join(root, "next")))
				require.NoError(t, os.Rename(filepath.Join(root, "next"), dir))
			}
		},
	}
	for name, setup := range tests {
		t.Run(name, func(t *testing.T) {
			dir, replace := setup(t, t.TempDir())
			src := start(t, dir)
			snap, err := src.Snapshot()
			require.NoError(t, err)
			require.Equal(t, []string{"old"}, ingressNames(snap))

			replace()
			waitFor(t, src, hasIngresses("new"))

			drain(src)
			write(t, filepath.Join(dir, "b.yaml"), ingress("later"))
			waitFor(t, src, hasIngresses("new", "later"))
		})
	}
}
