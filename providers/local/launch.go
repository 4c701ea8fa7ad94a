package local

import (
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

	"github.com/stagecraft/stagecraft/providers/local/supervisor"
)

// startTimeout bounds how long the CLI waits for a new supervisor.
const startTimeout = 15 * time.Second

// connect returns a client for the environment's supervisor. With start,
// it starts one when none runs (or the one recorded is stale: killed, or
// gone with a reboot); without, it reports found=false.
func (p *provider) connect(ctx context.Context, start bool) (c *client, found bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client != nil {
		if _, err := p.client.hello(ctx); err == nil {
			return p.client, true, nil
		}
		p.client = nil
	}
	paths := p.paths()
	c = newClient(paths.Socket())
	if h, err := c.hello(ctx); err == nil && h.API == supervisor.APIVersion {
		p.client = c
		return c, true, nil
	}
	if !start {
		return nil, false, nil
	}
	if err := os.MkdirAll(paths.Logs(), 0o755); err != nil {
		return nil, false, err
	}
	// One CLI at a time starts the supervisor.
	lock := flock.New(paths.Lock(), flock.SetPermissions(0o644))
	if err := lock.Lock(); err != nil {
		return nil, false, err
	}
	defer lock.Unlock()
	if h, err := c.hello(ctx); err == nil && h.API == supervisor.APIVersion {
		p.client = c
		return c, true, nil
	}
	p.clearStale(paths)
	if err := p.launch(paths); err != nil {
		return nil, false, err
	}
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		if h, err := c.hello(ctx); err == nil && h.API == supervisor.APIVersion {
			p.client = c
			return c, true, nil
		}
		select {
		case <-ctx.Done():
			return nil, false, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil, false, fmt.Errorf("the local supervisor did not start within %s; see %s:\n%s", startTimeout, paths.Log(), supervisor.Tail(paths.Log(), 10))
}

// clearStale removes what a dead supervisor left: its pid file, its socket,
// and (if it still runs but does not answer, or speaks another API
// version) the process itself.
func (p *provider) clearStale(paths supervisor.Paths) {
	if b, err := os.ReadFile(paths.PID()); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 && isSupervisor(pid) {
			_ = signalProcess(pid, syscall.SIGTERM)
			for i := 0; i < 50 && processAlive(pid); i++ {
				time.Sleep(100 * time.Millisecond)
			}
			_ = signalProcess(pid, syscall.SIGKILL)
		}
		_ = os.Remove(paths.PID())
	}
	_ = os.Remove(paths.Socket())
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

// SupervisorArg is the hidden command of the stagecraft binary that runs a
// supervisor: stagecraft __supervise --dir DIR.
const SupervisorArg = "__supervise"

// launch starts a supervisor process detached from the CLI.
func (p *provider) launch(paths supervisor.Paths) error {
	if p.command == nil {
		return errors.New("the local provider cannot start its supervisor: this build does not say how")
	}
	logf, err := os.OpenFile(paths.Log(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := p.command(paths.Dir)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Stdin = nil
	cmd.SysProcAttr = detachAttrs()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the local supervisor: %w", err)
	}
	// The supervisor outlives this process; reap it if it exits early.
	go func() { _ = cmd.Wait() }()
	return nil
}

// SupervisorCommand is how the stagecraft binary runs a supervisor: itself,
// with the hidden command.
func SupervisorCommand(exe string) func(dir string) *exec.Cmd {
	return func(dir string) *exec.Cmd {
		return exec.Command(exe, SupervisorArg, "--dir", dir)
	}
}
