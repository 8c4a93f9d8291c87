package harness

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Process is a child of the test binary whose output goes to a log file.
type Process struct {
	Name    string
	Cmd     *exec.Cmd
	LogPath string
	done    chan struct{} // closed once the process was reaped
	err     error         // Wait's result; read only after done is closed
	// ReraisesTerm marks programs that end a clean shutdown by dying of
	// the SIGTERM they handled, as etcd does.
	ReraisesTerm bool
}

// StartProcess starts binary with args and env (added to the test's own),
// appending its stdout and stderr to logPath.
func StartProcess(name, logPath string, env []string, binary string, args ...string) (*Process, error) {
	return startProcess(name, logPath, append(os.Environ(), env...), binary, args...)
}

// startProcess is StartProcess with exactly env, none of the test's own.
func startProcess(name, logPath string, env []string, binary string, args ...string) (*Process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	defer logFile.Close() // the child holds its own copy
	fmt.Fprintf(logFile, "### %s %s %s\n", time.Now().Format(time.RFC3339Nano), binary, strings.Join(args, " "))
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Should the test binary die (a -timeout panic skips every cleanup),
	// its children die with it instead of holding ports and addresses.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{Name: name, Cmd: cmd, LogPath: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Err is the process's exit error (nil for exit 0), once it Exited.
func (p *Process) Err() error {
	<-p.done
	return p.err
}

// Exited reports whether the process is gone.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM and waits up to grace for the process to exit, then
// kills it. It returns the exit error (nil for exit 0), or an error saying
// that it had to be killed.
func (p *Process) Stop(grace time.Duration) error {
	if p.Exited() {
		return fmt.Errorf("%s had already exited: %v", p.Name, p.err)
	}
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal %s: %w", p.Name, err)
	}
	select {
	case <-p.done:
		if p.err != nil && !(p.ReraisesTerm && diedOf(p.err, syscall.SIGTERM)) {
			return fmt.Errorf("%s exited after SIGTERM: %w", p.Name, p.err)
		}
		return nil
	case <-time.After(grace):
		_ = p.Cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s did not exit within %s of SIGTERM; killed", p.Name, grace)
	}
}

func diedOf(err error, sig syscall.Signal) bool {
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return false
	}
	status, ok := exit.Sys().(syscall.WaitStatus)
	return ok && status.Signaled() && status.Signal() == sig
}

// Kill ends the process at once, for processes whose exit status means
// nothing (the echo backends) or whose crash is the point.
func (p *Process) Kill() {
	_ = p.Cmd.Process.Kill()
	<-p.done
}

// LogTail returns the last n lines of the process's log.
func (p *Process) LogTail(n int) string {
	data, err := os.ReadFile(p.LogPath)
	if err != nil {
		return fmt.Sprintf("(read %s: %v)", p.LogPath, err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("... (%d lines before; full log in %s)", len(lines)-n, p.LogPath)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// Eventually calls f every interval until it returns nil or timeout
// passes; then it returns f's last error.
func Eventually(timeout, interval time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("still failing after %s: %w", timeout, err)
		}
		time.Sleep(interval)
	}
}
