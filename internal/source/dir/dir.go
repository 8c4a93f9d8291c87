package dir

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/fsnotify/fsnotify"

	"github.com/archway-ingress/archway/internal/source"
)

// Source reads manifests from a directory and watches it for changes.
type Source struct {
	dir      string
	logger   *slog.Logger
	notifier *source.Notifier

	mu sync.Mutex
	// lastGood holds, by path, the objects of each file's last read that
	// had no load error: a file that stops parsing keeps serving them.
	lastGood map[string]source.Snapshot
}

var _ source.Source = (*Source)(nil)

// New returns a Source for dir. A nil logger discards logs.
func New(dir string, logger *slog.Logger) *Source {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Source{
		dir:      filepath.Clean(dir),
		logger:   logger,
		notifier: source.NewNotifier(),
		lastGood: map[string]source.Snapshot{},
	}
}

// Changed implements source.Source.
func (s *Source) Changed() <-chan struct{} { return s.notifier.Changed() }

// Snapshot reads every manifest file in the directory. A file with a load
// error contributes the objects of its last good version, if it had one
// since the Source started, else whatever of it could be read.
func (s *Source) Snapshot() (source.Snapshot, error) {
	entries, err := os.ReadDir(s.dir) // sorted by name
	if err != nil {
		return source.Snapshot{}, fmt.Errorf("read manifests directory: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var snap source.Snapshot
	seen := make(map[string]bool, len(entries))
	for _, entry := range entries {
		if entry.IsDir() || !IsManifest(entry.Name()) {
			continue
		}
		path := filepath.Join(s.dir, entry.Name())
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since the listing, or a dangling symlink: no file to serve
		}
		seen[path] = true
		var file source.Snapshot
		if err != nil {
			file.LoadErrors = []source.LoadError{{File: path, Doc: -1, Err: err}}
		} else {
			file.AddManifests(path, data)
		}
		snap.Add(s.keepLastGood(path, file))
	}
	for path := range s.lastGood {
		if !seen[path] {
			delete(s.lastGood, path) // a removed file takes its objects along
		}
	}
	return snap, nil
}

// keepLastGood returns what file, just read from path, contributes: itself
// when it read without error, else the objects of its last good version
// with the new errors, which say so.
func (s *Source) keepLastGood(path string, file source.Snapshot) source.Snapshot {
	if len(file.LoadErrors) == 0 {
		s.lastGood[path] = file
		return file
	}
	good, ok := s.lastGood[path]
	if !ok {
		return file
	}
	for _, e := range file.LoadErrors {
		e.Err = fmt.Errorf("%w (the file's last good version keeps serving until it is fixed)", e.Err)
		good.LoadErrors = append(good.LoadErrors, e)
	}
	return good
}

// IsManifest tells manifest files from hidden files, editor backups and
// swap files, and anything else that happens to live in the directory.
func IsManifest(name string) bool {
	if strings.HasPrefix(name, ".") {
		return false
	}
	switch filepath.Ext(name) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// Start reads the directory once, so that a missing or unreadable directory
// fails early, and then watches it until ctx ends.
func (s *Source) Start(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch manifests directory: %w", err)
	}
	// Watch before reading, so that no change falls between the two.
	if err := w.Add(s.dir); err != nil {
		_ = w.Close()
		return fmt.Errorf("watch manifests directory %s: %w", s.dir, err)
	}
	if parent := filepath.Dir(s.dir); parent != s.dir {
		if err := w.Add(parent); err != nil {
			s.logger.Warn("cannot watch the parent of the manifests directory; replacing the directory itself will go unnoticed",
				"dir", parent, "error", err)
		}
	}
	if _, err := s.Snapshot(); err != nil {
		_ = w.Close()
		return err
	}
	go s.watch(ctx, w)
	return nil
}

func (s *Source) watch(ctx context.Context, w *fsnotify.Watcher) {
	defer func() { _ = w.Close() }()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			switch name := filepath.Clean(ev.Name); {
			case name == s.dir:
				s.rewatch(w)
				s.notifier.Notify()
			case filepath.Dir(name) == s.dir:
				s.notifier.Notify()
			}
		case err, ok := <-w.Errors:
			if !ok {
				return
			}
			s.logger.Error("watch manifests directory", "dir", s.dir, "error", err)
		}
	}
}

// rewatch points the directory's watch at whatever the path names now: the
// directory was removed, renamed, recreated or (as a symlink) swapped.
func (s *Source) rewatch(w *fsnotify.Watcher) {
	_ = w.Remove(s.dir) // the old watch is often gone already
	err := w.Add(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		// The parent's watch reports when it comes back; until then
		// Snapshot fails and the last config keeps serving.
		return
	}
	if err != nil {
		s.logger.Error("watch manifests directory", "dir", s.dir, "error", err)
	}
}
