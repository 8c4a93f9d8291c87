package nginx

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/archway-ingress/archway/internal/render"
)

// process is one nginx master and, through its process group, its workers.
type process struct {
	cmd     *exec.Cmd
	started time.Time
	done    chan struct{} // closed once the master was reaped and its group killed
	err     error         // Wait's result; read only after done is closed
	reloads *reloads      // what became of each SIGHUP, from the master's log
}

// startProcess starts nginx on dir/nginx.conf. nginx's stderr (its error
// log) is forwarded to log line by line, the lines at shown's level, but
// for the records it could not send (see forward); its stdout (the access
// log) goes to access.
func startProcess(binary, dir string, log *slog.Logger, shown *errorLogLevel, dropped func(), access *accessLog) (*process, error) {
	// A socket file left by a killed nginx makes bind fail.
	if err := os.Remove(filepath.Join(dir, render.StatusSocket)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("remove stale status socket: %w", err)
	}
	if err := preparePrivateDir(dir); err != nil {
		return nil, err
	}
	if err := preparePassthroughDir(dir); err != nil {
		return nil, err
	}
	if err := adoptOrphans(); err != nil {
		return nil, err
	}
	// An *os.File as stdout and stderr keeps exec from copying output in
	// goroutines that Wait would wait for: orphaned workers hold the pipe
	// open until the group is killed, which happens only after Wait.
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("start nginx: %w", err)
	}
	ar, aw, err := os.Pipe()
	if err != nil {
		_, _ = r.Close(), w.Close()
		return nil, fmt.Errorf("start nginx: %w", err)
	}
	cmd := exec.Command(binary, "-p", dir, "-c", filepath.Join(dir, render.ConfigFile), "-e", "stderr")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = aw, w
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid: true,
		// Should archway die without stopping nginx, the master shuts its
		// workers down too instead of serving on unsupervised. (Linux sends
		// it when the starting OS thread ends; Go ends threads only under
		// LockOSThread, and a stray one would merely cause a restart.)
		Pdeathsig: syscall.SIGTERM,
	}
	err = cmd.Start()
	_, _ = w.Close(), aw.Close()
	if err != nil {
		_, _ = r.Close(), ar.Close()
		return nil, fmt.Errorf("start nginx: %w", err)
	}
	p := &process{cmd: cmd, started: time.Now(), done: make(chan struct{}), reloads: newReloads(cmd.Process.Pid)}
	go forward(r, log, dropped, p.reloads.see, shown)
	go access.copyLines(ar)
	go func() {
		p.err = cmd.Wait()
		// Workers outlive a killed master and would keep serving the old
		// config on the ports a restart needs.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		reapGroup(cmd.Process.Pid)
		close(p.done)
	}()
	return p, nil
}

// adoptOrphans makes archway the child subreaper of its descendants: the
// workers of a master that died abruptly become archway's children rather
// than init's (which archway itself is in a container), so reapGroup can
// wait for them. Setting it again is harmless.
func adoptOrphans() error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("become child subreaper: %w", err)
	}
	return nil
}

// reapGroup waits for every child left in process group pgid, once its
// master was reaped: those are orphaned workers, dead or dying of SIGKILL.
// It returns when the group is gone, so no worker still holds the ports
// when a new master starts, and none lingers as a zombie. Waiting only on
// that group never takes the exit status of a child exec waits for (the
// master was reaped; nginx -t runs in archway's own group).
func reapGroup(pgid int) {
	for {
		_, err := syscall.Wait4(-pgid, nil, 0, nil)
		if err != nil && !errors.Is(err, syscall.EINTR) {
			return // ECHILD: no child of the group is left
		}
	}
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// exited is closed once the process is gone; nil (never ready) for no process.
func (p *process) exited() <-chan struct{} {
	if p == nil {
		return nil
	}
	return p.done
}

func (p *process) hasExited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *process) signal(sig syscall.Signal) error {
	if err := p.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("signal nginx %d with %s: %w", p.pid(), sig, err)
	}
	return nil
}

// stop shuts nginx down gracefully, and kills it if it takes longer than
// timeout.
func (p *process) stop(timeout time.Duration) error {
	if p.hasExited() {
		return nil
	}
	// Should the signal fail, the timeout below still ends nginx.
	_ = p.signal(syscall.SIGQUIT)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-p.done:
		return nil
	case <-timer.C:
		p.kill()
		return fmt.Errorf("nginx did not stop within %s of SIGQUIT and was killed", timeout)
	}
}

// kill ends the whole process group at once and waits until it is reaped.
func (p *process) kill() {
	_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
	<-p.done
}

// syslogFailed is how nginx reports an access log record it could not
// send: the queue of archway's access log socket was full.
const syslogFailed = "send() to syslog failed"

// dropWarnEvery is how often at most forward warns of dropped records.
const dropWarnEvery = time.Minute

// forward logs each line read from r that shown passes until every writer
// closed it. It never stops reading early, since nginx would block on a
// full pipe. nginx prints a warning for every access log record it drops,
// which under load would be thousands of lines a second: those call
// dropped instead, and one warning a minute at most sums them up. Every
// other line goes to see first, shown or not.
func forward(r io.ReadCloser, log *slog.Logger, dropped func(), see func(line string), shown *errorLogLevel) {
	defer r.Close()
	br := bufio.NewReaderSize(r, 16<<10)
	unwarned := 0
	var warned time.Time
	for {
		line, err := br.ReadSlice('\n')
		switch text := string(bytes.TrimRight(line, "\r\n")); {
		case text == "":
		case strings.Contains(text, syslogFailed):
			dropped()
			if unwarned++; time.Since(warned) >= dropWarnEvery {
				log.Warn("nginx dropped access log records, as archway did not read them fast enough; request metrics miss them (see archway_access_log_records_dropped_total)",
					"dropped", unwarned, "first", text)
				unwarned, warned = 0, time.Now()
			}
		default:
			see(text)
			if shown.shows(text) {
				log.Log(context.Background(), levelOf(text), text)
			}
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}

// levelOf maps the level of an nginx log line to a slog level.
func levelOf(line string) slog.Level {
	if strings.Contains(line, "] ModSecurity: ") {
		// A request's matched rules: archway's WAF audit log has them.
		return slog.LevelDebug
	}
	switch levelTag(line) {
	case "emerg", "alert", "crit", "error":
		return slog.LevelError
	case "warn":
		return slog.LevelWarn
	case "notice", "info", "debug":
		// Signals, worker starts and exits: a dozen lines per reload.
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// activeWorkers lists the children of master that are nginx workers still
// accepting connections.
func activeWorkers(master int) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("list workers: %w", err)
	}
	var pids []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil && isActiveWorker(master, pid) {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// isActiveWorker tells whether pid is a worker of master still accepting
// connections. A worker retires the moment it acts on a graceful shutdown
// order: it renames itself "worker process is shutting down" and closes
// its listening sockets right away. It acts on the order at the next turn
// of its event loop, the loop that accepts connections too.
func isActiveWorker(master, pid int) bool {
	// Errors below mean the process just exited: not a worker.
	if ppid, err := parentOf(pid); err != nil || ppid != master {
		return false
	}
	title, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	return err == nil && bytes.Contains(title, []byte("worker process")) && !bytes.Contains(title, []byte("shutting down"))
}

// killWorker kills pid if it still is a worker of master accepting
// connections, and tells whether it did. The pidfd, opened before the
// check, makes the signal reach the process checked, never one that took
// its pid since.
func killWorker(master, pid int) (bool, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return false, nil // it exited
	}
	defer unix.Close(fd)
	if !isActiveWorker(master, pid) {
		return false, nil
	}
	if err := unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0); err != nil {
		return false, fmt.Errorf("kill nginx worker %d: %w", pid, err)
	}
	return true, nil
}

// parentOf reads the parent pid from /proc/<pid>/stat ("pid (comm) state ppid ...").
func parentOf(pid int) (int, error) {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, err
	}
	// comm may hold spaces and parentheses; it ends at the last ')'.
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(fields) < 2 {
		return 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	return strconv.Atoi(fields[1])
}
