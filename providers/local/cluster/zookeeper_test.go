package cluster

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/stagecraft/stagecraft/providers/local/internal/localtest"
)

// zkConnect is a client session with the servers at endpoints,
// authenticated with creds.
func zkConnect(t *testing.T, ctx context.Context, endpoints []string, creds localtest.Creds) *zk.Conn {
	t.Helper()
	conn, events, err := zk.Connect(endpoints, 10*time.Second, zk.WithLogger(zkQuietLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	for conn.State() != zk.StateHasSession {
		select {
		case <-ctx.Done():
			t.Fatalf("connect to %v: %v", endpoints, ctx.Err())
		case <-events:
		}
	}
	if err := conn.AddAuth("digest", []byte(creds.User+":"+creds.Password)); err != nil {
		t.Fatalf("authenticate as %s: %v", creds.User, err)
	}
	return conn
}

// zkRoles asks every endpoint ruok and srvr, and returns each one's mode.
func zkRoles(t *testing.T, ctx context.Context, endpoints []string) []string {
	t.Helper()
	var modes []string
	for _, ep := range endpoints {
		var port int
		if _, err := fmt.Sscanf(ep, "127.0.0.1:%d", &port); err != nil {
			t.Fatalf("endpoint %q: %v", ep, err)
		}
		if ok, err := fourLetter(ctx, port, "ruok"); err != nil || ok != "imok" {
			t.Errorf("ruok to %s: %q, %v; want imok", ep, ok, err)
		}
		mode, err := zkMode(ctx, port)
		if err != nil {
			t.Errorf("srvr to %s: %v", ep, err)
		}
		modes = append(modes, mode)
	}
	return modes
}

// TestZooKeeperEnsemble runs an ensemble of three: every server answers
// ruok and one leads; it grows to five and shrinks back to three by
// reconfig while a client writes every 50 ms without a failure (a quorum
// serves throughout); it restarts from its data after a halt; and stop
// leaves no process and no data.
func TestZooKeeperEnsemble(t *testing.T) {
	t.Parallel()
	if !haveZooKeeper(t) {
		t.Skip("ZooKeeper is not installed; install the Debian package zookeeper (apt-get install zookeeper) to run this test")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	c := newTestCoordinator(t, dir, "coordinator.zk")
	start := time.Now()
	v := c.mustApply(t, ctx, localtest.Coordinator(engineZooKeeper, 3, nil))
	t.Logf("an ensemble of 3 was ready in %s", time.Since(start).Round(time.Millisecond))
	eps := localtest.Endpoints(v)
	if len(eps) != 3 {
		t.Fatalf("endpoints %v, want 3", eps)
	}
	modes := zkRoles(t, ctx, eps)
	if n := strings.Count(strings.Join(modes, " "), "leader"); n != 1 {
		t.Errorf("modes %v: want exactly one leader", modes)
	}
	if obs := c.Observe(ctx); !obs.Healthy || len(obs.Targets) != 3 || !strings.Contains(obs.Detail, "fully healthy") {
		t.Errorf("observe: %+v", obs)
	}

	creds := localtest.CredsOf(v)
	conn := zkConnect(t, ctx, eps, creds)
	if _, err := conn.Create("/kept", []byte("yes"), 0, zk.AuthACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Create("/counter", nil, 0, zk.AuthACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	var writes, failures atomic.Int64
	var firstFailure atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			_, err := conn.Set("/counter", []byte(fmt.Sprint(i)), -1)
			writes.Add(1)
			if err != nil {
				failures.Add(1)
				firstFailure.CompareAndSwap(nil, fmt.Sprintf("write %d: %v", i, err))
			}
		}
	}()
	start = time.Now()
	v5 := c.mustApply(t, ctx, localtest.Coordinator(engineZooKeeper, 5, nil))
	if got := localtest.Endpoints(v5); len(got) != 5 {
		t.Errorf("after growing to 5: endpoints %v", got)
	} else if modes := zkRoles(t, ctx, got); strings.Count(strings.Join(modes, " "), "leader") != 1 {
		t.Errorf("after growing to 5: modes %v, want one leader", modes)
	}
	v3 := c.mustApply(t, ctx, localtest.Coordinator(engineZooKeeper, 3, nil))
	t.Logf("3 -> 5 -> 3 took %s", time.Since(start).Round(time.Millisecond))
	close(stop)
	wg.Wait()
	if n := failures.Load(); n > 0 {
		t.Errorf("%d of %d writes failed during the resize; the first: %v", n, writes.Load(), firstFailure.Load())
	}
	if writes.Load() < 20 {
		t.Errorf("only %d writes ran during the resize", writes.Load())
	}
	eps = localtest.Endpoints(v3)
	if len(eps) != 3 || len(c.pids()) != 3 {
		t.Fatalf("after shrinking to 3: endpoints %v, %d processes", eps, len(c.pids()))
	}
	cfg, _, err := conn.Get("/zookeeper/config")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(cfg), "server."); n != 3 {
		t.Errorf("the ensemble's configuration lists %d servers, want 3:\n%s", n, cfg)
	}
	conn.Close()

	// Halt and create again: the same ensemble, with its data.
	pids := c.pids()
	if err := c.Halt(ctx); err != nil {
		t.Fatal(err)
	}
	localtest.ExpectGone(t, pids)
	again := newTestCoordinator(t, dir, "coordinator.zk")
	v = again.mustApply(t, ctx, localtest.Coordinator(engineZooKeeper, 3, nil))
	if again.data.dir != c.data.dir {
		t.Errorf("the new ensemble runs on %s, not on the halted one's data %s", again.data.dir, c.data.dir)
	}
	if localtest.CredsOf(v) != creds {
		t.Error("the credentials changed across the halt")
	}
	conn = zkConnect(t, ctx, localtest.Endpoints(v), creds)
	if got, _, err := conn.Get("/kept"); err != nil || string(got) != "yes" {
		t.Errorf("read a znode written before the halt: %q, %v", got, err)
	}
	conn.Close()

	pids = again.pids()
	if err := again.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	localtest.ExpectGone(t, pids)
	if _, err := os.Stat(again.env.DataDir("coordinator.zk")); !os.IsNotExist(err) {
		t.Errorf("the data directory is left after stop (stat: %v)", err)
	}
}
