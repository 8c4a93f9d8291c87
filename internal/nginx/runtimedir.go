package nginx

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
)

// LockFile is the file in the runtime dir that the archway using the dir
// holds a lock on; it contains that archway's pid.
const LockFile = "archway.lock"

// RuntimeDir is a runtime dir that this process holds the lock of.
type RuntimeDir struct {
	lock *os.File
}

// OpenRuntimeDir readies dir for archway and nginx at start: it creates
// dir where missing, so that nginx's workers can pass through it, locks
// it so that a second archway on the same dir is refused instead of
// breaking this one (both would replace each other's sockets, configs and
// nginx), and checks that nginx's workers can reach dir through every
// parent. Workers open request body temp files, htpasswd files and the
// access log socket in it while they serve; as root they run as nobody,
// and a folder on the way that nobody cannot search fails those requests
// one by one, so the check refuses the start instead.
func OpenRuntimeDir(dir string) (*RuntimeDir, error) {
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("runtime dir %q is not absolute", dir)
	}
	if err := mkdirAll(dir); err != nil {
		return nil, fmt.Errorf("create runtime dir: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	if err := checkWorkerReach(dir); err != nil {
		_ = lock.Close()
		return nil, err
	}
	return &RuntimeDir{lock: lock}, nil
}

// Close releases the lock.
func (d *RuntimeDir) Close() error { return d.lock.Close() }

// lockDir takes the lock of runtime dir dir, or says which process holds it.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock runtime dir: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("runtime dir %s is in use by another archway (pid %s): give each archway its own --runtime-dir",
				dir, cmp.Or(string(bytes.TrimSpace(holder)), "unknown"))
		}
		return nil, fmt.Errorf("lock runtime dir: %w", err)
	}
	err = f.Truncate(0)
	if err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("lock runtime dir: %w", err)
	}
	return f, nil
}

// mkdirAll creates path and its missing parents 0755 whatever the umask,
// so that nginx's workers can pass through them; existing folders are
// left as they are.
func mkdirAll(path string) error {
	info, err := os.Stat(path)
	switch {
	case err == nil && info.IsDir():
		return nil
	case err == nil:
		return fmt.Errorf("%s: not a directory", path)
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	if err := mkdirAll(filepath.Dir(path)); err != nil {
		return err
	}
	if err := os.Mkdir(path, 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil // created meanwhile by someone else: theirs
		}
		return err
	}
	return os.Chmod(path, 0o755)
}

// checkWorkerReach fails, saying what to do, when nginx's workers run as
// another user (archway is root) who cannot search dir or one of its
// parents. Only mode bits are read: an ACL granting more is not seen.
func checkWorkerReach(dir string) error {
	w, err := lookupWorker()
	if err != nil || w == nil {
		return err
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return fmt.Errorf("runtime dir: %w", err)
	}
	for path := real; ; path = filepath.Dir(path) {
		info, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("runtime dir: %w", err)
		}
		if !w.canSearch(info) {
			st := info.Sys().(*syscall.Stat_t)
			return fmt.Errorf("runtime dir %s: nginx's workers run as %s, who cannot pass through %s (mode %04o, owner %d, group %d): "+
				"let every user through it (chmod o+x %s), or choose a --runtime-dir that every user can reach, such as one in /tmp or /run",
				dir, w.name, path, info.Mode().Perm(), st.Uid, st.Gid, path)
		}
		if parent := filepath.Dir(path); parent == path {
			return nil
		}
	}
}

// canSearch tells whether w may pass through the folder described by
// info, by its owner, group and other bits, as the kernel decides.
func (w *workerIdentity) canSearch(info fs.FileInfo) bool {
	st := info.Sys().(*syscall.Stat_t)
	perm := info.Mode().Perm()
	switch {
	case st.Uid == w.uid:
		return perm&0o100 != 0
	case slices.Contains(w.gids, st.Gid):
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}
