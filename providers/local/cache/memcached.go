package cache

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/stagecraft/stagecraft/providers/local/supervisor"
)

// memcachedProc is a memcached process.
type memcachedProc struct {
	srvName string
	port    int
	proc    *supervisor.Proc
	// noEviction says it was started with -M, which cannot change while
	// it runs.
	noEviction bool
	memoryMB   int
}

// memcachedArgs are the flags of a memcached (checked against 1.6): TCP on
// loopback only, no UDP, the memory limit, and -M (refuse stores instead
// of evicting) for noeviction. memcached refuses to run as root unless
// told which user to be.
func memcachedArgs(s cacheSettings, port int) []string {
	args := []string{"-l", "127.0.0.1", "-p", strconv.Itoa(port), "-m", strconv.Itoa(s.memoryMB), "-U", "0"}
	if s.policy == "noeviction" {
		args = append(args, "-M")
	}
	if os.Geteuid() == 0 {
		args = append(args, "-u", "root")
	}
	return args
}

func (c *cache) startMemcached(ctx context.Context, s cacheSettings, spec serverSpec, port int) (cacheServer, error) {
	logPath := c.env.LogPath(c.address, spec.name)
	from := logFileSize(logPath)
	p, err := supervisor.StartProc(supervisor.ProcSpec{Path: c.memcached, Args: memcachedArgs(s, port), Dir: spec.dir, Log: logPath})
	if err != nil {
		return nil, fmt.Errorf("start memcached for %s: %w", spec.name, err)
	}
	m := &memcachedProc{srvName: spec.name, port: port, proc: p, noEviction: s.policy == "noeviction", memoryMB: s.memoryMB}
	// As with redis, make sure the server that answers is ours.
	err = waitServer(ctx, p, cacheReadyTimeout, func(ctx context.Context) error {
		lines, err := memcachedCommand(ctx, m.addr(), "stats")
		if err != nil {
			return err
		}
		for _, l := range lines {
			if pid, ok := strings.CutPrefix(l, "STAT pid "); ok && pid != strconv.Itoa(p.PID()) {
				return fmt.Errorf("%w: %s answers as process %s", errPortTaken, m.addr(), pid)
			}
		}
		return nil
	})
	if err != nil {
		p.Stop(time.Second)
		return nil, c.startFailure("memcached", spec.name, port, p, logPath, from, err)
	}
	return m, nil
}

func (m *memcachedProc) name() string { return m.srvName }
func (m *memcachedProc) addr() string { return supervisor.HostPort(m.port) }
func (m *memcachedProc) pid() int     { return m.proc.PID() }

func (m *memcachedProc) exited() (bool, string) {
	gone, err := m.proc.Exited()
	if !gone {
		return false, ""
	}
	return true, supervisor.ExitDescription(err)
}

func (m *memcachedProc) check(ctx context.Context) error {
	if gone, how := m.exited(); gone {
		return fmt.Errorf("memcached %s", how)
	}
	lines, err := memcachedCommand(ctx, m.addr(), "version")
	if err != nil {
		return err
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "VERSION ") {
		return fmt.Errorf("unexpected answer to version: %q", strings.Join(lines, " "))
	}
	return nil
}

// needsRestart: eviction on or off is a start flag (-M); the memory limit
// changes in place.
func (m *memcachedProc) needsRestart(_ int, policy string) bool {
	return (policy == "noeviction") != m.noEviction
}

// limit sets the memory limit with cache_memlimit, without a restart.
func (m *memcachedProc) limit(ctx context.Context, memoryMB int, _ string) error {
	if memoryMB == m.memoryMB {
		return nil
	}
	lines, err := memcachedCommand(ctx, m.addr(), "cache_memlimit "+strconv.Itoa(memoryMB))
	if err != nil {
		return err
	}
	if len(lines) == 0 || lines[0] != "OK" {
		return fmt.Errorf("cache_memlimit answered %q", strings.Join(lines, " "))
	}
	m.memoryMB = memoryMB
	return nil
}

// stop ends the process; memcached keeps nothing, so keep changes nothing.
func (m *memcachedProc) stop(bool) error {
	m.proc.Stop(2 * time.Second)
	return nil
}

// memcachedCommand sends one text-protocol command and returns its answer
// lines: one line, or for stats every line up to END.
func memcachedCommand(ctx context.Context, addr, cmd string) ([]string, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(5 * time.Second)
	}
	_ = conn.SetDeadline(deadline)
	defer context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })()
	if _, err := conn.Write([]byte(cmd + "\r\n")); err != nil {
		return nil, err
	}
	br := bufio.NewReader(conn)
	var lines []string
	multi := strings.HasPrefix(cmd, "stats")
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		line = strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(line, "ERROR") || strings.HasPrefix(line, "CLIENT_ERROR") || strings.HasPrefix(line, "SERVER_ERROR") {
			return nil, fmt.Errorf("memcached: %s", line)
		}
		if multi && line == "END" {
			return lines, nil
		}
		lines = append(lines, line)
		if !multi {
			return lines, nil
		}
	}
}
