package supervisor

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The registry of child process groups. Every child runs in a process
// group of its own (its pid is the group id), so a stop reaches what a
// wrapper started (`go run`, `sh -c`). The kernel kills the direct
// children of a supervisor that dies (on Linux), but not their children;
// so each group is written down under Paths.Procs() with its leader's
// start time, and the next supervisor of the directory stops the groups it
// finds there before it starts anything.

// procRecord is one process group in the registry.
type procRecord struct {
	// PID is the leader's pid, and the group's id.
	PID int `json:"pid"`
	// Start is the leader's start time as the system counts it (clock
	// ticks since boot on Linux), 0 where unknown: a pid reused by another
	// program has another start time.
	Start uint64 `json:"start"`
	// Program is what the leader runs, for the log.
	Program string `json:"program"`
}

// registry records the process groups of one supervisor's children.
type registry struct {
	dir string

	mu   sync.Mutex
	live map[int]bool
}

// children is the registry of the supervisor this process runs, or nil
// when units run without one (in tests). It is the one piece of package
// state: every child process of this process belongs to it, whichever
// unit starts it, as the process's own umask and pid space do.
var children struct {
	mu  sync.Mutex
	reg *registry
}

// installRegistry makes StartProc record every child under dir.
func installRegistry(dir string) (*registry, error) {
	if err := MakePrivateDir(dir); err != nil {
		return nil, err
	}
	r := &registry{dir: dir, live: map[int]bool{}}
	children.mu.Lock()
	children.reg = r
	children.mu.Unlock()
	return r, nil
}

// currentRegistry is the installed registry, or nil.
func currentRegistry() *registry {
	children.mu.Lock()
	defer children.mu.Unlock()
	return children.reg
}

// present reports whether the registry's directory still exists: a
// supervisor whose directory was removed starts nothing, so that it does
// not make the directory again.
func (r *registry) present() bool {
	_, err := os.Stat(r.dir)
	return err == nil
}

func (r *registry) file(pid int) string { return filepath.Join(r.dir, strconv.Itoa(pid)+".json") }

// add records the group of a child that has just started.
func (r *registry) add(pid int, program string) error {
	start, _ := processStart(pid)
	b, err := json.Marshal(procRecord{PID: pid, Start: start, Program: program})
	if err != nil {
		return err
	}
	tmp := r.file(pid) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("record process %d: %w", pid, err)
	}
	if err := os.Rename(tmp, r.file(pid)); err != nil {
		return fmt.Errorf("record process %d: %w", pid, err)
	}
	r.mu.Lock()
	r.live[pid] = true
	r.mu.Unlock()
	return nil
}

// remove forgets a group once it is gone.
func (r *registry) remove(pid int) {
	r.mu.Lock()
	delete(r.live, pid)
	r.mu.Unlock()
	_ = os.Remove(r.file(pid))
}

// killAll kills every group still recorded: the last thing a supervisor
// does, after its units have halted, so nothing outlives it.
func (r *registry) killAll() int {
	r.mu.Lock()
	pids := make([]int, 0, len(r.live))
	for pid := range r.live {
		pids = append(pids, pid)
	}
	r.mu.Unlock()
	for _, pid := range pids {
		_ = signalGroup(pid, syscall.SIGKILL)
	}
	return len(pids)
}

// leftoverGrace is how long the groups a dead supervisor left get to stop
// after SIGTERM before they are killed.
const leftoverGrace = 5 * time.Second

// StopLeftovers stops the process groups that a supervisor of p which is
// no longer running left behind (it was killed), and clears the registry.
// It does nothing while a supervisor holds the directory. It returns how
// many groups it stopped.
func StopLeftovers(p Paths, logf func(format string, args ...any)) (int, error) {
	entries, err := os.ReadDir(p.Procs())
	if errors.Is(err, os.ErrNotExist) || (err == nil && len(entries) == 0) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	lock, ok, err := tryRunLock(p)
	if err != nil || !ok {
		return 0, err
	}
	defer lock.Unlock()
	return sweepRegistry(p.Procs(), logf), nil
}

// sweepRegistry stops every group recorded in dir that still runs and
// removes the records. The caller holds the run lock.
func sweepRegistry(dir string, logf func(format string, args ...any)) int {
	entries, _ := os.ReadDir(dir)
	var groups []procRecord
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		if !strings.HasSuffix(e.Name(), ".json") {
			_ = os.Remove(path)
			continue
		}
		b, err := os.ReadFile(path)
		var rec procRecord
		if err == nil && json.Unmarshal(b, &rec) == nil && rec.PID > 1 && leftoverGroup(rec) {
			groups = append(groups, rec)
			logf("stopping process group %d (%s) left by an earlier supervisor", rec.PID, rec.Program)
			_ = signalGroup(rec.PID, syscall.SIGTERM)
		}
		_ = os.Remove(path)
	}
	deadline := time.Now().Add(leftoverGrace)
	for _, g := range groups {
		for groupExists(g.PID) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		_ = signalGroup(g.PID, syscall.SIGKILL)
	}
	return len(groups)
}

// leftoverGroup reports whether the group of rec still runs. The group id
// is the leader's pid, which the system does not give to another process
// while any member of the group lives; so a group whose leader is gone is
// still the recorded one, and a leader alive with another start time means
// the pid was reused after the whole group ended.
func leftoverGroup(rec procRecord) bool {
	start, alive := processStart(rec.PID)
	if alive {
		if rec.Start == 0 || start == 0 {
			// Without start times a live pid may be anyone's: leave it.
			return false
		}
		return start == rec.Start && groupExists(rec.PID)
	}
	return groupExists(rec.PID)
}
