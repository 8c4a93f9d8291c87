package nginx

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestOpenRuntimeDirCreatesAndLocks(t *testing.T) {
	dir := filepath.Join(runtimeDir(t), "nested", "run")
	old := syscall.Umask(0o077) // a careful root's
	d, err := OpenRuntimeDir(dir)
	syscall.Umask(old)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	for path := dir; path != os.TempDir(); path = filepath.Dir(path) {
		info, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o755), info.Mode().Perm(), "created for the workers whatever the umask: %s", path)
	}

	_, err = OpenRuntimeDir(dir)
	require.EqualError(t, err, fmt.Sprintf("runtime dir %s is in use by another archway (pid %d): give each archway its own --runtime-dir", dir, os.Getpid()))
	require.NoError(t, d.Close())
	again, err := OpenRuntimeDir(dir)
	require.NoError(t, err, "the lock goes with its holder")
	require.NoError(t, again.Close())
}

func TestOpenRuntimeDirRefusesWhatWorkersCannotReach(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("the workers run as another user only when archway is root: run as root (make test does)")
	}
	private := t.TempDir() // under the testing package's 0700 folder
	_, err := OpenRuntimeDir(filepath.Join(private, "run"))
	require.ErrorContains(t, err, "nginx's workers run as nobody, who cannot pass through "+filepath.Dir(private)+" (mode 0700")
	require.ErrorContains(t, err, "chmod o+x "+filepath.Dir(private))
}
