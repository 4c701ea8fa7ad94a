// Package cache is the cache unit of the local provider: redis-server
// (with replicas) or memcached processes on loopback ports, whose memory
// limit and eviction policy change in place and whose data survives a
// supervisor restart.
package cache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/local/supervisor"
)

// A cache is `nodes` primaries (shards), each with `replicas` replicas for
// redis: redis-server or memcached processes on loopback ports.
//
// Its data lives under env.dataDir(address)/GEN/, where GEN names one
// cache's generation of data:
//
//	current              the generation a re-created cache adopts
//	GEN/lock             flock held while a cache uses GEN
//	GEN/ports.json       the ports of its servers, reused after a restart
//	GEN/node1/           dump.rdb (redis-server)
//	GEN/node1-replica1/
//
// The extra level exists because a replacement runs next to the cache it
// replaces, at the same address, until that one is deleted: each needs its
// own files, and deleting the old one must not remove the new one's.
// After a supervisor restart, a cache created at the address adopts the
// generation `current` names when no running cache holds it, so its keys
// and ports come back. Deleting the cache removes its generation, and the
// address's directory with it once no running cache holds any.

// Environment variables that say which programs the cache runs; tests use
// them to force a missing or failing server. Empty means the program of
// that name on PATH.
const (
	envRedisServer = "STAGECRAFT_REDIS_SERVER"
	envMemcached   = "STAGECRAFT_MEMCACHED"
)

// ProgramVariables are the names of those variables: the CLI passes them
// on to the supervisor, whose environment is otherwise minimal.
var ProgramVariables = []string{envRedisServer, envMemcached}

const (
	// cacheReadyTimeout bounds how long a server may take to answer after
	// it starts.
	cacheReadyTimeout = 15 * time.Second
	// cacheSyncTimeout bounds how long a replica may take to link to its
	// primary and load its data.
	cacheSyncTimeout = 60 * time.Second
	// cachePortAttempts is how often a start is tried with another port
	// when the one chosen was taken before the server bound it.
	cachePortAttempts = 4
	// cacheStopGrace is how long a server has to save and exit before
	// SIGKILL.
	cacheStopGrace = 10 * time.Second
	// cacheCheckTimeout bounds one health check.
	cacheCheckTimeout = 2 * time.Second
)

// Messages naming the packages that provide the servers.
const (
	memcachedMissing = "memcached is not installed; install the Debian package memcached (apt-get install memcached)"
	redisMissing     = "redis-server is not installed; install the Debian package redis-server (apt-get install redis-server)"
)

// errPortTaken says a server could not bind the port chosen for it.
var errPortTaken = errors.New("port already in use")

// cacheSettings are the attributes of a cache that the servers depend on.
type cacheSettings struct {
	engine   string
	nodes    int
	replicas int
	memoryMB int
	policy   string
}

// cacheMode is what runs a cache's servers.
type cacheMode int

const (
	modeRedis cacheMode = iota
	modeMemcached
)

// cacheServer is one running server of a cache: a primary or a replica.
type cacheServer interface {
	// name is node1, node1-replica1, ...
	name() string
	// addr is host:port.
	addr() string
	// pid is the server's process.
	pid() int
	// check returns nil when the server serves: it answers, and a
	// replica is linked to its primary.
	check(ctx context.Context) error
	// limit sets the memory limit and eviction policy in place.
	limit(ctx context.Context, memoryMB int, policy string) error
	// needsRestart reports whether the settings cannot change in place.
	needsRestart(memoryMB int, policy string) bool
	// exited reports a server whose process ended by itself, and how.
	exited() (bool, string)
	// stop ends the server. With keep it saves its data first (halt).
	stop(keep bool) error
}

// cacheShard is one primary and its replicas.
type cacheShard struct {
	primary  cacheServer
	replicas []cacheServer
}

// serverSpec says which server to start.
type serverSpec struct {
	name string
	dir  string
	// port is the port to try first (the one it had before a restart);
	// 0 picks a free one.
	port int
	// primary is the primary of a replica.
	primary cacheServer
}

// cache is the unit of a cache resource.
type cache struct {
	env     *supervisor.Env
	id      string
	address string

	// Programs, set from the environment (envRedisServer, envMemcached).
	redisServer string
	memcached   string
	// choosePort picks a port when there is no previous one to reuse.
	choosePort func() (int, error)

	// Set by the first apply.
	mode cacheMode
	data *cacheData
	// password is what redis clients authenticate with; empty for
	// memcached, which takes no password.
	password string
	// applied is set once an apply has succeeded (see stop).
	applied bool

	// mu guards what observe reads while apply changes it. apply, stop
	// and halt are serialised by the supervisor.
	mu       sync.Mutex
	cfg      cty.Value
	settings cacheSettings
	shards   []*cacheShard
}

func New(env *supervisor.Env, id, address string) supervisor.Unit {
	c := &cache{env: env, id: id, address: address, cfg: cty.NilVal,
		redisServer: os.Getenv(envRedisServer), memcached: os.Getenv(envMemcached), choosePort: supervisor.FreePort}
	if c.redisServer == "" {
		c.redisServer = "redis-server"
	}
	if c.memcached == "" {
		c.memcached = "memcached"
	}
	return c
}

// logf writes to the supervisor's log.
func (c *cache) logf(format string, args ...any) {
	if l := c.env.Logger(); l != nil {
		l.Printf("%s: %s", c.address, fmt.Sprintf(format, args...))
	}
}

// cacheSettingsOf reads and checks a configuration. The stack language
// checks the same rules; the supervisor checks again because its API takes
// any value.
func cacheSettingsOf(cfg cty.Value) (cacheSettings, error) {
	if cfg == cty.NilVal || cfg.IsNull() || !cfg.IsWhollyKnown() {
		return cacheSettings{}, errors.New("the configuration is null or not yet known")
	}
	schema, _ := kinds.Schema(kinds.Cache)
	var probs []string
	for _, name := range []string{"engine", "nodes", "replicas", "memory_mb", "eviction_policy"} {
		attr, _ := schema.Block.Attribute(name)
		v := cfg.GetAttr(name)
		if v.IsNull() {
			probs = append(probs, name+" is not set")
			continue
		}
		for _, r := range attr.Rules {
			if msg := r.Check(v); msg != "" {
				probs = append(probs, fmt.Sprintf("invalid %s: %s", name, msg))
			}
		}
	}
	if len(probs) == 0 {
		for _, r := range schema.Rules {
			for _, p := range r.Check(cfg) {
				probs = append(probs, fmt.Sprintf("%s: %s", p.Summary, p.Detail))
			}
		}
	}
	if len(probs) > 0 {
		return cacheSettings{}, errors.New(strings.Join(probs, "; "))
	}
	// The rules above have checked that the numbers are small whole numbers.
	num := func(name string) int {
		n, _ := cfg.GetAttr(name).AsBigFloat().Int64()
		return int(n)
	}
	return cacheSettings{
		engine:   cfg.GetAttr("engine").AsString(),
		nodes:    num("nodes"),
		replicas: num("replicas"),
		memoryMB: num("memory_mb"),
		policy:   cfg.GetAttr("eviction_policy").AsString(),
	}, nil
}

func cacheNodeName(k int) string       { return fmt.Sprintf("node%d", k+1) }
func cacheReplicaName(k, j int) string { return fmt.Sprintf("node%d-replica%d", k+1, j+1) }

func (c *cache) Apply(ctx context.Context, cfg cty.Value) (cty.Value, error) {
	s, err := cacheSettingsOf(cfg)
	if err != nil {
		return cty.NilVal, err
	}
	if c.data == nil {
		if err := c.open(s); err != nil {
			return cty.NilVal, err
		}
	} else if s.engine != c.settings.engine {
		return cty.NilVal, fmt.Errorf("the engine cannot change from %s to %s in place; the cache must be replaced", c.settings.engine, s.engine)
	}
	err = c.reconcile(ctx, s)
	if saveErr := c.data.savePorts(c.ports()); saveErr != nil {
		c.logf("record ports: %v", saveErr)
	}
	if err != nil {
		return cty.NilVal, err
	}
	c.mu.Lock()
	c.cfg, c.settings = cfg, s
	c.mu.Unlock()
	c.applied = true
	return c.value(), nil
}

// open decides what runs the servers and claims the data directory.
func (c *cache) open(s cacheSettings) error {
	switch s.engine {
	case "memcached":
		if _, err := exec.LookPath(c.memcached); err != nil {
			return errors.New(memcachedMissing)
		}
		c.mode = modeMemcached
	default:
		if _, err := exec.LookPath(c.redisServer); err != nil {
			return errors.New(redisMissing)
		}
		c.mode = modeRedis
	}
	d, err := claimCacheData(c.env.DataDir(c.address), c.id)
	if err != nil {
		return fmt.Errorf("claim the data directory: %w", err)
	}
	if c.mode == modeRedis {
		pw, err := d.redisPassword()
		if err != nil {
			d.release()
			return err
		}
		c.password = pw
	}
	c.data = d
	c.mu.Lock()
	c.settings.engine = s.engine
	c.mu.Unlock()
	return nil
}

// reconcile makes the running servers match s: it restarts servers that
// died, removes shards and replicas no longer wanted, applies the memory
// limit and policy, and starts what is missing.
func (c *cache) reconcile(ctx context.Context, s cacheSettings) error {
	// Heal first, so that every later step works on running servers.
	for _, sh := range c.shards {
		if err := c.heal(ctx, sh, s); err != nil {
			return err
		}
	}
	// Shrink: a shard removed takes its keys with it; that is what
	// lowering `nodes` means.
	for len(c.shards) > s.nodes {
		k := len(c.shards) - 1
		sh := c.shards[k]
		c.mu.Lock()
		c.shards = c.shards[:k]
		c.mu.Unlock()
		for j := len(sh.replicas) - 1; j >= 0; j-- {
			c.stopServer(sh.replicas[j], false)
		}
		c.stopServer(sh.primary, false)
	}
	for _, sh := range c.shards {
		for len(sh.replicas) > s.replicas {
			j := len(sh.replicas) - 1
			r := sh.replicas[j]
			c.mu.Lock()
			sh.replicas = sh.replicas[:j]
			c.mu.Unlock()
			c.stopServer(r, false)
		}
	}
	// Settings in place; a server that cannot take them so restarts on its
	// port.
	for _, sh := range c.shards {
		for _, srv := range append([]cacheServer{sh.primary}, sh.replicas...) {
			if srv.needsRestart(s.memoryMB, s.policy) {
				if err := c.restart(ctx, sh, srv, s); err != nil {
					return err
				}
				continue
			}
			if err := srv.limit(ctx, s.memoryMB, s.policy); err != nil {
				return fmt.Errorf("set the memory limit of %s: %w", srv.name(), err)
			}
		}
	}
	// Grow: primaries first (replicas need them), all at once.
	have := len(c.shards)
	if s.nodes > have {
		started := make([]cacheServer, s.nodes-have)
		err := cacheParallel(len(started), func(i int) error {
			srv, err := c.startServer(ctx, s, c.spec(cacheNodeName(have+i), nil))
			started[i] = srv
			return err
		})
		if err != nil {
			stopServers(started, c)
			return err
		}
		c.mu.Lock()
		for _, srv := range started {
			c.shards = append(c.shards, &cacheShard{primary: srv})
		}
		c.mu.Unlock()
	}
	type pending struct {
		shard *cacheShard
		spec  serverSpec
	}
	var todo []pending
	for k, sh := range c.shards {
		for j := len(sh.replicas); j < s.replicas; j++ {
			todo = append(todo, pending{sh, c.spec(cacheReplicaName(k, j), sh.primary)})
		}
	}
	started := make([]cacheServer, len(todo))
	err := cacheParallel(len(todo), func(i int) error {
		srv, err := c.startServer(ctx, s, todo[i].spec)
		started[i] = srv
		return err
	})
	if err != nil {
		stopServers(started, c)
		return err
	}
	c.mu.Lock()
	for i, p := range todo {
		p.shard.replicas = append(p.shard.replicas, started[i])
	}
	c.mu.Unlock()
	return nil
}

// heal restarts the servers of a shard whose processes have ended.
func (c *cache) heal(ctx context.Context, sh *cacheShard, s cacheSettings) error {
	if gone, how := sh.primary.exited(); gone {
		c.logf("%s %s; starting it again", sh.primary.name(), how)
		if err := c.restart(ctx, sh, sh.primary, s); err != nil {
			return err
		}
	}
	for _, r := range sh.replicas {
		if gone, how := r.exited(); gone {
			c.logf("%s %s; starting it again", r.name(), how)
			if err := c.restart(ctx, sh, r, s); err != nil {
				return err
			}
		}
	}
	return nil
}

// restart replaces one server with a new one of the same name, on the same
// port when it is free, keeping its data.
func (c *cache) restart(ctx context.Context, sh *cacheShard, old cacheServer, s cacheSettings) error {
	primary := cacheServer(nil)
	if old != sh.primary {
		primary = sh.primary
	}
	spec := c.spec(old.name(), primary)
	spec.port = addrPort(old.addr())
	if err := old.stop(true); err != nil {
		c.logf("stop %s: %v", old.name(), err)
	}
	srv, err := c.startServer(ctx, s, spec)
	if err != nil {
		return err
	}
	c.mu.Lock()
	if old != sh.primary {
		for j, r := range sh.replicas {
			if r == old {
				sh.replicas[j] = srv
			}
		}
		c.mu.Unlock()
		return nil
	}
	sh.primary = srv
	replicas := append([]cacheServer(nil), sh.replicas...)
	c.mu.Unlock()
	// Replicas follow their primary to a new port: they were started
	// replicating from the old one.
	if srv.addr() == old.addr() {
		return nil
	}
	for _, r := range replicas {
		if err := c.restart(ctx, sh, r, s); err != nil {
			return err
		}
	}
	return nil
}

func (c *cache) spec(name string, primary cacheServer) serverSpec {
	c.mu.Lock()
	defer c.mu.Unlock()
	return serverSpec{name: name, dir: c.data.nodeDir(name), port: c.data.ports[name], primary: primary}
}

// startServer starts one server, trying other ports when the one chosen
// turns out to be taken. Only a port still taken after every attempt
// makes the error retryable.
func (c *cache) startServer(ctx context.Context, s cacheSettings, spec serverSpec) (cacheServer, error) {
	if err := os.MkdirAll(spec.dir, cacheDirMode); err != nil {
		return nil, err
	}
	if c.mode == modeMemcached {
		// On a unix socket: no port to choose.
		return c.startMemcached(ctx, s, spec)
	}
	var lastErr error
	for attempt := 0; attempt < cachePortAttempts; attempt++ {
		port := spec.port
		if port == 0 || attempt > 0 || !supervisor.PortFree(port) {
			p, err := c.choosePort()
			if err != nil {
				return nil, err
			}
			port = p
		}
		srv, err := c.startRedis(ctx, s, spec, port)
		if err == nil {
			c.mu.Lock()
			c.data.ports[spec.name] = port
			c.mu.Unlock()
			return srv, nil
		}
		if !errors.Is(err, errPortTaken) {
			return nil, err
		}
		c.logf("%s: port %d was taken; trying another", spec.name, port)
		lastErr = err
	}
	return nil, providers.Retryable(fmt.Errorf("start %s: %w (tried %d ports)", spec.name, lastErr, cachePortAttempts))
}

// stopServer ends a server for good and removes its data.
func (c *cache) stopServer(srv cacheServer, keep bool) {
	if err := srv.stop(keep); err != nil {
		c.logf("stop %s: %v", srv.name(), err)
	}
	if !keep {
		c.mu.Lock()
		delete(c.data.ports, srv.name())
		c.mu.Unlock()
		if err := os.RemoveAll(c.data.nodeDir(srv.name())); err != nil {
			c.logf("remove the data of %s: %v", srv.name(), err)
		}
	}
}

func stopServers(srvs []cacheServer, c *cache) {
	for _, srv := range srvs {
		if srv != nil {
			c.stopServer(srv, false)
		}
	}
}

// cacheParallel runs fn(0..n-1) at once and joins their errors.
func cacheParallel(n int, fn func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = fn(i) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// servers lists every server, primaries first.
func (c *cache) servers() []cacheServer {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []cacheServer
	for _, sh := range c.shards {
		out = append(out, sh.primary)
	}
	for _, sh := range c.shards {
		out = append(out, sh.replicas...)
	}
	return out
}

// pids are the processes the cache runs, for tests and diagnostics.
func (c *cache) pids() []int {
	var out []int
	for _, srv := range c.servers() {
		if p := srv.pid(); p > 0 {
			out = append(out, p)
		}
	}
	return out
}

// ports are the ports of the running servers, by name.
func (c *cache) ports() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.data.ports {
		out[k] = v
	}
	return out
}

// value is the actual value: the configuration applied, with the computed
// attributes, and the node and replica counts that really run.
func (c *cache) value() cty.Value {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cfg == cty.NilVal {
		return cty.NilVal
	}
	m := c.cfg.AsValueMap()
	m["id"] = cty.StringVal(c.id)
	m["password"] = cty.NullVal(cty.String)
	if c.password != "" {
		m["password"] = cty.StringVal(c.password)
	}
	var eps []cty.Value
	replicas := -1
	for _, sh := range c.shards {
		eps = append(eps, cty.StringVal(sh.primary.addr()))
		if replicas < 0 || len(sh.replicas) < replicas {
			replicas = len(sh.replicas)
		}
	}
	if len(eps) == 0 {
		m["endpoint"] = cty.NullVal(cty.String)
		m["endpoints"] = cty.ListValEmpty(cty.String)
	} else {
		m["endpoint"] = eps[0]
		m["endpoints"] = cty.ListVal(eps)
		m["nodes"] = cty.NumberIntVal(int64(len(eps)))
		m["replicas"] = cty.NumberIntVal(int64(replicas))
	}
	return cty.ObjectVal(m)
}

func (c *cache) Current() cty.Value { return c.value() }

func (c *cache) Observe(ctx context.Context) providers.Observation {
	type target struct {
		srv   cacheServer
		group string
	}
	c.mu.Lock()
	var targets []target
	for k, sh := range c.shards {
		targets = append(targets, target{sh.primary, cacheNodeName(k)})
		for _, r := range sh.replicas {
			targets = append(targets, target{r, cacheNodeName(k)})
		}
	}
	c.mu.Unlock()
	errs := make([]error, len(targets))
	_ = cacheParallel(len(targets), func(i int) error {
		cctx, cancel := context.WithTimeout(ctx, cacheCheckTimeout)
		defer cancel()
		errs[i] = targets[i].srv.check(cctx)
		return nil
	})
	obs := providers.Observation{Healthy: len(targets) > 0}
	var problems []string
	for i, t := range targets {
		healthy := errs[i] == nil
		obs.Targets = append(obs.Targets, providers.TargetObservation{ID: t.srv.name(), Group: t.group, Healthy: healthy, Weight: 100})
		if !healthy {
			obs.Healthy = false
			problems = append(problems, fmt.Sprintf("%s (%s): %v", t.srv.name(), t.srv.addr(), errs[i]))
		}
	}
	switch {
	case len(targets) == 0:
		obs.Detail = "no server runs"
	case len(problems) > 0:
		obs.Detail = fmt.Sprintf("%d of %d servers do not answer: %s", len(problems), len(targets), strings.Join(problems, "; "))
	case len(targets) == 1:
		obs.Detail = "the server answers"
	default:
		obs.Detail = fmt.Sprintf("all %d servers answer", len(targets))
	}
	return obs
}

// Halt stops every server, keeping (and, for redis, saving) the data for
// the next supervisor.
func (c *cache) Halt(context.Context) error {
	srvs := c.servers()
	err := cacheParallel(len(srvs), func(i int) error { return srvs[i].stop(true) })
	if c.data == nil {
		return err
	}
	err = errors.Join(err, c.data.savePorts(c.ports()))
	c.data.release()
	return err
}

// Stop stops every server and removes the cache's data. A cache that
// adopted the data of an earlier supervisor and never came up keeps it: the
// failed start is not the user deleting the cache.
func (c *cache) Stop(context.Context) error {
	srvs := c.servers()
	if err := cacheParallel(len(srvs), func(i int) error { return srvs[i].stop(false) }); err != nil {
		c.logf("stop: %v", err)
	}
	c.mu.Lock()
	c.shards = nil
	c.mu.Unlock()
	if c.data == nil {
		return nil
	}
	if c.data.adopted && !c.applied {
		c.logf("keeping the data in %s: the cache did not start", c.data.dir)
		c.data.release()
		return nil
	}
	return c.data.remove()
}
