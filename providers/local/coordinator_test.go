package local

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/providertest"
)

// coordinatorValue is a coordinator's desired value.
func coordinatorValue(engine string, members int, extra map[string]cty.Value) cty.Value {
	schema, _ := kinds.Schema(kinds.Coordinator)
	attrs := map[string]cty.Value{"engine": cty.StringVal(engine), "members": cty.NumberIntVal(int64(members))}
	for k, v := range extra {
		attrs[k] = v
	}
	return providertest.Desired(schema.ForProvider(Name), attrs)
}

// haveZooKeeper reports whether ZooKeeper can run here. Without it a test
// skips, saying so, except under CI=true, where it fails.
func haveZooKeeper(t *testing.T) bool {
	t.Helper()
	if _, err := findZooKeeper(defaultZooKeeper()); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and ZooKeeper cannot run: %v", err)
		}
		return false
	}
	return true
}

// testCoordinator is a coordinator unit run by the test process itself
// (not through a supervisor), so the test can reach its processes.
type testCoordinator struct {
	*coordinator
	env *unitEnv
}

// newTestCoordinator builds a coordinator in an environment directory dir
// (a new one when empty). Cleanup stops it and checks that no member
// process is left.
func newTestCoordinator(t *testing.T, dir, address string) *testCoordinator {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	env := &unitEnv{paths: envPaths{Dir: dir}, stackDir: dir}
	c := newCoordinator(env, "coord-"+randomID(8), address).(*coordinator)
	tc := &testCoordinator{coordinator: c, env: env}
	t.Cleanup(func() {
		if t.Failed() {
			logMemberTails(t, c)
		}
		pids := c.pids()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := c.stop(ctx); err != nil {
			t.Errorf("stop %s: %v", address, err)
		}
		expectMembersGone(t, pids)
	})
	return tc
}

// logMemberTails logs the end of every member's log, to tell why a test
// failed.
func logMemberTails(t *testing.T, c *coordinator) {
	c.mu.Lock()
	data := c.data
	c.mu.Unlock()
	if data == nil {
		return
	}
	logs, _ := filepath.Glob(filepath.Join(c.env.paths.Logs(), sanitize(c.address), filepath.Base(data.dir)+"-*.log"))
	for _, l := range logs {
		t.Logf("the end of %s:\n%s", l, tail(l, 30))
	}
}

// mustApply applies cfg and fails the test on an error.
func (tc *testCoordinator) mustApply(t *testing.T, ctx context.Context, cfg cty.Value) cty.Value {
	t.Helper()
	v, err := tc.apply(ctx, cfg)
	if err != nil {
		t.Fatalf("apply %s: %v", renderCoordinator(cfg), err)
	}
	return v
}

// coordinatorEndpoints lists a value's endpoints.
func coordinatorEndpoints(v cty.Value) []string {
	var out []string
	for _, e := range v.GetAttr("endpoints").AsValueSlice() {
		out = append(out, e.AsString())
	}
	return out
}

// renderCoordinator shows the settings of a value in messages.
func renderCoordinator(v cty.Value) string {
	if v == cty.NilVal || v.IsNull() {
		return "null"
	}
	var parts []string
	for _, k := range []string{"engine", "members"} {
		if v.Type().HasAttribute(k) {
			a := v.GetAttr(k)
			switch {
			case a.IsNull():
				parts = append(parts, k+"=null")
			case a.Type() == cty.String:
				parts = append(parts, k+"="+a.AsString())
			default:
				parts = append(parts, k+"="+a.AsBigFloat().String())
			}
		}
	}
	return "{" + strings.Join(parts, " ") + "}"
}

// expectMembersGone fails when any of pids still runs.
func expectMembersGone(t *testing.T, pids []int) {
	t.Helper()
	for _, pid := range pids {
		deadline := time.Now().Add(15 * time.Second)
		for syscall.Kill(pid, 0) == nil && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("member process %d still runs after stop (kill -0: %v)", pid, err)
		}
	}
}

// TestCoordinatorConformance runs the conformance suite on etcd through a
// supervisor: created with one member, updated to three (two members
// join, one at a time), replaced by a ZooKeeper ensemble at the same
// address (created before the etcd cluster is deleted, so both live side
// by side for a moment), rejected with four members.
func TestCoordinatorConformance(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	replaced := coordinatorValue(engineZooKeeper, 1, nil)
	if !haveZooKeeper(t) {
		// The engine cannot be replaced without ZooKeeper; the network
		// forces a replacement too, so the replace step still runs.
		t.Log("ZooKeeper is not installed (apt-get install zookeeper): the replace step replaces etcd with etcd on another network instead of with ZooKeeper")
		replaced = coordinatorValue(engineEtcd, 3, map[string]cty.Value{"network": cty.StringVal("network.other")})
	}
	providertest.Run(t, e.p, providertest.Config{
		Stack: "test", Environment: "dev", Timeout: 3 * time.Minute,
		Fixtures: map[string]providertest.Fixture{
			kinds.Coordinator: {
				Desired:  coordinatorValue(engineEtcd, 1, nil),
				Updated:  coordinatorValue(engineEtcd, 3, nil),
				Replaced: replaced,
				Invalid:  coordinatorValue(engineEtcd, 4, nil),
			},
		},
	})
	// Deleting the coordinator removed its data.
	dir := filepath.Join(newEnvPaths(e.dataDir, "dev").Data(), "coordinator.conformance")
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		entries, _ := os.ReadDir(dir)
		t.Errorf("the data directory %s is left after delete (%d entries, stat: %v)", dir, len(entries), err)
	}
}

// TestCoordinatorSettings checks that the supervisor rejects what the
// stack language would, with the reason.
func TestCoordinatorSettings(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		cfg  cty.Value
		want string
	}{
		"even members":   {coordinatorValue(engineEtcd, 4, nil), "cannot form a safe quorum"},
		"too many":       {coordinatorValue(engineEtcd, 9, nil), "cannot form a safe quorum"},
		"unknown engine": {coordinatorValue("consul", 3, nil), "engine"},
		"null":           {cty.NullVal(cty.DynamicPseudoType), "null"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, _, err := coordinatorSettings(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("coordinatorSettings(%s) = %v, want an error containing %q", renderCoordinator(tc.cfg), err, tc.want)
			}
		})
	}
	if engine, n, err := coordinatorSettings(coordinatorValue(engineZooKeeper, 5, nil)); err != nil || engine != engineZooKeeper || n != 5 {
		t.Errorf("coordinatorSettings(zookeeper, 5) = %q, %d, %v", engine, n, err)
	}
}

// TestZooKeeperMissing checks the message a user without ZooKeeper sees.
func TestZooKeeperMissing(t *testing.T) {
	t.Parallel()
	in := defaultZooKeeper()
	in.jar = filepath.Join(t.TempDir(), "zookeeper.jar")
	_, err := findZooKeeper(in)
	if err == nil || !strings.Contains(err.Error(), "apt-get install zookeeper") || !strings.Contains(err.Error(), "Java") {
		t.Errorf("findZooKeeper without the jar: %v; want the package to install (zookeeper) and that it needs Java", err)
	}
	if err := os.WriteFile(in.jar, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	in.java = "no-such-java-binary"
	_, err = findZooKeeper(in)
	if err == nil || !strings.Contains(err.Error(), "Java is not") {
		t.Errorf("findZooKeeper without java: %v; want a message that Java is missing", err)
	}
}

// childPIDs lists the processes whose parent is ppid.
func childPIDs(t *testing.T, ppid int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc to find the supervisor's children in: %v", err)
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so read after
		// its closing parenthesis.
		fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(ppid) {
			out = append(out, pid)
		}
	}
	return out
}

// TestCoordinatorSurvivesSupervisorRestart kills the supervisor with
// SIGKILL: its etcd members die with it, and the next create at the same
// address (by a new supervisor) restarts them from their data, keys
// included. Deleting it then stops every member.
func TestCoordinatorSurvivesSupervisorRestart(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	e := newTestEnv(t)
	k := e.kind(kinds.Coordinator)
	ref := e.ref(kinds.Coordinator, "locks")
	cfg := coordinatorValue(engineEtcd, 3, nil)
	v, err := k.Create(ctx, ref, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := etcdPut(ctx, coordinatorEndpoints(v), "kept", "yes"); err != nil {
		t.Fatal(err)
	}
	sup := e.supervisorPID()
	members := childPIDs(t, sup)
	if len(members) != 3 {
		t.Fatalf("the supervisor runs %d child processes, want 3 members: %v", len(members), members)
	}
	if err := syscall.Kill(sup, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	expectMembersGone(t, members)

	fresh := newTestEnvSameDir(t, e)
	fk := fresh.kind(kinds.Coordinator)
	v2, err := fk.Create(ctx, ref, cfg)
	if err != nil {
		t.Fatalf("create after the supervisor was killed: %v", err)
	}
	if got, err := etcdGet(ctx, coordinatorEndpoints(v2), "kept"); err != nil || got != "yes" {
		t.Errorf("read a key written before the supervisor was killed: %q, %v", got, err)
	}
	members = childPIDs(t, fresh.supervisorPID())
	ref.ID = v2.GetAttr("id").AsString()
	if err := fk.Delete(ctx, ref, v2); err != nil {
		t.Fatal(err)
	}
	expectMembersGone(t, members)
	if _, err := os.Stat(filepath.Join(newEnvPaths(e.dataDir, "dev").Data(), "coordinator.locks")); !os.IsNotExist(err) {
		t.Errorf("the data directory is left after delete (stat: %v)", err)
	}
}
