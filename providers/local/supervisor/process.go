package supervisor

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ProcSpec describes a child process.
type ProcSpec struct {
	// Path is the program; Args its arguments (without the program).
	Path string
	Args []string
	// Env is added to the base environment (BaseEnv): what the block
	// declares and what Stagecraft injects. Nothing else of the
	// supervisor's environment reaches the child.
	Env []string
	// Dir is the working directory.
	Dir string
	// Log receives stdout and stderr (appended).
	Log string
}

// Proc is a running child process. It runs in its own process group, so a
// stop reaches everything it started, and the group is killed as soon as
// the process ends, so nothing it left outlives it. It dies with the
// supervisor (parent-death signal on Linux), and its group is recorded in
// the supervisor's registry, so the next supervisor stops what a killed
// one left behind.
type Proc struct {
	cmd  *exec.Cmd
	Log  string
	done chan struct{}

	mu      sync.Mutex
	exitErr error
	started time.Time
}

// StartProc starts a child process with the base environment and
// spec.Env, its log private to the user.
func StartProc(spec ProcSpec) (*Proc, error) {
	if ErrPlatform != nil {
		return nil, ErrPlatform
	}
	reg := currentRegistry()
	if reg != nil && !reg.present() {
		return nil, fmt.Errorf("cannot start %s: the supervisor's directory was removed", filepath.Base(spec.Path))
	}
	if err := MakePrivateDir(filepath.Dir(spec.Log)); err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(spec.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(spec.Path, spec.Args...)
	cmd.Dir = spec.Dir
	cmd.Env = ChildEnv(os.Environ(), spec.Env)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = childAttrs()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	pid := cmd.Process.Pid
	if reg != nil {
		if err := reg.add(pid, filepath.Base(spec.Path)); err != nil {
			_ = signalGroup(pid, syscall.SIGKILL)
			_ = cmd.Wait()
			logf.Close()
			return nil, err
		}
	}
	p := &Proc{cmd: cmd, Log: spec.Log, done: make(chan struct{}), started: time.Now()}
	go func() {
		// While the ended leader is not yet reaped its pid cannot be
		// reused, so its group can be killed without hitting anyone else.
		if waitExited(pid) {
			_ = signalGroup(pid, syscall.SIGKILL)
		}
		err := cmd.Wait()
		logf.Close()
		if reg != nil {
			reg.remove(pid)
		}
		p.mu.Lock()
		p.exitErr = err
		p.mu.Unlock()
		close(p.done)
	}()
	return p, nil
}

// Done is closed once the process has ended.
func (p *Proc) Done() <-chan struct{} { return p.done }

// PID is the process id.
func (p *Proc) PID() int { return p.cmd.Process.Pid }

// Exited reports whether the process has ended, and how.
func (p *Proc) Exited() (bool, error) {
	select {
	case <-p.done:
		p.mu.Lock()
		defer p.mu.Unlock()
		return true, p.exitErr
	default:
		return false, nil
	}
}

// Stop sends SIGTERM to the process group, waits up to grace, then sends
// SIGKILL. It returns once the process is gone.
func (p *Proc) Stop(grace time.Duration) {
	if ok, _ := p.Exited(); ok {
		return
	}
	pgid := p.cmd.Process.Pid
	_ = signalGroup(pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = signalGroup(pgid, syscall.SIGKILL)
		<-p.done
	}
	if !groupKilledOnExit {
		// Anything the process started and left behind goes too.
		_ = signalGroup(pgid, syscall.SIGKILL)
	}
}

// Tail returns the last n lines of a log file, for error messages.
func Tail(path string, n int) string { return TailSince(path, 0, n) }

// TailSince returns the last n lines written to a log file after offset
// (the file's size when a process was started, so that only what that
// process wrote is quoted). A file now shorter than offset was replaced,
// and is read from its start. Only the last 32 KiB are read.
func TailSince(path string, offset int64, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return ""
	}
	if offset > info.Size() {
		offset = 0
	}
	const maxRead = 32 << 10
	offset = max(offset, info.Size()-maxRead)
	buf, err := io.ReadAll(io.NewSectionReader(f, offset, info.Size()-offset))
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(bytes.ToValidUTF8(buf, nil)), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// ExitDescription says how a process ended, for messages.
func ExitDescription(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return fmt.Sprintf("was killed by signal %d (%s)", int(ws.Signal()), ws.Signal())
		}
		return fmt.Sprintf("exited with status %d", ee.ExitCode())
	}
	if err == nil {
		return "exited with status 0"
	}
	return err.Error()
}
