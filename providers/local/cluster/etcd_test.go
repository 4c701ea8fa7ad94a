package cluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stagecraft/stagecraft/providers/local/internal/localtest"
	"github.com/stagecraft/stagecraft/providers/local/supervisor"
)

// etcdVoters lists the names of the cluster's voting members.
func etcdVoters(ctx context.Context, endpoints []string, creds localtest.Creds) ([]string, error) {
	cli, err := newEtcdClient(endpoints, creds.User, creds.Password)
	if err != nil {
		return nil, err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := cli.MemberList(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, m := range resp.Members {
		if !m.IsLearner {
			names = append(names, m.Name)
		}
	}
	return names, nil
}

// TestEtcdMemberKilled kills the leader of three members with SIGKILL: the
// other two elect a new one and keep serving writes, the cluster reports
// itself healthy with a quorum (not fully), and the next apply restarts
// the member from its data.
func TestEtcdMemberKilled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	c := newTestCoordinator(t, "", "coordinator.locks")
	cfg := localtest.Coordinator(engineEtcd, 3, nil)
	v := c.mustApply(t, ctx, cfg)
	eps := localtest.Endpoints(v)
	if len(eps) != 3 {
		t.Fatalf("endpoints %v, want 3", eps)
	}
	for _, ep := range eps {
		if !strings.HasPrefix(ep, "127.0.0.1:") {
			t.Errorf("endpoint %q is not host:port on 127.0.0.1", ep)
		}
	}
	if obs := c.Observe(ctx); !obs.Healthy || len(obs.Targets) != 3 || !strings.Contains(obs.Detail, "fully healthy") {
		t.Fatalf("observe a new cluster: %+v", obs)
	}

	// The leader, the harder case: the other two must elect a new one.
	cl := c.cluster.(*etcdCluster)
	var victim *clusterMember
	for _, m := range cl.snapshot() {
		if h, err := cl.checkMember(ctx, m); err == nil && h.leader {
			victim = m
		}
	}
	if victim == nil {
		t.Fatal("no member says it leads")
	}
	if err := syscall.Kill(victim.proc.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-victim.proc.Done()
	// A write sent in the moment before the others notice is lost with
	// the leader and times out, as with any etcd cluster; once they have
	// elected a new leader (an election timeout, one to two seconds),
	// every write succeeds.
	killed := time.Now()
	for {
		wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := localtest.EtcdPut(wctx, eps, localtest.CredsOf(v), "k", "first")
		cancel()
		if err == nil {
			break
		}
		if time.Since(killed) > 15*time.Second {
			t.Fatalf("no write succeeded in 15 s after the leader was killed: %v", err)
		}
	}
	t.Logf("writes succeed again %s after the leader was killed", time.Since(killed).Round(time.Millisecond))
	for i := range 5 {
		if err := localtest.EtcdPut(ctx, eps, localtest.CredsOf(v), "k", fmt.Sprint(i)); err != nil {
			t.Fatalf("write %d with a member killed: %v", i, err)
		}
	}
	obs := c.Observe(ctx)
	if !obs.Healthy || strings.Contains(obs.Detail, "fully") || !strings.Contains(obs.Detail, "2 of 3") {
		t.Errorf("observe with one member killed: healthy %v, %q; want healthy with 2 of 3", obs.Healthy, obs.Detail)
	}
	unhealthy := 0
	for _, tg := range obs.Targets {
		if !tg.Healthy {
			unhealthy++
			if !strings.HasPrefix(tg.ID, victim.Name+"@") {
				t.Errorf("target %s is unhealthy, want %s", tg.ID, victim.Name)
			}
		}
	}
	if unhealthy != 1 {
		t.Errorf("%d unhealthy targets, want 1: %+v", unhealthy, obs.Targets)
	}

	// The next apply restarts it; it catches up from its own data.
	c.mustApply(t, ctx, cfg)
	if obs := c.Observe(ctx); !obs.Healthy || !strings.Contains(obs.Detail, "fully healthy") {
		t.Errorf("observe after the apply that restarts the member: %+v", obs)
	}
	var restarted *clusterMember
	for _, m := range cl.snapshot() {
		if m.Name == victim.Name {
			restarted = m
		}
	}
	if got, err := localtest.EtcdGet(ctx, []string{supervisor.HostPort(restarted.ClientPort)}, localtest.CredsOf(v), "k"); err != nil || got != "4" {
		t.Errorf("read from the restarted member: %q, %v; want 4", got, err)
	}
}

// TestEtcdResizeKeepsWriting grows a cluster from three members to five and
// shrinks it back while a client writes every 50 ms: no write fails, the
// members change one at a time, and the data is all there at the end.
func TestEtcdResizeKeepsWriting(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	c := newTestCoordinator(t, "", "coordinator.locks")
	v := c.mustApply(t, ctx, localtest.Coordinator(engineEtcd, 3, nil))
	eps := localtest.Endpoints(v)

	creds := localtest.CredsOf(v)
	cli, err := newEtcdClient(eps, creds.User, creds.Password)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
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
			wctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			_, err := cli.Put(wctx, "counter", fmt.Sprint(i))
			cancel()
			writes.Add(1)
			if err != nil {
				failures.Add(1)
				firstFailure.CompareAndSwap(nil, fmt.Sprintf("write %d: %v", i, err))
			}
		}
	}()

	start := time.Now()
	v5 := c.mustApply(t, ctx, localtest.Coordinator(engineEtcd, 5, nil))
	if got := localtest.Endpoints(v5); len(got) != 5 {
		t.Errorf("after growing to 5: endpoints %v", got)
	}
	if voters, err := etcdVoters(ctx, eps, localtest.CredsOf(v)); err != nil || len(voters) != 5 {
		t.Errorf("after growing to 5: voting members %v, %v", voters, err)
	}
	v3 := c.mustApply(t, ctx, localtest.Coordinator(engineEtcd, 3, nil))
	t.Logf("3 -> 5 -> 3 took %s", time.Since(start).Round(time.Millisecond))
	close(stop)
	wg.Wait()

	if n := failures.Load(); n > 0 {
		t.Errorf("%d of %d writes failed during the resize; the first: %v", n, writes.Load(), firstFailure.Load())
	}
	if writes.Load() < 20 {
		t.Errorf("only %d writes ran during the resize", writes.Load())
	}
	got := localtest.Endpoints(v3)
	if len(got) != 3 {
		t.Fatalf("after shrinking to 3: endpoints %v", got)
	}
	voters, err := etcdVoters(ctx, got, localtest.CredsOf(v))
	if err != nil || len(voters) != 3 {
		t.Errorf("after shrinking to 3: voting members %v, %v", voters, err)
	}
	if len(c.pids()) != 3 {
		t.Errorf("%d member processes run after shrinking to 3", len(c.pids()))
	}
	// The removed members' data is gone; the rest is kept.
	entries, _ := os.ReadDir(c.data.dir)
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	if len(dirs) != 3 {
		t.Errorf("member directories after shrinking to 3: %v", dirs)
	}
	if _, err := localtest.EtcdGet(ctx, got, localtest.CredsOf(v), "counter"); err != nil {
		t.Errorf("read after the resize: %v", err)
	}
}

// TestEtcdHaltKeepsData halts a cluster (as a stopping supervisor does)
// and creates it again at the same address: the members restart from
// their data, as the same cluster, with the keys written before.
// Stopping it then removes the processes and the data.
func TestEtcdHaltKeepsData(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	first := newTestCoordinator(t, dir, "coordinator.locks")
	v := first.mustApply(t, ctx, localtest.Coordinator(engineEtcd, 3, nil))
	if err := localtest.EtcdPut(ctx, localtest.Endpoints(v), localtest.CredsOf(v), "kept", "yes"); err != nil {
		t.Fatal(err)
	}
	clusterID := first.cluster.(*etcdCluster).record().ClusterID
	pids := first.pids()
	if err := first.Halt(ctx); err != nil {
		t.Fatal(err)
	}
	localtest.ExpectGone(t, pids)
	if _, err := os.Stat(first.data.dir); err != nil {
		t.Fatalf("halt removed the data: %v", err)
	}

	second := newTestCoordinator(t, dir, "coordinator.locks")
	v = second.mustApply(t, ctx, localtest.Coordinator(engineEtcd, 3, nil))
	if second.data.dir != first.data.dir {
		t.Errorf("the new cluster runs on %s, not on the halted one's data %s", second.data.dir, first.data.dir)
	}
	if got := second.cluster.(*etcdCluster).record().ClusterID; got != clusterID {
		t.Errorf("cluster id %s after the restart, want %s", got, clusterID)
	}
	if got, err := localtest.EtcdGet(ctx, localtest.Endpoints(v), localtest.CredsOf(v), "kept"); err != nil || got != "yes" {
		t.Errorf("read a key written before the halt: %q, %v", got, err)
	}

	pids = second.pids()
	if err := second.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	localtest.ExpectGone(t, pids)
	if _, err := os.Stat(second.env.DataDir("coordinator.locks")); !os.IsNotExist(err) {
		t.Errorf("the data directory is left after stop (stat: %v)", err)
	}
}

// TestEtcdMemberWillNotStart breaks a member's data so that it exits at
// once: the apply that restarts it fails with its exit status and the end
// of its log, the other two keep serving, and an apply that shrinks the
// cluster removes the broken member and succeeds.
func TestEtcdMemberWillNotStart(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	c := newTestCoordinator(t, "", "coordinator.locks")
	cfg := localtest.Coordinator(engineEtcd, 3, nil)
	v := c.mustApply(t, ctx, cfg)
	victim := c.cluster.(*etcdCluster).snapshot()[1]
	victim.proc.Stop(time.Second)
	memberDir := c.data.memberDir(victim.Name)
	if err := os.RemoveAll(memberDir); err != nil {
		t.Fatal(err)
	}
	// A file where the data directory should be.
	if err := os.WriteFile(memberDir, []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := c.Apply(ctx, cfg)
	if err == nil {
		t.Fatal("apply with a member that cannot start succeeded")
	}
	for _, want := range []string{"etcd member " + victim.Name, "exited with status", filepath.Base(victim.proc.Log)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q:\n%v", want, err)
		}
	}
	if err := localtest.EtcdPut(ctx, localtest.Endpoints(v), localtest.CredsOf(v), "still", "serving"); err != nil {
		t.Errorf("write with one member down: %v", err)
	}
	if obs := c.Observe(ctx); !obs.Healthy {
		t.Errorf("observe with one member down: %+v", obs)
	}

	// Shrinking to one member removes the broken one (members that do
	// not run go first), so that apply succeeds.
	v = c.mustApply(t, ctx, localtest.Coordinator(engineEtcd, 1, nil))
	for _, m := range c.cluster.(*etcdCluster).snapshot() {
		if m.Name == victim.Name {
			t.Errorf("the broken member %s is still a member after shrinking", victim.Name)
		}
	}
	if voters, err := etcdVoters(ctx, localtest.Endpoints(v), localtest.CredsOf(v)); err != nil || len(voters) != 1 {
		t.Errorf("voting members after shrinking to 1: %v, %v", voters, err)
	}
	if got, err := localtest.EtcdGet(ctx, localtest.Endpoints(v), localtest.CredsOf(v), "still"); err != nil || got != "serving" {
		t.Errorf("read after shrinking: %q, %v", got, err)
	}
}

// TestRunEtcdMemberFlags checks that a member refuses flags it cannot
// run with, before starting anything.
func TestRunEtcdMemberFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := etcdMemberFlags{
		name: "m1", dataDir: filepath.Join(dir, "m1"), clientURL: "http://127.0.0.1:1", peerURL: "http://127.0.0.1:2",
		initialCluster: "m1=http://127.0.0.1:2", state: "new", token: "t",
	}
	tests := map[string]struct {
		change func(*etcdMemberFlags)
		want   string
	}{
		"no name":         {func(f *etcdMemberFlags) { f.name = "" }, "missing --name"},
		"bad state":       {func(f *etcdMemberFlags) { f.state = "joining" }, "use new or existing"},
		"not loopback":    {func(f *etcdMemberFlags) { f.clientURL = "http://10.0.0.1:2379" }, "loopback"},
		"no port":         {func(f *etcdMemberFlags) { f.peerURL = "http://127.0.0.1" }, "loopback"},
		"https":           {func(f *etcdMemberFlags) { f.peerURL = "https://127.0.0.1:2" }, "http URL"},
		"no data dir":     {func(f *etcdMemberFlags) { f.dataDir = "" }, "missing --data-dir"},
		"initial cluster": {func(f *etcdMemberFlags) { f.initialCluster = "" }, "missing --initial-cluster"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := good
			tc.change(&f)
			err := RunEtcdMember(t.Context(), f.args())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("RunEtcdMember(%v) = %v, want an error containing %q", f.args(), err, tc.want)
			}
		})
	}
	if err := RunEtcdMember(t.Context(), append(good.args(), "extra")); err == nil || !strings.Contains(err.Error(), "unexpected arguments") {
		t.Errorf("RunEtcdMember with an extra argument = %v", err)
	}
}
