package cache

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers/local/internal/localtest"
)

// TestCacheRequiresPassword runs a redis cache with a replica: another
// local user's SET and FLUSHALL are refused (NOAUTH), the password the
// cache reports works and is the same after a supervisor restart, it is on
// no command line, and the file that holds it is the user's alone.
func TestCacheRequiresPassword(t *testing.T) {
	t.Parallel()
	localtest.RequireProgram(t, "redis-server", "redis-server")
	ctx := localtest.Context(t, 60*time.Second)
	env := newCacheUnitEnv(t)
	c := newTestCache(t, env, "cache.sessions")
	v := applyCache(t, ctx, c, redisConfig(map[string]cty.Value{"replicas": cty.NumberIntVal(1)}))
	pw := v.GetAttr("password")
	if pw.IsNull() || len(pw.AsString()) != redisPasswordDigits {
		t.Fatalf("password = %#v, want %d generated hex digits", pw, redisPasswordDigits)
	}
	password := pw.AsString()
	ep := v.GetAttr("endpoint").AsString()

	got := localtest.RedisAsOtherUser(t, ep)
	for _, cmd := range []string{"SET", "FLUSHALL"} {
		if !strings.Contains(got, cmd+" answered: -NOAUTH") {
			t.Errorf("another user's %s was not refused with NOAUTH:\n%s", cmd, got)
		}
	}
	rc := localtest.RedisClient(t, ep, password)
	if err := rc.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET with the cache's password: %v", err)
	}
	if err := waitCacheHealthy(ctx, c); err != nil {
		t.Errorf("the replica does not follow its primary with the password: %v", err)
	}
	for _, pid := range c.pids() {
		cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if err == nil && strings.Contains(string(cmdline), password) {
			t.Errorf("process %d has the password on its command line: %q", pid, cmdline)
		}
	}
	info, err := os.Stat(c.data.authPath())
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != cacheFileMode {
		t.Errorf("%s has mode %o, want %o", c.data.authPath(), mode, cacheFileMode)
	}

	if err := c.Halt(ctx); err != nil {
		t.Fatal(err)
	}
	again := newTestCache(t, env, "cache.sessions")
	v = applyCache(t, ctx, again, redisConfig(map[string]cty.Value{"replicas": cty.NumberIntVal(1)}))
	if got := v.GetAttr("password"); got.IsNull() || got.AsString() != password {
		t.Errorf("after a supervisor restart the password changed")
	}
	if got := localtest.RedisClient(t, v.GetAttr("endpoint").AsString(), password).Get(ctx, "k").Val(); got != "v" {
		t.Errorf("GET k after the restart = %q, want v", got)
	}
}

// TestMemcachedSocketPath keeps a server's socket in its data directory,
// and in a private temporary directory when that path would be too long
// for a unix socket.
func TestMemcachedSocketPath(t *testing.T) {
	t.Parallel()
	short := t.TempDir()
	socket, tmp, err := memcachedSocket(short)
	if err != nil || tmp != "" || socket != filepath.Join(short, "memcached.sock") {
		t.Errorf("memcachedSocket(%s) = %s, %q, %v; want the socket in the directory itself", short, socket, tmp, err)
	}
	long := filepath.Join(short, strings.Repeat("d", 120))
	socket, tmp, err = memcachedSocket(long)
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	info, err := os.Stat(tmp)
	if err != nil || !info.IsDir() || info.Mode().Perm() != 0o700 || filepath.Dir(socket) != tmp || len(socket) > memcachedSocketMax {
		t.Errorf("memcachedSocket(long) = %s in %s (%v, %v); want a short path in a 0700 directory", socket, tmp, info, err)
	}
}
