package cache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/stagecraft/stagecraft/providers/local/supervisor"
)

// redisProc is a redis-server process: a primary, or a replica of one.
type redisProc struct {
	srvName string
	port    int
	proc    *supervisor.Proc
	// primary is the primary's host:port for a replica.
	primary string
	// client talks to the server for the supervisor's checks.
	client *redis.Client

	mu       sync.Mutex
	memoryMB int
	policy   string
}

// redisArgs are the flags of a redis-server (checked against 7.0):
// everything on the command line but the password, which the file auth
// (mode 0600) holds and --include reads; the dump in dir, saved every
// minute after a change and when the server stops; the log on stdout
// (which is the node's log file).
func redisArgs(s cacheSettings, spec serverSpec, port int, auth string) []string {
	args := []string{
		"--include", auth,
		"--bind", "127.0.0.1",
		"--port", strconv.Itoa(port),
		"--maxmemory", strconv.Itoa(s.memoryMB) + "mb",
		"--maxmemory-policy", s.policy,
		"--dir", spec.dir,
		"--dbfilename", "dump.rdb",
		"--appendonly", "no",
		"--daemonize", "no",
		"--protected-mode", "yes",
		"--logfile", "",
		// Replicas sync as soon as they connect, not after the default
		// five seconds spent waiting for more of them.
		"--repl-diskless-sync-delay", "0",
	}
	if spec.primary == nil {
		return append(args, "--save", "60 1")
	}
	// A replica's data is its primary's: it keeps no dump of its own and
	// loads the primary's when it starts.
	return append(args, "--save", "", "--replicaof", "127.0.0.1", strconv.Itoa(addrPort(spec.primary.addr())))
}

func (c *cache) startRedis(ctx context.Context, s cacheSettings, spec serverSpec, port int) (cacheServer, error) {
	logPath := c.env.LogPath(c.address, spec.name)
	from := logFileSize(logPath)
	p, err := supervisor.StartProc(supervisor.ProcSpec{Path: c.redisServer, Args: redisArgs(s, spec, port, c.data.authPath()), Dir: spec.dir, Log: logPath})
	if err != nil {
		return nil, fmt.Errorf("start redis-server for %s: %w", spec.name, err)
	}
	r := &redisProc{srvName: spec.name, port: port, proc: p, memoryMB: s.memoryMB, policy: s.policy, client: redisProbeClient(supervisor.HostPort(port), c.password)}
	if spec.primary != nil {
		r.primary = spec.primary.addr()
	}
	// Answering is not enough: another server may hold the port while
	// ours failed to bind it. INFO says whose process answers.
	err = waitServer(ctx, p, cacheReadyTimeout, func(ctx context.Context) error {
		info := r.client.InfoMap(ctx, "server")
		if err := info.Err(); err != nil {
			return err
		}
		if pid := info.Item("Server", "process_id"); pid != strconv.Itoa(p.PID()) {
			return fmt.Errorf("%w: %s answers as process %s", errPortTaken, r.addr(), pid)
		}
		return nil
	})
	if err == nil && r.primary != "" {
		err = waitServer(ctx, p, cacheSyncTimeout, r.linked)
		if err != nil {
			err = fmt.Errorf("replica of %s: %w", r.primary, err)
		}
	}
	if err != nil {
		p.Stop(time.Second)
		_ = r.client.Close()
		return nil, c.startFailure("redis-server", spec.name, port, p, logPath, from, err)
	}
	return r, nil
}

func (r *redisProc) name() string { return r.srvName }
func (r *redisProc) addr() string { return supervisor.HostPort(r.port) }
func (r *redisProc) pid() int     { return r.proc.PID() }

func (r *redisProc) exited() (bool, string) {
	gone, err := r.proc.Exited()
	if !gone {
		return false, ""
	}
	return true, supervisor.ExitDescription(err)
}

func (r *redisProc) check(ctx context.Context) error {
	if gone, how := r.exited(); gone {
		return fmt.Errorf("redis-server %s", how)
	}
	if err := r.client.Ping(ctx).Err(); err != nil {
		return err
	}
	if r.primary != "" {
		return r.linked(ctx)
	}
	return nil
}

// linked checks that a replica has synced with its primary.
func (r *redisProc) linked(ctx context.Context) error {
	info := r.client.InfoMap(ctx, "replication")
	if err := info.Err(); err != nil {
		return err
	}
	if st := info.Item("Replication", "master_link_status"); st != "up" {
		return fmt.Errorf("the link to the primary %s is %s", r.primary, st)
	}
	return nil
}

func (r *redisProc) needsRestart(int, string) bool { return false }

// limit sets maxmemory and the policy with CONFIG SET: no restart, no
// data lost.
func (r *redisProc) limit(ctx context.Context, memoryMB int, policy string) error {
	r.mu.Lock()
	same := r.memoryMB == memoryMB && r.policy == policy
	r.mu.Unlock()
	if same {
		return nil
	}
	maxmemory := strconv.FormatInt(int64(memoryMB)<<20, 10)
	// One CONFIG SET for both, so they change together or not at all.
	if err := r.client.Do(ctx, "CONFIG", "SET", "maxmemory", maxmemory, "maxmemory-policy", policy).Err(); err != nil {
		return err
	}
	r.mu.Lock()
	r.memoryMB, r.policy = memoryMB, policy
	r.mu.Unlock()
	return nil
}

// stop sends SIGTERM: a primary saves its dump before it exits (save is
// configured), which a halt relies on.
func (r *redisProc) stop(keep bool) error {
	grace := cacheStopGrace
	if !keep {
		grace = 2 * time.Second
	}
	r.proc.Stop(grace)
	return r.client.Close()
}

// redisProbeClient is the supervisor's client of one server, which
// authenticates with the cache's password. Its checks are probes that
// their callers repeat, so it does not retry; it speaks RESP2 without the
// identity and maintenance handshakes, which a probe has no use for; and
// it ends a command when its context's deadline passes, so a port held by
// something that never answers cannot stall a probe.
func redisProbeClient(addr, password string) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr:                     addr,
		Password:                 password,
		Protocol:                 2,
		MaxRetries:               -1,
		DisableIdentity:          true,
		ContextTimeoutEnabled:    true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
}

// waitServer polls probe until it succeeds, the process exits, or the
// timeout passes.
func waitServer(ctx context.Context, p *supervisor.Proc, timeout time.Duration, probe func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		if gone, err := p.Exited(); gone {
			return &startExitError{err: err}
		}
		// A probe ends early when the process exits: a port held by
		// something that accepts and never answers must not stall it.
		pctx, pcancel := context.WithTimeout(ctx, time.Second)
		go func() {
			select {
			case <-p.Done():
				pcancel()
			case <-pctx.Done():
			}
		}()
		last = probe(pctx)
		pcancel()
		if last == nil {
			return nil
		}
		if errors.Is(last, errPortTaken) {
			return last
		}
		select {
		case <-ctx.Done():
			if gone, err := p.Exited(); gone {
				return &startExitError{err: err}
			}
			return fmt.Errorf("not ready within %s: %w", timeout, last)
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// startExitError is a server that ended while it was starting.
type startExitError struct{ err error }

func (e *startExitError) Error() string { return supervisor.ExitDescription(e.err) }

// startFailure explains why a server did not come up, from how it ended
// and what it logged since it started. A server that found its port taken
// gives errPortTaken, so that another port is tried.
func (c *cache) startFailure(program, name string, port int, p *supervisor.Proc, logPath string, from int64, err error) error {
	logged := supervisor.TailSince(logPath, from, 12)
	var ee *startExitError
	if errors.Is(err, errPortTaken) ||
		(errors.As(err, &ee) && (strings.Contains(logged, "Address already in use") || !supervisor.PortFree(port))) {
		return fmt.Errorf("%w: %s for %s could not bind port %d", errPortTaken, program, name, port)
	}
	msg := fmt.Sprintf("%s for %s on port %d: %v", program, name, port, err)
	if logged != "" {
		msg += "; its log (" + logPath + ") ends:\n" + logged
	}
	return errors.New(msg)
}

// logFileSize is the size of a log file before a start, so that only what the
// new process writes is quoted.
func logFileSize(path string) int64 {
	info, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return info.Size()
}
