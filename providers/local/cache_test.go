package local

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/local/internal/localtest"
	"github.com/stagecraft/stagecraft/providers/local/supervisor"
	"github.com/stagecraft/stagecraft/providers/providertest"
)

// TestCacheConformance runs the provider conformance suite for caches
// through a real supervisor: redis created, its memory changed in place,
// replaced by memcached, deleted; memcached with replicas rejected.
func TestCacheConformance(t *testing.T) {
	t.Parallel()
	localtest.RequireProgram(t, "redis-server", "redis-server")
	localtest.RequireProgram(t, "memcached", "memcached")
	e := newTestEnv(t)
	schema := e.kind(kinds.Cache).Schema()
	providertest.Run(t, e.p, providertest.Config{
		Timeout: 60 * time.Second,
		Fixtures: map[string]providertest.Fixture{
			kinds.Cache: {
				Desired:  providertest.Desired(schema, map[string]cty.Value{"engine": cty.StringVal("redis"), "memory_mb": cty.NumberIntVal(32)}),
				Updated:  providertest.Desired(schema, map[string]cty.Value{"engine": cty.StringVal("redis"), "memory_mb": cty.NumberIntVal(48)}),
				Replaced: providertest.Desired(schema, map[string]cty.Value{"engine": cty.StringVal("memcached"), "memory_mb": cty.NumberIntVal(48)}),
				Invalid:  providertest.Desired(schema, map[string]cty.Value{"engine": cty.StringVal("memcached"), "replicas": cty.NumberIntVal(1)}),
			},
		},
	})
}

// TestCacheRedisMissing checks, through a real supervisor, that a redis
// cache on a machine without redis-server fails to create with an error
// naming the Debian package, and leaves nothing behind. It sets the
// environment the supervisor inherits, so it cannot run in parallel.
func TestCacheRedisMissing(t *testing.T) {
	t.Setenv("STAGECRAFT_REDIS_SERVER", "/nonexistent/redis-server")
	e := newTestEnv(t)
	ctx := localtest.Context(t, 30*time.Second)
	k := e.kind(kinds.Cache)
	ref := e.ref(kinds.Cache, "sessions")
	_, err := k.Create(ctx, ref, providertest.Desired(k.Schema(), map[string]cty.Value{"engine": cty.StringVal("redis")}))
	if err == nil || !strings.Contains(err.Error(), "install the Debian package redis-server (apt-get install redis-server)") {
		t.Fatalf("create without redis-server: %v, want an error naming the package", err)
	}
	found, err := k.(providers.Discoverer).Discover(ctx, "test", "dev")
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 0 {
		t.Errorf("a failed create left %v", found)
	}
}

// TestCacheSupervisorRestart checks the whole path of a supervisor
// restart: stopping the supervisor stops redis-server after it saves,
// a cache created again at the same address has the keys, and deleting it
// removes its data directory.
func TestCacheSupervisorRestart(t *testing.T) {
	t.Parallel()
	localtest.RequireProgram(t, "redis-server", "redis-server")
	e := newTestEnv(t)
	ctx := localtest.Context(t, 45*time.Second)
	k := e.kind(kinds.Cache)
	ref := e.ref(kinds.Cache, "sessions")
	desired := providertest.Desired(k.Schema(), map[string]cty.Value{"engine": cty.StringVal("redis"), "memory_mb": cty.NumberIntVal(32)})
	v, err := k.Create(ctx, ref, desired)
	if err != nil {
		t.Fatal(err)
	}
	rc := localtest.RedisClient(t, v.GetAttr("endpoint").AsString(), v.GetAttr("password").AsString())
	if err := rc.Set(ctx, "session:7", "alive", 0).Err(); err != nil {
		t.Fatal(err)
	}
	var pid int
	fmt.Sscan(rc.InfoMap(ctx, "server").Item("Server", "process_id"), &pid)
	rc.Close()
	if pid == 0 {
		t.Fatal("INFO server gave no process_id")
	}
	e.stopSupervisor()
	localtest.CheckPIDsGone(t, []int{pid})

	v, err = k.Create(ctx, ref, desired)
	if err != nil {
		t.Fatalf("create after the restart: %v", err)
	}
	ref.ID = v.GetAttr("id").AsString()
	if got := localtest.RedisClient(t, v.GetAttr("endpoint").AsString(), v.GetAttr("password").AsString()).Get(ctx, "session:7").Val(); got != "alive" {
		t.Errorf("GET session:7 after the supervisor restarted = %q, want alive", got)
	}
	if err := k.Delete(ctx, ref, v); err != nil {
		t.Fatal(err)
	}
	data := (&supervisor.Env{Paths: supervisor.NewPaths(e.dataDir, "dev")}).DataDir(ref.Address)
	if _, err := os.Stat(data); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("delete left %s (stat: %v)", data, err)
	}
}
