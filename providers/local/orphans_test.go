package local

import (
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/local/internal/localtest"
	"github.com/stagecraft/stagecraft/providers/local/supervisor"
)

// wrappedGroup is a group of two instances, each a shell that starts the
// demo app as its child and waits (as `go run` does): the app is a
// grandchild of the supervisor, which the kernel does not kill with it.
func (e *groupTestEnv) wrappedGroup(t *testing.T) cty.Value {
	t.Helper()
	script := strconv.Quote(demoApp(t)) + " & wait"
	return e.groupConfig(t, cfgAttrs{"local": cty.ObjectVal(cfgAttrs{
		"command": cty.ListVal([]cty.Value{cty.StringVal("sh"), cty.StringVal("-c"), cty.StringVal(script)}),
	})})
}

// processGroups lists the process groups of pids.
func processGroups(pids []int) map[int]bool {
	out := map[int]bool{}
	for _, pid := range pids {
		if f, err := supervisor.ProcStat(pid); err == nil && len(f) > 2 {
			if pgid, err := strconv.Atoi(f[2]); err == nil {
				out[pgid] = true
			}
		}
	}
	return out
}

// liveGroups lists the groups of groups that still have a process.
func liveGroups(groups map[int]bool) []int {
	var out []int
	for pgid := range groups {
		if syscall.Kill(-pgid, 0) == nil {
			out = append(out, pgid)
		}
	}
	return out
}

// killSupervisor kills the running supervisor with SIGKILL and waits for
// it to go.
func (e *groupTestEnv) killSupervisor(t *testing.T) {
	t.Helper()
	sup := e.supervisorPID()
	if sup == 0 {
		t.Fatal("no supervisor runs")
	}
	if err := syscall.Kill(sup, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	e.waitFor(t, 10*time.Second, "the killed supervisor to go", func() bool { return !procAlive(sup) })
}

// orphansAfterKill kills the supervisor of a wrapped group and returns
// the instance processes it left running, failing the test when there
// are none (then there is nothing to check).
func (e *groupTestEnv) orphansAfterKill(t *testing.T, before []int) []int {
	t.Helper()
	e.killSupervisor(t)
	// The shells die with the supervisor; their apps stay.
	e.waitFor(t, 10*time.Second, "the shells to die with the supervisor", func() bool {
		return len(taggedProcesses(e.tag)) < len(before)
	})
	orphans := taggedProcesses(e.tag)
	if len(orphans) == 0 {
		t.Fatal("no instance process outlived the supervisor: the wrapper did not fork")
	}
	for _, pid := range orphans {
		if f, err := supervisor.ProcStat(pid); err == nil {
			t.Logf("left running: pid %d, parent %s, group %s", pid, f[1], f[2])
		}
	}
	return orphans
}

// TestKilledSupervisorLeavesNoOrphans runs a group through a wrapper,
// kills the supervisor with SIGKILL (the apps outlive it with a new
// parent), and applies again: the new supervisor stops the old processes
// from its registry, and deleting the group leaves no process in any of
// the groups the instances ran in.
func TestKilledSupervisorLeavesNoOrphans(t *testing.T) {
	t.Parallel()
	e := newGroupTestEnv(t, 2*time.Minute)
	cfg := e.wrappedGroup(t)
	ref, _ := e.create(t, kinds.AutoscalingGroup, "app", cfg)
	before := taggedProcesses(e.tag)
	groups := processGroups(before)
	orphans := e.orphansAfterKill(t, before)

	fresh := newTestEnvSameDir(t, e.testEnv)
	k := fresh.kind(kinds.AutoscalingGroup)
	v, err := k.Create(e.ctx, providers.Ref{Address: ref.Address, Kind: ref.Kind, Stack: ref.Stack, Environment: ref.Environment}, cfg)
	if err != nil {
		t.Fatalf("apply after the supervisor was killed: %v", err)
	}
	localtest.ExpectGone(t, orphans)
	now := taggedProcesses(e.tag)
	for pgid := range processGroups(now) {
		groups[pgid] = true
	}
	t.Logf("%d processes left by the killed supervisor were stopped; %d run for the new one", len(orphans), len(now))

	ref.ID = v.GetAttr("id").AsString()
	if err := k.Delete(e.ctx, ref, v); err != nil {
		t.Fatal(err)
	}
	e.waitFor(t, 15*time.Second, "every process group of the instances to end", func() bool { return len(liveGroups(groups)) == 0 })
}

// TestDestroyAfterKilledSupervisor kills the supervisor of a wrapped
// group and destroys without applying again: with no supervisor running,
// the delete stops what the killed one left, by its registry.
func TestDestroyAfterKilledSupervisor(t *testing.T) {
	t.Parallel()
	e := newGroupTestEnv(t, 2*time.Minute)
	ref, v := e.create(t, kinds.AutoscalingGroup, "app", e.wrappedGroup(t))
	before := taggedProcesses(e.tag)
	groups := processGroups(before)
	orphans := e.orphansAfterKill(t, before)
	fresh := newTestEnvSameDir(t, e.testEnv)
	if err := fresh.kind(kinds.AutoscalingGroup).Delete(e.ctx, ref, v); err != nil {
		t.Fatalf("destroy after the supervisor was killed: %v", err)
	}
	localtest.ExpectGone(t, orphans)
	if left := liveGroups(groups); len(left) > 0 {
		t.Errorf("process groups %v still run after destroy", left)
	}
	if pid := fresh.supervisorPID(); pid != 0 && procAlive(pid) {
		t.Errorf("destroy started a supervisor (pid %d)", pid)
	}
}

// TestRemovedStackDirStopsEverything removes the stack directory under a
// running supervisor: it stops its processes and exits within 30 s.
func TestRemovedStackDirStopsEverything(t *testing.T) {
	t.Parallel()
	e := newGroupTestEnv(t, 2*time.Minute)
	e.create(t, kinds.AutoscalingGroup, "app", e.wrappedGroup(t))
	sup := e.supervisorPID()
	groups := processGroups(taggedProcesses(e.tag))
	if err := os.RemoveAll(e.stackDir); err != nil {
		t.Fatal(err)
	}
	took := e.waitFor(t, 30*time.Second, "the supervisor and its processes to stop", func() bool {
		return !procAlive(sup) && len(liveGroups(groups)) == 0
	})
	t.Logf("everything stopped %s after the stack directory was removed", took.Round(100*time.Millisecond))
	if _, err := os.Stat(e.stackDir); err == nil {
		t.Error("the supervisor made the removed stack directory again")
	}
}

// TestRemovedDataDirGetsOneSupervisor removes .stagecraft under a running
// supervisor whose load balancer holds a fixed port, and applies again at
// once: the old supervisor goes, the new one binds the same port, and one
// supervisor runs for the directory.
func TestRemovedDataDirGetsOneSupervisor(t *testing.T) {
	t.Parallel()
	e := newGroupTestEnv(t, 2*time.Minute)
	port, err := supervisor.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	group := e.groupConfig(t, nil)
	app, _ := e.create(t, kinds.AutoscalingGroup, "app", group)
	lb := e.lbConfig(port, []any{"/*", app.Address})
	e.create(t, kinds.LoadBalancer, "edge", lb)
	old := e.supervisorPID()
	if err := os.RemoveAll(e.dataDir); err != nil {
		t.Fatal(err)
	}
	fresh := newTestEnvSameDir(t, e.testEnv)
	for _, c := range []struct {
		kind, name string
		cfg        cty.Value
	}{{kinds.AutoscalingGroup, "app", group}, {kinds.LoadBalancer, "edge", lb}} {
		if _, err := fresh.kind(c.kind).Create(e.ctx, fresh.ref(c.kind, c.name), c.cfg); err != nil {
			t.Fatalf("create %s.%s after .stagecraft was removed: %v", c.kind, c.name, err)
		}
	}
	if procAlive(old) {
		t.Errorf("the supervisor of the removed directory (pid %d) still runs", old)
	}
	if sups := supervisorsOf(supervisor.NewPaths(e.dataDir, "dev").Dir); len(sups) != 1 {
		t.Errorf("supervisors of the directory: %v, want one", sups)
	}
}
