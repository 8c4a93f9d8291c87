package lint

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/archway-ingress/archway/internal/source"
	"github.com/archway-ingress/archway/internal/source/dir"
)

// Stdin is the argument that reads the manifests from standard input.
const Stdin = "-"

// Read decodes the manifests of each argument into one Snapshot, as the
// folder source does: a file whatever its name; in a folder and its
// subfolders, the files --manifests would read (*.yaml, *.yml, *.json,
// hidden ones skipped); Stdin from stdin. A document that does not parse
// is in LoadErrors (build reports it); a path that cannot be read is an
// error.
func Read(args []string, stdin io.Reader) (source.Snapshot, error) {
	var snap source.Snapshot
	for _, arg := range args {
		if arg == Stdin {
			data, err := io.ReadAll(stdin)
			if err != nil {
				return snap, fmt.Errorf("read stdin: %w", err)
			}
			snap.AddManifests("(stdin)", data)
			continue
		}
		err := filepath.WalkDir(arg, func(path string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case d.IsDir() && path != arg && strings.HasPrefix(d.Name(), "."):
				return filepath.SkipDir
			case d.IsDir() || (path != arg && !dir.IsManifest(d.Name())):
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			snap.AddManifests(path, data)
			return nil
		})
		if err != nil {
			return snap, err
		}
	}
	return snap, nil
}
