package harness

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// USER_HZ, the unit of /proc/<pid>/stat's times, is 100 on every Linux
// architecture Go supports.
const clockTick = time.Second / 100

// ProcStat is what the tests read from /proc/<pid>/stat.
type ProcStat struct {
	PPID      int
	CPU       time.Duration // user plus system time
	StartTick int64         // start time after boot, in clock ticks
}

// ReadStat reads /proc/<pid>/stat.
func ReadStat(pid int) (ProcStat, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ProcStat{}, err
	}
	// The command name is in parentheses and may hold anything; the
	// fields after it start with field 3 (state): ppid is field 4, utime
	// and stime 14 and 15, starttime 22.
	i := strings.LastIndexByte(string(data), ')')
	fields := strings.Fields(string(data[i+1:]))
	if i < 0 || len(fields) < 20 {
		return ProcStat{}, fmt.Errorf("unexpected /proc/%d/stat: %q", pid, data)
	}
	var n [4]int64
	for k, field := range []int{4, 14, 15, 22} {
		if n[k], err = strconv.ParseInt(fields[field-3], 10, 64); err != nil {
			return ProcStat{}, fmt.Errorf("/proc/%d/stat field %d: %w", pid, field, err)
		}
	}
	return ProcStat{PPID: int(n[0]), CPU: time.Duration(n[1]+n[2]) * clockTick, StartTick: n[3]}, nil
}

// Children returns the processes whose parent is pid, with their
// command lines (nginx sets its processes' titles there).
func Children(pid int) (map[int]string, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	out := map[int]string{}
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		// Errors mean the process just exited.
		if stat, err := ReadStat(child); err != nil || stat.PPID != pid {
			continue
		}
		if cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", child)); err == nil {
			out[child] = string(cmdline)
		}
	}
	return out, nil
}

// nginxGenerations returns nil once the nginx of runtime dir dir among
// the children of parent ("" for any) has only workers of one generation
// accepting connections: after a reload, workers of the old config keep
// accepting for a moment next to the new ones, so a new answer may be
// followed by an old one. Old workers are told apart in two ways: there
// are more active workers than one generation has (worker_processes auto:
// one per CPU), or their start times lie further apart than one
// generation's forks do, even on a loaded machine (100ms; reloads are
// further apart than that).
func nginxGenerations(parent int, dir string) error {
	_, workers, err := nginxProcesses(parent, dir)
	if err != nil {
		return err
	}
	var first, last int64
	active := 0
	for _, pid := range workers {
		stat, err := ReadStat(pid)
		if err != nil {
			continue // exited
		}
		active++
		if first == 0 || stat.StartTick < first {
			first = stat.StartTick
		}
		last = max(last, stat.StartTick)
	}
	if first == 0 {
		return errors.New("nginx has no active workers")
	}
	if active > runtime.NumCPU() {
		return fmt.Errorf("nginx runs %d active workers, more than one generation", active)
	}
	if last-first > 10 {
		return fmt.Errorf("nginx still runs workers started %s apart", time.Duration(last-first)*clockTick)
	}
	return nil
}

// NginxProcesses returns the pid of the nginx master that archway (pid)
// runs and those of its workers that still accept connections, sorted.
func NginxProcesses(archwayPID int) (master int, workers []int, err error) {
	return nginxProcesses(archwayPID, "")
}

// nginxProcesses is NginxProcesses for the master among parent's children
// whose command line holds dir.
func nginxProcesses(parent int, dir string) (master int, workers []int, err error) {
	procs, err := Children(parent)
	if err != nil {
		return 0, nil, err
	}
	for pid, title := range procs {
		if strings.HasPrefix(title, "nginx: master") && strings.Contains(title, dir) {
			master = pid
		}
	}
	if master == 0 {
		return 0, nil, errors.New("no nginx master process")
	}
	if procs, err = Children(master); err != nil {
		return 0, nil, err
	}
	for pid, title := range procs {
		if strings.Contains(title, "worker process") && !retiring(title) {
			workers = append(workers, pid)
		}
	}
	slices.Sort(workers)
	return master, workers, nil
}

// ShuttingDown returns the workers among procs (an nginx master's
// children, pid to title) that a reload told to finish.
func ShuttingDown(procs map[int]string) []int {
	var old []int
	for pid, title := range procs {
		if retiring(title) {
			old = append(old, pid)
		}
	}
	return old
}

// retiring tells whether a worker's title says it is shutting down: it
// renamed itself so when it closed its listening sockets.
func retiring(title string) bool { return strings.Contains(title, "shutting down") }
