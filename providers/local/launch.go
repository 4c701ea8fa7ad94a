package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gofrs/flock"

	"github.com/stagecraft/stagecraft/providers/local/cache"
	"github.com/stagecraft/stagecraft/providers/local/supervisor"
)

// startTimeout bounds how long the CLI waits for a new supervisor.
const startTimeout = 15 * time.Second

// staleStop bounds how long a supervisor that no longer answers for its
// directory (the directory was removed and made again) gets to halt its
// units before it is killed.
const staleStop = 30 * time.Second

// connect returns a client for the environment's supervisor. With start,
// it starts one when none runs (or the one recorded is stale: killed, gone
// with a reboot, or running for a directory that was removed); without,
// it reports found=false. A socket served by another user is an error,
// and nothing is sent to it.
func (p *provider) connect(ctx context.Context, start bool) (c *client, found bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	paths := p.paths()
	if p.client != nil {
		if h, err := p.client.hello(ctx); err == nil && h.DirID == supervisor.DirIdentity(paths.Dir) {
			return p.client, true, nil
		}
		p.client = nil
	}
	if c, err := running(ctx, paths); c != nil || err != nil {
		p.client = c
		return c, c != nil, err
	}
	if !start {
		return nil, false, nil
	}
	if err := paths.Prepare(); err != nil {
		return nil, false, err
	}
	// One CLI at a time starts the supervisor.
	lock := flock.New(paths.Lock(), flock.SetPermissions(0o600))
	if err := lock.Lock(); err != nil {
		return nil, false, err
	}
	defer lock.Unlock()
	if c, err := running(ctx, paths); c != nil || err != nil {
		p.client = c
		return c, c != nil, err
	}
	clearStale(paths)
	socket, err := supervisor.ChooseSocket(paths, os.Getenv)
	if err != nil {
		return nil, false, err
	}
	exited, err := p.launch(paths, socket)
	if err != nil {
		return nil, false, err
	}
	c = newClient(socket)
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		h, err := c.hello(ctx)
		if pe := (*supervisor.PeerError)(nil); errors.As(err, &pe) {
			return nil, false, err
		}
		if err == nil && h.API == supervisor.APIVersion {
			p.client = c
			return c, true, nil
		}
		select {
		case <-ctx.Done():
			return nil, false, ctx.Err()
		case <-exited:
			return nil, false, fmt.Errorf("the local supervisor stopped as it started; see %s:\n%s", paths.Log(), supervisor.Tail(paths.Log(), 10))
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil, false, fmt.Errorf("the local supervisor did not start within %s; see %s:\n%s", startTimeout, paths.Log(), supervisor.Tail(paths.Log(), 10))
}

// running returns a client of the supervisor that runs for paths, found
// on the socket it recorded or else where a new one would listen, or nil.
// A supervisor of this directory's earlier incarnation (removed and made
// again) does not count. A socket of another user is an error.
func running(ctx context.Context, paths supervisor.Paths) (*client, error) {
	var sockets []string
	if s := supervisor.RecordedSocket(paths); s != "" {
		sockets = append(sockets, s)
	}
	if s, err := supervisor.ChooseSocket(paths, os.Getenv); err == nil && (len(sockets) == 0 || s != sockets[0]) {
		sockets = append(sockets, s)
	}
	id := supervisor.DirIdentity(paths.Dir)
	for _, s := range sockets {
		c := newClient(s)
		h, err := c.hello(ctx)
		if pe := (*supervisor.PeerError)(nil); errors.As(err, &pe) {
			return nil, err
		}
		if err == nil && h.API == supervisor.APIVersion && id != "" && h.DirID == id {
			return c, nil
		}
	}
	return nil, nil
}

// clearStale stops the supervisors of this directory that do not answer
// for it (killed half way, another API version, or running for a removed
// directory of the same path), giving each time to halt its units, and
// removes their files.
func clearStale(paths supervisor.Paths) {
	var pids []int
	if b, err := os.ReadFile(paths.PID()); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 && isSupervisor(pid) {
			pids = append(pids, pid)
		}
	}
	pids = append(pids, supervisorsOf(paths.Dir)...)
	for _, pid := range pids {
		_ = signalProcess(pid, syscall.SIGTERM)
	}
	deadline := time.Now().Add(staleStop)
	for _, pid := range pids {
		for processAlive(pid) && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		_ = signalProcess(pid, syscall.SIGKILL)
	}
	_ = os.Remove(paths.PID())
	if s := supervisor.RecordedSocket(paths); s != "" {
		_ = os.Remove(s)
	}
	_ = os.Remove(paths.SocketRecord())
}

// isSupervisor reports whether pid runs a supervisor (after a reboot the
// recorded pid may belong to anything).
func isSupervisor(pid int) bool {
	if !processAlive(pid) {
		return false
	}
	cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil {
		return false
	}
	return strings.Contains(string(cmdline), SupervisorArg)
}

// supervisorsOf lists the supervisors of this user whose directory is dir,
// from /proc (where there is one): a supervisor whose directory was
// removed is found by its command line.
func supervisorsOf(dir string) []int {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil
	}
	want := []byte("\x00" + SupervisorArg + "\x00--dir\x00" + abs + "\x00")
	procs, _ := filepath.Glob("/proc/[0-9]*")
	var out []int
	for _, d := range procs {
		if info, err := os.Stat(d); err != nil || !ownedByMe(info) {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || !bytes.Contains(cmdline, want) {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(d)); err == nil && pid != os.Getpid() {
			out = append(out, pid)
		}
	}
	return out
}

// SupervisorArg is the hidden command of the stagecraft binary that runs a
// supervisor: stagecraft __supervise --dir DIR --socket SOCKET.
const SupervisorArg = "__supervise"

// supervisorEnvNames are the variables the supervisor gets from the CLI's
// environment: the base every child gets, and the settings of Stagecraft
// that the units read (which programs the caches run). Secrets, cloud
// credentials and STAGECRAFT_VAR_* stay behind.
func supervisorEnvNames() []string {
	return append(append([]string(nil), supervisor.BaseEnvNames...), cache.ProgramVariables...)
}

// launch starts a supervisor process detached from the CLI, with a
// minimal environment; exited is closed if it ends.
func (p *provider) launch(paths supervisor.Paths, socket string) (exited <-chan struct{}, err error) {
	if p.command == nil {
		return nil, errors.New("the local provider cannot start its supervisor: this build does not say how")
	}
	dir, err := filepath.Abs(paths.Dir)
	if err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(paths.Log(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := p.command(dir, socket)
	cmd.Env = supervisor.FilterEnv(os.Environ(), supervisorEnvNames())
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Stdin = nil
	cmd.SysProcAttr = detachAttrs()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the local supervisor: %w", err)
	}
	// The supervisor outlives this process; reap it if it exits early.
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	return done, nil
}

// stopLeftovers stops what a killed supervisor of this environment left
// running, when no supervisor runs (destroy after a crash).
func (p *provider) stopLeftovers() error {
	_, err := supervisor.StopLeftovers(p.paths(), func(string, ...any) {})
	return err
}

// SupervisorCommand is how the stagecraft binary runs a supervisor: itself,
// with the hidden command.
func SupervisorCommand(exe string) func(dir, socket string) *exec.Cmd {
	return func(dir, socket string) *exec.Cmd {
		return exec.Command(exe, SupervisorArg, "--dir", dir, "--socket", socket)
	}
}
