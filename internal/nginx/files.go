package nginx

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/archway-ingress/archway/internal/render"
)

// candidateFile is where a new nginx.conf waits for `nginx -t`.
const candidateFile = render.ConfigFile + ".candidate"

// inspect validates out's file names and returns its fingerprint and the
// bytes of its main config file.
func inspect(out render.Output) ([sha256.Size]byte, []byte, error) {
	var conf []byte
	seen := make(map[string]bool, len(out.Files))
	h := sha256.New()
	writeField := func(b []byte) {
		// Length prefixes keep ("ab","c") and ("a","bc") apart.
		_ = binary.Write(h, binary.BigEndian, uint64(len(b)))
		h.Write(b)
	}
	writeField([]byte(out.Version))
	for _, f := range out.Files {
		switch {
		case !filepath.IsLocal(f.Name) || filepath.Clean(f.Name) != f.Name:
			return [sha256.Size]byte{}, nil, fmt.Errorf("file name %q: not a clean path inside the runtime dir", f.Name)
		case f.Name == candidateFile || f.Name == render.StatusSocket || f.Name == LockFile || f.Name == render.PrivateDir ||
			strings.HasPrefix(f.Name, render.PrivateDir+"/") || f.Name == render.PassthroughDir || strings.HasPrefix(f.Name, render.PassthroughDir+"/"):
			return [sha256.Size]byte{}, nil, fmt.Errorf("file name %q: reserved", f.Name)
		case seen[f.Name]:
			return [sha256.Size]byte{}, nil, fmt.Errorf("file name %q: duplicate", f.Name)
		}
		seen[f.Name] = true
		if f.Name == render.ConfigFile {
			conf = f.Data
		}
		writeField([]byte(f.Name))
		writeField([]byte(perm(f.Mode).String()))
		writeField([]byte(f.Group))
		writeField(f.Data)
	}
	if !seen[render.ConfigFile] {
		return [sha256.Size]byte{}, nil, fmt.Errorf("output has no %s", render.ConfigFile)
	}
	var sum [sha256.Size]byte
	copy(sum[:], h.Sum(nil))
	return sum, conf, nil
}

// perm is the permission a file is written with; a zero mode means an
// ordinary readable file.
func perm(mode fs.FileMode) fs.FileMode {
	if mode.Perm() == 0 {
		return 0o644
	}
	return mode.Perm()
}

// groupID is the id of the named group; -1 (keep the group) for "".
func groupID(name string) (int, error) {
	if name == "" {
		return -1, nil
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(g.Gid)
}

// writeFile replaces dir/name atomically: readers see the old bytes or the
// new ones, never a mix, and the new ones survive a crash once it returns.
// A gid of -1 keeps archway's group.
func writeFile(dir, name string, data []byte, mode fs.FileMode, gid int) (err error) {
	path := filepath.Join(dir, name)
	parent := filepath.Dir(path)
	if err := mkdirAll(parent); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	tmp, err := os.CreateTemp(parent, "."+filepath.Base(name)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	// Chmod before writing, so key material is never readable by others,
	// and explicitly, so the umask cannot change the mode.
	if err := tmp.Chmod(mode); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Chown(-1, gid); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return rename(tmp.Name(), path)
}

// rename moves from over to and makes the move durable.
func rename(from, to string) error {
	if err := os.Rename(from, to); err != nil {
		return fmt.Errorf("rename %s: %w", filepath.Base(from), err)
	}
	d, err := os.Open(filepath.Dir(to))
	if err != nil {
		return fmt.Errorf("sync dir of %s: %w", filepath.Base(to), err)
	}
	return errors.Join(d.Sync(), d.Close())
}

// restoreFiles writes the files that are missing from dir or differ, and
// tells wrote (if not nil) each one it wrote.
func restoreFiles(dir string, files []render.File, wrote func(name string)) error {
	for _, f := range files {
		if data, err := os.ReadFile(filepath.Join(dir, f.Name)); err == nil && bytes.Equal(data, f.Data) {
			continue
		}
		gid, err := groupID(f.Group)
		if err != nil {
			return fmt.Errorf("group of %s: %w", f.Name, err)
		}
		if err := writeFile(dir, f.Name, f.Data, perm(f.Mode), gid); err != nil {
			return err
		}
		if wrote != nil {
			wrote(f.Name)
		}
	}
	return nil
}

// otherFiles are out's files but nginx.conf.
func otherFiles(out render.Output) []render.File {
	return slices.DeleteFunc(slices.Clone(out.Files), func(f render.File) bool { return f.Name == render.ConfigFile })
}
