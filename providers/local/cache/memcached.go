package cache

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/stagecraft/stagecraft/providers/local/supervisor"
)

// memcachedProc is a memcached process.
type memcachedProc struct {
	srvName string
	// socket is the unix socket it listens on, its only listener.
	socket string
	// tmpDir is the private directory that holds the socket when the data
	// directory's path is too long for one; removed when it stops.
	tmpDir string
	proc   *supervisor.Proc
	// noEviction says it was started with -M, which cannot change while
	// it runs.
	noEviction bool
	memoryMB   int
}

// memcachedArgs are the flags of a memcached (checked against 1.6): a unix
// socket only (-s turns TCP and UDP off), mode 0600 in a 0700 directory, so
// that no other local user reaches it (memcached has no password short of
// SASL); the memory limit, and -M (refuse stores instead of evicting) for
// noeviction. memcached refuses to run as root unless told which user to
// be.
func memcachedArgs(s cacheSettings, socket string) []string {
	args := []string{"-s", socket, "-a", "0600", "-m", strconv.Itoa(s.memoryMB)}
	if s.policy == "noeviction" {
		args = append(args, "-M")
	}
	if os.Geteuid() == 0 {
		args = append(args, "-u", "root")
	}
	return args
}

// memcachedSocketMax is the longest unix socket path every supported
// system takes (macOS: 104 bytes with the terminating zero).
const memcachedSocketMax = 103

// memcachedSocket is where a server listens: memcached.sock in its data
// directory or, when that path is too long for a unix socket, in a new
// private (0700) temporary directory, returned as tmpDir.
func memcachedSocket(dir string) (socket, tmpDir string, err error) {
	socket = filepath.Join(dir, "memcached.sock")
	if abs, err := filepath.Abs(socket); err == nil && len(abs) <= memcachedSocketMax {
		return abs, "", nil
	}
	tmpDir, err = os.MkdirTemp("", "stagecraft-memcached-")
	if err != nil {
		return "", "", fmt.Errorf("make a private directory for the socket: %w", err)
	}
	return filepath.Join(tmpDir, "memcached.sock"), tmpDir, nil
}

func (c *cache) startMemcached(ctx context.Context, s cacheSettings, spec serverSpec) (cacheServer, error) {
	logPath := c.env.LogPath(c.address, spec.name)
	from := logFileSize(logPath)
	socket, tmpDir, err := memcachedSocket(spec.dir)
	if err != nil {
		return nil, err
	}
	_ = os.Remove(socket) // left by a server that was killed
	p, err := supervisor.StartProc(supervisor.ProcSpec{Path: c.memcached, Args: memcachedArgs(s, socket), Dir: spec.dir, Log: logPath})
	if err != nil {
		removeTmp(tmpDir)
		return nil, fmt.Errorf("start memcached for %s: %w", spec.name, err)
	}
	m := &memcachedProc{srvName: spec.name, socket: socket, tmpDir: tmpDir, proc: p, noEviction: s.policy == "noeviction", memoryMB: s.memoryMB}
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
		removeTmp(tmpDir)
		msg := fmt.Sprintf("memcached for %s on %s: %v", spec.name, socket, err)
		if logged := supervisor.TailSince(logPath, from, 12); logged != "" {
			msg += "; its log (" + logPath + ") ends:\n" + logged
		}
		return nil, errors.New(msg)
	}
	return m, nil
}

// removeTmp removes a private socket directory, if there is one.
func removeTmp(dir string) {
	if dir != "" {
		_ = os.RemoveAll(dir)
	}
}

func (m *memcachedProc) name() string { return m.srvName }
func (m *memcachedProc) addr() string { return m.socket }
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
	_ = os.Remove(m.socket)
	removeTmp(m.tmpDir)
	return nil
}

// memcachedCommand sends one text-protocol command to the server at addr
// (its unix socket) and returns its answer lines: one line, or for stats
// every line up to END.
func memcachedCommand(ctx context.Context, addr, cmd string) ([]string, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", addr)
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
