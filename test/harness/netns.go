package harness

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// networkPrefix names every network namespace and veth the suite makes.
const networkPrefix = "awe2e"

// BackendPort is where every echo backend listens, inside its namespace.
const BackendPort = 8080

// Backend is an echo server alone in a network namespace, reachable from
// the host (and so from nginx) at IP:BackendPort. The host has HostIP on
// that network.
type Backend struct {
	Name   string
	IP     string
	HostIP string
	netns  string
}

// Curl runs curl with args inside the backend's network namespace: a
// client on another network than the host's loopback, reaching the host at
// HostIP. It returns curl's standard output.
func (b Backend) Curl(args ...string) ([]byte, error) {
	out, err := exec.Command("ip", append([]string{"netns", "exec", b.netns, "curl", "--silent", "--show-error", "--max-time", "5"}, args...)...).Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			err = fmt.Errorf("curl in %s: %w: %s", b.netns, err, exit.Stderr)
		}
		return nil, err
	}
	return out, nil
}

// StartBackend claims a network N, creates the network namespace
// awe2e-N with a veth pair (10.244.N.1/30 on the host, 10.244.N.2
// inside), and runs the echo backend called name inside it. Everything is
// removed when the test ends.
func (s *Suite) StartBackend(t testing.TB, name string) Backend {
	t.Helper()
	network, err := newNetwork()
	if network != nil {
		t.Cleanup(func() {
			if err := network.release(); err != nil {
				t.Errorf("remove backend %s: %v", name, err)
			}
		})
	}
	require.NoError(t, err)
	netns, ip, hostIP := network.netns, network.ip, network.hostIP
	listen := ip + ":" + strconv.Itoa(BackendPort)
	proc, err := StartProcess("echo "+name, filepath.Join(s.Dir, "backend-"+netns+".log"), nil,
		"ip", "netns", "exec", netns, s.EchoBin, "-listen", listen, "-name", name)
	require.NoError(t, err)
	t.Cleanup(proc.Kill)

	client := http.Client{Timeout: time.Second}
	err = Eventually(10*time.Second, 20*time.Millisecond, func() error {
		if proc.Exited() {
			return fmt.Errorf("exited: %v", proc.err)
		}
		resp, err := client.Get("http://" + listen + "/")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if got := resp.Header.Get("X-Backend"); got != name {
			return fmt.Errorf("answered as %q", got)
		}
		return nil
	})
	require.NoError(t, err, "backend %s at %s:\n%s", name, listen, proc.LogTail(20))
	return Backend{Name: name, IP: ip, HostIP: hostIP, netns: netns}
}

// Networks are shared by every e2e run on the machine (other test binaries
// may run at the same time): a lock file N in networkLocks, created
// exclusively and holding its owner's pid, claims 10.244.N.0/30 and the
// names awe2e-N, awe2e-hN and awe2e-nN. The lock is taken before anything
// is created and dropped after everything is gone, so a namespace or veth
// without a lock is always a leftover.
var networkLocks = filepath.Join(os.TempDir(), networkPrefix+"-networks")

func networkNames(n int) (netns, hostLink, nsLink string) {
	return fmt.Sprintf("%s-%d", networkPrefix, n), fmt.Sprintf("%s-h%d", networkPrefix, n), fmt.Sprintf("%s-n%d", networkPrefix, n)
}

// network is a claimed network N: the namespace awe2e-N, reached from
// the host at ip through a veth pair whose host end has hostIP.
type network struct {
	n                 int
	netns, ip, hostIP string
}

// newNetwork claims a network and creates its namespace and veth pair
// (10.244.N.1/30 on the host, 10.244.N.2 inside). The caller releases it,
// also when newNetwork fails.
func newNetwork() (*network, error) {
	n, err := claimNetwork()
	if err != nil {
		return nil, err
	}
	netns, hostLink, nsLink := networkNames(n)
	nw := &network{n: n, netns: netns, hostIP: fmt.Sprintf("10.244.%d.1", n), ip: fmt.Sprintf("10.244.%d.2", n)}
	for _, args := range [][]string{
		{"netns", "add", netns},
		{"link", "add", hostLink, "type", "veth", "peer", "name", nsLink, "netns", netns},
		{"addr", "add", nw.hostIP + "/30", "dev", hostLink},
		{"link", "set", hostLink, "up"},
		{"-n", netns, "addr", "add", nw.ip + "/30", "dev", nsLink},
		{"-n", netns, "link", "set", nsLink, "up"},
	} {
		if err := runIP(args...); err != nil {
			return nw, err
		}
	}
	return nw, nil
}

// release removes the network (see releaseNetwork).
func (nw *network) release() error { return releaseNetwork(nw.n) }

func lockPath(n int) string { return filepath.Join(networkLocks, strconv.Itoa(n)) }

func claimNetwork() (int, error) {
	if err := os.MkdirAll(networkLocks, 0o755); err != nil {
		return 0, fmt.Errorf("claim a backend network: %w", err)
	}
	for n := 1; n <= 254; n++ {
		f, err := os.OpenFile(lockPath(n), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("claim a backend network: %w", err)
		}
		_, err = fmt.Fprint(f, os.Getpid())
		if err = errors.Join(err, f.Close()); err != nil {
			return 0, fmt.Errorf("claim a backend network: %w", err)
		}
		return n, nil
	}
	return 0, errors.New("all 254 backend networks are taken")
}

// releaseNetwork removes network n's veth and namespace, killing what
// still runs inside, then drops the lock.
func releaseNetwork(n int) error {
	netns, hostLink, _ := networkNames(n)
	if pids, err := exec.Command("ip", "netns", "pids", netns).Output(); err == nil {
		for _, pid := range strings.Fields(string(pids)) {
			if p, err := strconv.Atoi(pid); err == nil {
				_ = syscall.Kill(p, syscall.SIGKILL)
			}
		}
	}
	// Deleting one end of a veth deletes both at once; deleting only the
	// namespace would free them later, racing the next claim of n.
	if _, err := net.InterfaceByName(hostLink); err == nil {
		if err := runIP("link", "del", hostLink); err != nil {
			return err
		}
	}
	if _, err := os.Stat(filepath.Join("/run/netns", netns)); err == nil {
		if err := runIP("netns", "del", netns); err != nil {
			return err
		}
	}
	if err := os.Remove(lockPath(n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// sweepNetworks releases the networks of runs that died without cleaning
// up, and any namespace or veth of the suite's names without a lock.
func sweepNetworks() error {
	locks, err := os.ReadDir(networkLocks)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sweep backend networks: %w", err)
	}
	for _, lock := range locks {
		n, err := strconv.Atoi(lock.Name())
		if err != nil {
			continue
		}
		if owner, err := os.ReadFile(lockPath(n)); err == nil && alive(string(owner)) {
			continue
		}
		if err := releaseNetwork(n); err != nil {
			return fmt.Errorf("sweep backend network %d: %w", n, err)
		}
	}
	namespaces, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return fmt.Errorf("ip netns list: %w", err)
	}
	links, err := net.Interfaces()
	if err != nil {
		return fmt.Errorf("list interfaces: %w", err)
	}
	names := strings.Fields(string(namespaces)) // "awe2e-3 (id: 2)": the other fields never parse
	for _, l := range links {
		names = append(names, l.Name)
	}
	for _, name := range names {
		n, ok := networkOf(name)
		if !ok {
			continue
		}
		if _, err := os.Stat(lockPath(n)); err == nil {
			continue // claimed by a live run
		}
		if err := releaseNetwork(n); err != nil {
			return fmt.Errorf("sweep backend network %d: %w", n, err)
		}
	}
	return nil
}

// networkOf returns N for the names awe2e-N, awe2e-hN and awe2e-nN.
func networkOf(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, networkPrefix+"-")
	if !ok {
		return 0, false
	}
	if strings.HasPrefix(rest, "h") || strings.HasPrefix(rest, "n") {
		rest = rest[1:]
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil && n >= 1 && n <= 254
}

// alive reports whether the process with this pid exists.
func alive(pid string) bool {
	p, err := strconv.Atoi(strings.TrimSpace(pid))
	if err != nil || p <= 0 {
		return false
	}
	err = syscall.Kill(p, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func runIP(args ...string) error {
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
