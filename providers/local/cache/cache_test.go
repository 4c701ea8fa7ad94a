package cache

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/local/internal/localtest"
	"github.com/stagecraft/stagecraft/providers/local/supervisor"
)

// cacheConfig is a cache configuration as the stack language would give
// it to the local provider.
func cacheConfig(attrs map[string]cty.Value) cty.Value {
	return localtest.Value(kinds.Cache, attrs)
}

func redisConfig(attrs map[string]cty.Value) cty.Value {
	m := map[string]cty.Value{"engine": cty.StringVal("redis"), "memory_mb": cty.NumberIntVal(32)}
	for k, v := range attrs {
		m[k] = v
	}
	return cacheConfig(m)
}

// newCacheUnitEnv is a supervisor's environment in a temporary directory, for
// units driven directly by a test.
func newCacheUnitEnv(t *testing.T) *supervisor.Env {
	dir := t.TempDir()
	return &supervisor.Env{Paths: supervisor.Paths{Dir: dir}, StackDir: dir}
}

// newTestCache makes a cache unit; at the end of the test it is stopped,
// and every process it ever reported must be gone.
func newTestCache(t *testing.T, env *supervisor.Env, address string) *cache {
	t.Helper()
	c := New(env, "cache-"+supervisor.RandomID(8), address).(*cache)
	c.redisServer, c.memcached = "redis-server", "memcached"
	t.Cleanup(func() { stopCache(t, c) })
	return c
}

// stopCache stops a cache and checks that its processes are gone,
// killing any left so that no test leaks one.
func stopCache(t *testing.T, c *cache) {
	t.Helper()
	pids := c.pids()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Stop(ctx); err != nil {
		t.Errorf("stop: %v", err)
	}
	localtest.CheckPIDsGone(t, pids)
}

func applyCache(t *testing.T, ctx context.Context, c *cache, cfg cty.Value) cty.Value {
	t.Helper()
	v, err := c.Apply(ctx, cfg)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return v
}

// TestCacheRedisCommands checks what an application does with its cache
// on redis-server.
func TestCacheRedisCommands(t *testing.T) {
	t.Parallel()
	localtest.RequireProgram(t, "redis-server", "redis-server")
	ctx := localtest.Context(t, 30*time.Second)
	c := newTestCache(t, newCacheUnitEnv(t), "cache.sessions")
	v := applyCache(t, ctx, c, redisConfig(nil))
	ep := v.GetAttr("endpoint").AsString()
	if !strings.HasPrefix(ep, "127.0.0.1:") || fmt.Sprint(localtest.Endpoints(v)) != "["+ep+"]" {
		t.Fatalf("endpoint %s, endpoints %v: want one loopback endpoint", ep, localtest.Endpoints(v))
	}
	rc := localtest.RedisClient(t, ep, c.password)
	if err := rc.Set(ctx, "user:1", "ada", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got := rc.Get(ctx, "user:1").Val(); got != "ada" {
		t.Errorf("GET = %q, want ada", got)
	}
	for i := 1; i <= 3; i++ {
		if n := rc.Incr(ctx, "hits").Val(); n != int64(i) {
			t.Errorf("INCR #%d = %d", i, n)
		}
	}
	if err := rc.Set(ctx, "flash", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if ok := rc.PExpire(ctx, "flash", 100*time.Millisecond).Val(); !ok {
		t.Error("PEXPIRE of an existing key returned false")
	}
	if ttl := rc.PTTL(ctx, "flash").Val(); ttl <= 0 || ttl > 100*time.Millisecond {
		t.Errorf("PTTL = %s", ttl)
	}
	deadline := time.Now().Add(5 * time.Second)
	for rc.Exists(ctx, "flash").Val() == 1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if rc.Exists(ctx, "flash").Val() != 0 {
		t.Error("a key with a 100 ms expiry still exists after 5 s")
	}
	if got := rc.ConfigGet(ctx, "maxmemory").Val()["maxmemory"]; got != fmt.Sprint(32<<20) {
		t.Errorf("CONFIG GET maxmemory = %s, want %d", got, 32<<20)
	}
	obs := c.Observe(ctx)
	if !obs.Healthy || len(obs.Targets) != 1 || obs.Targets[0].ID != "node1" {
		t.Errorf("observe: %+v", obs)
	}
	if len(c.pids()) != 1 {
		t.Errorf("the cache runs processes %v, want one redis-server", c.pids())
	}
}

// TestCacheRedisReplicas runs two shards with a replica each: a key
// written to a primary is read from its replica, replicas refuse writes,
// and scaling down stops the servers no longer wanted and removes their
// data, while the memory limit changes in place.
func TestCacheRedisReplicas(t *testing.T) {
	t.Parallel()
	localtest.RequireProgram(t, "redis-server", "redis-server")
	ctx := localtest.Context(t, 45*time.Second)
	env := newCacheUnitEnv(t)
	c := newTestCache(t, env, "cache.main")
	v := applyCache(t, ctx, c, redisConfig(map[string]cty.Value{"nodes": cty.NumberIntVal(2), "replicas": cty.NumberIntVal(1)}))
	eps := localtest.Endpoints(v)
	if len(eps) != 2 || eps[0] == eps[1] || v.GetAttr("endpoint").AsString() != eps[0] {
		t.Fatalf("endpoints %v, endpoint %s: want two primaries, the first the endpoint", eps, v.GetAttr("endpoint").AsString())
	}
	if pids := c.pids(); len(pids) != 4 {
		t.Fatalf("%d processes run, want 2 primaries + 2 replicas", len(pids))
	}
	for k, sh := range c.shards {
		primary, replica := localtest.RedisClient(t, sh.primary.addr(), c.password), localtest.RedisClient(t, sh.replicas[0].addr(), c.password)
		key := fmt.Sprintf("shard%d", k)
		if err := primary.Set(ctx, key, "written", 0).Err(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		got := ""
		for got != "written" && time.Now().Before(deadline) {
			got = replica.Get(ctx, key).Val()
			time.Sleep(10 * time.Millisecond)
		}
		if got != "written" {
			t.Errorf("the replica of %s does not have the key written to its primary", sh.primary.name())
		}
		if err := replica.Set(ctx, "x", "y", 0).Err(); err == nil || !strings.HasPrefix(err.Error(), "READONLY") {
			t.Errorf("writing to a replica: %v, want READONLY", err)
		}
	}
	obs := c.Observe(ctx)
	var ids []string
	for _, tg := range obs.Targets {
		ids = append(ids, tg.ID)
	}
	if !obs.Healthy || fmt.Sprint(ids) != "[node1 node1-replica1 node2 node2-replica1]" {
		t.Errorf("observe: healthy %v, targets %v, detail %q", obs.Healthy, ids, obs.Detail)
	}

	node1 := c.shards[0].primary.pid()
	before := c.pids()
	v = applyCache(t, ctx, c, redisConfig(map[string]cty.Value{"nodes": cty.NumberIntVal(1), "memory_mb": cty.NumberIntVal(48)}))
	if eps := localtest.Endpoints(v); len(eps) != 1 || v.GetAttr("replicas").AsBigFloat().String() != "0" {
		t.Errorf("after scaling down: endpoints %v, replicas %s", eps, v.GetAttr("replicas").AsBigFloat())
	}
	var stopped []int
	for _, pid := range before {
		if pid != node1 {
			stopped = append(stopped, pid)
		}
	}
	localtest.CheckPIDsGone(t, stopped)
	if got := c.shards[0].primary.pid(); got != node1 {
		t.Errorf("node1 was restarted (pid %d, then %d); memory_mb changes in place", node1, got)
	}
	rc := localtest.RedisClient(t, eps[0], c.password)
	if got := rc.ConfigGet(ctx, "maxmemory").Val()["maxmemory"]; got != fmt.Sprint(48<<20) {
		t.Errorf("CONFIG GET maxmemory after the update = %s, want %d", got, 48<<20)
	}
	if got := rc.Get(ctx, "shard0").Val(); got != "written" {
		t.Error("node1 lost its key in the update")
	}
	for _, gone := range []string{"node2", "node1-replica1", "node2-replica1"} {
		if _, err := os.Stat(c.data.nodeDir(gone)); err == nil {
			t.Errorf("the data of %s is left after it was removed", gone)
		}
	}
}

// TestCacheSurvivesHalt checks that a supervisor restart (halt, then a new
// cache at the same address) finds the keys again on the same endpoint,
// and that deleting the cache removes its data.
func TestCacheSurvivesHalt(t *testing.T) {
	t.Parallel()
	localtest.RequireProgram(t, "redis-server", "redis-server")
	ctx := localtest.Context(t, 30*time.Second)
	env := newCacheUnitEnv(t)
	const address = "cache.sessions"
	first := New(env, "cache-first", address).(*cache)
	v := applyCache(t, ctx, first, redisConfig(nil))
	ep := v.GetAttr("endpoint").AsString()
	rc := localtest.RedisClient(t, ep, first.password)
	if err := rc.Set(ctx, "session:42", "kept", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rc.HSet(ctx, "cart:42", "apples", "3").Err(); err != nil {
		t.Fatal(err)
	}
	rc.Close()
	pids := first.pids()
	if err := first.Halt(ctx); err != nil {
		t.Fatalf("halt: %v", err)
	}
	localtest.CheckPIDsGone(t, pids)
	if _, err := os.Stat(env.DataDir(address)); err != nil {
		t.Fatalf("halt removed the data directory: %v", err)
	}

	second := newTestCache(t, env, address)
	v = applyCache(t, ctx, second, redisConfig(nil))
	if got := v.GetAttr("endpoint").AsString(); got != ep {
		t.Errorf("the endpoint moved from %s to %s across the restart", ep, got)
	}
	rc = localtest.RedisClient(t, v.GetAttr("endpoint").AsString(), v.GetAttr("password").AsString())
	if got := rc.Get(ctx, "session:42").Val(); got != "kept" {
		t.Errorf("GET session:42 after the restart = %q, want kept", got)
	}
	if got := rc.HGet(ctx, "cart:42", "apples").Val(); got != "3" {
		t.Errorf("HGET cart:42 apples after the restart = %q, want 3", got)
	}
	pids = second.pids()
	if err := second.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	localtest.CheckPIDsGone(t, pids)
	if _, err := os.Stat(env.DataDir(address)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("delete left the data directory %s (stat: %v)", env.DataDir(address), err)
	}
}

// TestCacheReplacementKeepsItsData checks that a replacement running next
// to the cache it replaces (same address) has its own data, which deleting
// the old cache leaves alone.
func TestCacheReplacementKeepsItsData(t *testing.T) {
	t.Parallel()
	localtest.RequireProgram(t, "redis-server", "redis-server")
	ctx := localtest.Context(t, 30*time.Second)
	env := newCacheUnitEnv(t)
	old := newTestCache(t, env, "cache.main")
	applyCache(t, ctx, old, redisConfig(nil))
	repl := newTestCache(t, env, "cache.main")
	v := applyCache(t, ctx, repl, redisConfig(nil))
	if old.data.dir == repl.data.dir {
		t.Fatalf("both caches use %s", old.data.dir)
	}
	rc := localtest.RedisClient(t, v.GetAttr("endpoint").AsString(), v.GetAttr("password").AsString())
	if err := rc.Set(ctx, "k", "new", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := old.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := repl.Halt(ctx); err != nil {
		t.Fatal(err)
	}
	again := newTestCache(t, env, "cache.main")
	v = applyCache(t, ctx, again, redisConfig(nil))
	if got := localtest.RedisClient(t, v.GetAttr("endpoint").AsString(), v.GetAttr("password").AsString()).Get(ctx, "k").Val(); got != "new" {
		t.Errorf("after the old cache was deleted and the supervisor restarted, GET k = %q, want the replacement's value", got)
	}
}

// memcachedExchange sends text-protocol lines and reads n answer lines.
func memcachedExchange(t *testing.T, addr, send string, n int) []string {
	t.Helper()
	conn, err := net.DialTimeout("unix", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte(send)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	var out []string
	for i := 0; i < n; i++ {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("answer to %q: %v", send, err)
		}
		out = append(out, strings.TrimRight(line, "\r\n"))
	}
	return out
}

// memcachedStat reads one line of `stats settings`.
func memcachedStat(t *testing.T, addr, name string) string {
	t.Helper()
	lines, err := memcachedCommand(localtest.Context(t, 5*time.Second), addr, "stats settings")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		if v, ok := strings.CutPrefix(l, "STAT "+name+" "); ok {
			return v
		}
	}
	return ""
}

// TestCacheMemcached stores and reads a value over the text protocol on
// the server's unix socket (which another local user cannot open),
// changes the memory limit in place and turns eviction off (a restart:
// memcached takes -M only at start).
func TestCacheMemcached(t *testing.T) {
	t.Parallel()
	localtest.RequireProgram(t, "memcached", "memcached")
	ctx := localtest.Context(t, 30*time.Second)
	c := newTestCache(t, newCacheUnitEnv(t), "cache.pages")
	cfg := map[string]cty.Value{"engine": cty.StringVal("memcached"), "memory_mb": cty.NumberIntVal(32), "nodes": cty.NumberIntVal(2)}
	v := applyCache(t, ctx, c, cacheConfig(cfg))
	eps := localtest.Endpoints(v)
	if len(eps) != 2 {
		t.Fatalf("endpoints %v, want 2", eps)
	}
	if !filepath.IsAbs(eps[0]) || !v.GetAttr("password").IsNull() {
		t.Errorf("endpoint %q and password %#v: want the path of a unix socket and no password", eps[0], v.GetAttr("password"))
	}
	if info, err := os.Stat(eps[0]); err != nil || info.Mode()&os.ModeSocket == 0 || info.Mode().Perm() != cacheFileMode {
		t.Errorf("the socket %s: %v, %v; want a socket of mode %o", eps[0], info, err, cacheFileMode)
	}
	if got := localtest.MemcachedAsOtherUser(t, eps[0]); !strings.Contains(got, "connect refused: ") || !strings.Contains(got, "permission denied") {
		t.Errorf("another user reached memcached:\n%s", got)
	}
	got := memcachedExchange(t, eps[0], "set page:1 0 0 5\r\nhello\r\nget page:1\r\n", 4)
	if want := "[STORED VALUE page:1 0 5 hello END]"; fmt.Sprint(got) != want {
		t.Errorf("set/get answered %v", got)
	}
	if got := memcachedStat(t, eps[0], "maxbytes"); got != fmt.Sprint(32<<20) {
		t.Errorf("maxbytes = %s, want %d", got, 32<<20)
	}
	pid := c.shards[0].primary.pid()
	cfg["memory_mb"] = cty.NumberIntVal(48)
	applyCache(t, ctx, c, cacheConfig(cfg))
	if got := memcachedStat(t, eps[0], "maxbytes"); got != fmt.Sprint(48<<20) {
		t.Errorf("maxbytes after the update = %s, want %d", got, 48<<20)
	}
	if c.shards[0].primary.pid() != pid {
		t.Error("memcached restarted for a memory change, which applies in place")
	}
	cfg["eviction_policy"] = cty.StringVal("noeviction")
	v = applyCache(t, ctx, c, cacheConfig(cfg))
	if fmt.Sprint(localtest.Endpoints(v)) != fmt.Sprint(eps) {
		t.Errorf("endpoints moved from %v to %v in the restart", eps, localtest.Endpoints(v))
	}
	if got := memcachedStat(t, eps[0], "evictions"); got != "off" {
		t.Errorf("evictions = %q after eviction_policy = noeviction, want off", got)
	}
	localtest.CheckPIDsGone(t, []int{pid})
	if obs := c.Observe(ctx); !obs.Healthy || len(obs.Targets) != 2 {
		t.Errorf("observe: %+v", obs)
	}
}

// TestCacheStartFailures checks the errors a user sees when a server
// cannot run: memcached missing names its package; a redis-server that
// exits at once reports how, with its log.
func TestCacheStartFailures(t *testing.T) {
	t.Parallel()
	ctx := localtest.Context(t, 30*time.Second)

	c := newTestCache(t, newCacheUnitEnv(t), "cache.pages")
	c.memcached = "/nonexistent/memcached"
	_, err := c.Apply(ctx, cacheConfig(map[string]cty.Value{"engine": cty.StringVal("memcached")}))
	if err == nil || !strings.Contains(err.Error(), "install the Debian package memcached (apt-get install memcached)") {
		t.Errorf("memcached missing: %v, want an error naming the package", err)
	}

	script := filepath.Join(t.TempDir(), "redis-server")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho 'FATAL: cannot open the dump'\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	c = newTestCache(t, newCacheUnitEnv(t), "cache.sessions")
	c.redisServer = script
	_, err = c.Apply(ctx, redisConfig(nil))
	if err == nil || !strings.Contains(err.Error(), "exited with status 3") || !strings.Contains(err.Error(), "FATAL: cannot open the dump") {
		t.Errorf("redis-server exiting at once: %v, want its exit status and log", err)
	}
	if len(c.pids()) != 0 {
		t.Errorf("processes %v run after a failed start", c.pids())
	}
}

// TestCachePortTaken checks that a server whose port was taken between
// choosing and binding it starts on another, and that a port taken every
// time is a retryable error.
func TestCachePortTaken(t *testing.T) {
	t.Parallel()
	localtest.RequireProgram(t, "redis-server", "redis-server")
	ctx := localtest.Context(t, 30*time.Second)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	taken := ln.Addr().(*net.TCPAddr).Port

	c := newTestCache(t, newCacheUnitEnv(t), "cache.sessions")
	tries := 0
	c.choosePort = func() (int, error) {
		if tries++; tries == 1 {
			return taken, nil
		}
		return supervisor.FreePort()
	}
	v := applyCache(t, ctx, c, redisConfig(nil))
	if got := addrPort(v.GetAttr("endpoint").AsString()); got == taken || tries != 2 {
		t.Errorf("the cache listens on %d after %d tries; the taken port is %d", got, tries, taken)
	}

	c = newTestCache(t, newCacheUnitEnv(t), "cache.sessions")
	c.choosePort = func() (int, error) { return taken, nil }
	_, err = c.Apply(ctx, redisConfig(nil))
	if !providers.IsRetryable(err) || !strings.Contains(err.Error(), fmt.Sprint(taken)) {
		t.Errorf("a port taken every time: %v, want a retryable error naming it", err)
	}
}

// TestCacheInvalid checks that bad input is refused with a message that
// says what to change, before anything starts.
func TestCacheInvalid(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		attrs map[string]cty.Value
		want  string
	}{
		"memory too small":    {map[string]cty.Value{"engine": cty.StringVal("redis"), "memory_mb": cty.NumberIntVal(8)}, "invalid memory_mb"},
		"unknown engine":      {map[string]cty.Value{"engine": cty.StringVal("valkey")}, "invalid engine"},
		"unknown policy":      {map[string]cty.Value{"engine": cty.StringVal("redis"), "eviction_policy": cty.StringVal("lru")}, "invalid eviction_policy"},
		"no nodes":            {map[string]cty.Value{"engine": cty.StringVal("redis"), "nodes": cty.NumberIntVal(0)}, "invalid nodes"},
		"memcached replicas":  {map[string]cty.Value{"engine": cty.StringVal("memcached"), "replicas": cty.NumberIntVal(1)}, "memcached has no replication"},
		"fractional replicas": {map[string]cty.Value{"engine": cty.StringVal("redis"), "replicas": cty.NumberFloatVal(1.5)}, "invalid replicas"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := newTestCache(t, newCacheUnitEnv(t), "cache.bad")
			_, err := c.Apply(localtest.Context(t, 10*time.Second), cacheConfig(tt.attrs))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("apply: %v, want an error containing %q", err, tt.want)
			}
			if len(c.servers()) != 0 {
				t.Error("servers started for a configuration that was refused")
			}
		})
	}
	t.Run("engine change in place", func(t *testing.T) {
		t.Parallel()
		localtest.RequireProgram(t, "redis-server", "redis-server")
		ctx := localtest.Context(t, 10*time.Second)
		c := newTestCache(t, newCacheUnitEnv(t), "cache.bad")
		applyCache(t, ctx, c, redisConfig(nil))
		_, err := c.Apply(ctx, cacheConfig(map[string]cty.Value{"engine": cty.StringVal("memcached")}))
		if err == nil || !strings.Contains(err.Error(), "must be replaced") {
			t.Errorf("changing the engine in place: %v, want a refusal", err)
		}
	})
}

// TestCacheHealsDeadServer checks that a killed server shows in Observe and
// that the next apply starts it again on its port, its replica following.
func TestCacheHealsDeadServer(t *testing.T) {
	t.Parallel()
	localtest.RequireProgram(t, "redis-server", "redis-server")
	ctx := localtest.Context(t, 30*time.Second)
	c := newTestCache(t, newCacheUnitEnv(t), "cache.main")
	cfg := redisConfig(map[string]cty.Value{"replicas": cty.NumberIntVal(1)})
	v := applyCache(t, ctx, c, cfg)
	killed := c.shards[0].primary.pid()
	if err := syscall.Kill(killed, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if gone, _ := c.shards[0].primary.exited(); gone {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	obs := c.Observe(ctx)
	if obs.Healthy || !strings.Contains(obs.Detail, "node1 (") || !strings.Contains(obs.Detail, "killed") {
		t.Errorf("Observe after node1 was killed: healthy %v, detail %q", obs.Healthy, obs.Detail)
	}
	v2 := applyCache(t, ctx, c, cfg)
	if v2.GetAttr("endpoint").AsString() != v.GetAttr("endpoint").AsString() {
		t.Errorf("node1 came back on %s, not its endpoint %s", v2.GetAttr("endpoint").AsString(), v.GetAttr("endpoint").AsString())
	}
	if pid := c.shards[0].primary.pid(); pid == killed {
		t.Error("apply did not start node1 again")
	}
	if err := waitCacheHealthy(ctx, c); err != nil {
		t.Errorf("after the apply: %v", err)
	}

	// Killed again, with its port taken meanwhile: it moves, and its
	// replica follows it.
	killed = c.shards[0].primary.pid()
	if err := syscall.Kill(killed, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var ln net.Listener
	for time.Now().Before(deadline.Add(10 * time.Second)) {
		var err error
		if ln, err = net.Listen("tcp", v.GetAttr("endpoint").AsString()); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if ln == nil {
		t.Fatal("could not take node1's port after killing it")
	}
	defer ln.Close()
	v3 := applyCache(t, ctx, c, cfg)
	if v3.GetAttr("endpoint").AsString() == v.GetAttr("endpoint").AsString() {
		t.Error("node1 claims the port the test holds")
	}
	if err := waitCacheHealthy(ctx, c); err != nil {
		t.Errorf("after node1 moved: %v", err)
	}
}

// waitCacheHealthy waits until every server of c answers and replicas are
// linked (a replica reconnects to a restarted primary within a second).
func waitCacheHealthy(ctx context.Context, c *cache) error {
	for {
		obs := c.Observe(ctx)
		if obs.Healthy {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not healthy: %s", obs.Detail)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
