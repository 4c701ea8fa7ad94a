package local

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/local/group"
	"github.com/stagecraft/stagecraft/providers/local/supervisor"
)

// TestGroupReplacesFailedInstances makes one instance fail its health
// check and kills another with SIGKILL while a load generator runs through
// a load balancer: each is replaced within the health-check window, no
// request that starts after the group reports an instance unhealthy
// reaches it, and only requests in flight at the kill fail.
func TestGroupReplacesFailedInstances(t *testing.T) {
	t.Parallel()
	e := newGroupTestEnv(t, time.Minute)
	app, _ := e.create(t, kinds.AutoscalingGroup, "app", e.groupConfig(t, nil))
	_, v := e.create(t, kinds.LoadBalancer, "edge", e.lbConfig(0, []any{"/*", app.Address}))
	base := v.GetAttr("url").AsString()
	c := loopbackClient()
	// The health check: 200ms interval, 2 failures to be unhealthy, 2
	// passes to be healthy; the window leaves room for a slow machine.
	const window = 5 * time.Second

	const workers = 3
	l := startLoad(e.ctx, base, workers, 5*time.Millisecond, "/")
	defer l.stop()

	// A sick instance: alive, but failing /healthz.
	sick, err := getHello(c, base+"/")
	if err != nil || sick.instance == "" {
		t.Fatalf("GET /: %+v, %v", sick, err)
	}
	if r, err := getHello(c, "http://127.0.0.1:"+sick.port+"/sick"); err != nil || r.status != http.StatusOK {
		t.Fatalf("make %s sick: %+v, %v", sick.instance, r, err)
	}
	var out time.Time
	e.waitFor(t, window, sick.instance+" reported unhealthy", func() bool {
		if healthyTargets(e.observe(t, app))[sick.instance] {
			return false
		}
		out = time.Now()
		return true
	})
	e.waitFor(t, window, sick.instance+" replaced", func() bool {
		h := healthyTargets(e.observe(t, app))
		return len(h) == 2 && !h[sick.instance]
	})

	// A dead instance.
	var victim helloReply
	for victim.instance == "" || victim.instance == sick.instance {
		if victim, err = getHello(c, base+"/"); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Kill(victim.pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill %s (pid %d): %v", victim.instance, victim.pid, err)
	}
	killed := time.Now()
	took := e.waitFor(t, window, victim.instance+" replaced", func() bool {
		h := healthyTargets(e.observe(t, app))
		return len(h) == 2 && !h[victim.instance]
	})
	t.Logf("replaced the killed instance in %s", took.Round(time.Millisecond))
	time.Sleep(300 * time.Millisecond)
	records := l.stop()

	for _, r := range records {
		if r.instance == sick.instance && r.start.After(out) {
			t.Errorf("a request started at %s reached %s, reported unhealthy at %s", r.start.Format("15:04:05.000"), sick.instance, out.Format("15:04:05.000"))
			break
		}
	}
	var failed []string
	for _, r := range records {
		if r.err == "" {
			continue
		}
		if r.start.After(killed.Add(time.Second)) || r.start.Before(killed.Add(-time.Second)) {
			t.Errorf("a request started at %s failed (%s); only requests in flight at the kill (%s) may", r.start.Format("15:04:05.000"), r.err, killed.Format("15:04:05.000"))
		}
		failed = append(failed, r.err)
	}
	if len(failed) > workers {
		t.Errorf("%d requests failed, more than the %d that can be in flight at the kill: %v", len(failed), workers, failed)
	}
	if procAlive(sick.pid) || procAlive(victim.pid) {
		t.Errorf("replaced instances still run: pid %d alive %v, pid %d alive %v", sick.pid, procAlive(sick.pid), victim.pid, procAlive(victim.pid))
	}
}

// TestGroupCrashLoop runs a command that exits at once: Create fails after
// three starts spread by backoff, with the instance's last log lines,
// without the supervisor burning CPU; an update to such a command fails
// the same way and leaves the group serving its previous configuration.
func TestGroupCrashLoop(t *testing.T) {
	t.Parallel()
	e := newGroupTestEnv(t, time.Minute)
	crashing := cty.ObjectVal(cfgAttrs{"command": cty.ListVal([]cty.Value{
		cty.StringVal("/bin/sh"), cty.StringVal("-c"),
		cty.StringVal("echo starting $INSTANCE_ID on port $PORT; echo 'fatal: cannot open config.yaml' >&2; exit 1"),
	})})
	// A healthy group first: it starts the supervisor, and it is the group
	// the failed update must leave alone.
	stable, _ := e.create(t, kinds.AutoscalingGroup, "stable", e.groupConfig(t, cfgAttrs{"min": cty.NumberIntVal(1), "max": cty.NumberIntVal(1)}))
	before := healthyTargets(e.observe(t, stable))
	pid := e.supervisorPID()
	cpu0, err := group.ProcCPUTicks(pid)
	if err != nil {
		t.Fatal(err)
	}

	ref := e.ref(kinds.AutoscalingGroup, "crashy")
	start := time.Now()
	_, err = e.kind(ref.Kind).Create(e.ctx, ref, e.groupConfig(t, cfgAttrs{"min": cty.NumberIntVal(1), "max": cty.NumberIntVal(1), "local": crashing}))
	elapsed := time.Since(start)
	cpu1, _ := group.ProcCPUTicks(pid)
	if err == nil {
		t.Fatal("Create of a crash-looping group succeeded")
	}
	msg := err.Error()
	for _, want := range []string{"autoscaling_group.crashy is unhealthy: ", "exited with status 1; last log lines:\n", "fatal: cannot open config.yaml", "on port "} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error does not contain %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "$INSTANCE_ID") || strings.Contains(msg, "$PORT") {
		t.Errorf("$INSTANCE_ID or $PORT was not expanded:\n%s", msg)
	}
	logs, _ := filepath.Glob(filepath.Join(supervisor.NewPaths(e.dataDir, "dev").Logs(), "autoscaling_group.crashy", "*.log"))
	if len(logs) != group.MaxFailedStarts {
		t.Errorf("%d instances were started (%v); want %d, spread by backoff", len(logs), logs, group.MaxFailedStarts)
	}
	// Backoff: 1 s, then 2 s.
	if elapsed < 3*time.Second || elapsed > 15*time.Second {
		t.Errorf("Create failed after %s; want the 1 s and 2 s backoffs and then an answer", elapsed)
	}
	if used := time.Duration(cpu1-cpu0) * time.Second / group.ProcClockTicks; used > elapsed/4 {
		t.Errorf("the supervisor used %s of CPU during %s of crash loop", used, elapsed)
	}
	t.Logf("failed after %s using %s of supervisor CPU:\n%s", elapsed.Round(time.Millisecond), time.Duration(cpu1-cpu0)*time.Second/group.ProcClockTicks, msg)

	_, err = e.kind(stable.Kind).Update(e.ctx, stable, cty.NilVal, e.groupConfig(t, cfgAttrs{"min": cty.NumberIntVal(1), "max": cty.NumberIntVal(1), "local": crashing}))
	if err == nil || !strings.Contains(err.Error(), "autoscaling_group.stable is unhealthy: ") || !strings.Contains(err.Error(), "keeps running its previous configuration") {
		t.Fatalf("update to a crashing command: %v; want the unhealthy error and the note that the old configuration stays", err)
	}
	e.waitFor(t, 5*time.Second, "the group back on its old instance alone", func() bool {
		obs := e.observe(t, stable)
		return obs.Healthy && len(obs.Targets) == 1 && healthyTargets(obs)[firstKey(before)]
	})
}

func firstKey(m map[string]bool) string {
	for k := range m {
		return k
	}
	return ""
}

// TestGroupRollingReplacement changes a group's environment while a load
// generator (fast and slow requests) runs through a load balancer: new
// instances start and become healthy before the old ones drain, no request
// fails, and afterwards only new instances answer and the old processes
// are gone.
func TestGroupRollingReplacement(t *testing.T) {
	t.Parallel()
	e := newGroupTestEnv(t, time.Minute)
	app, _ := e.create(t, kinds.AutoscalingGroup, "app", e.groupConfig(t, nil))
	_, v := e.create(t, kinds.LoadBalancer, "edge", e.lbConfig(0, []any{"/*", app.Address}))
	base := v.GetAttr("url").AsString()
	old := healthyTargets(e.observe(t, app))

	l := startLoad(e.ctx, base, 4, 2*time.Millisecond, "/", "/", "/", "/slow?ms=300")
	e.waitFor(t, 10*time.Second, "load before the update", func() bool { return l.sent.Load() >= 40 })
	e.update(t, app, e.groupConfig(t, cfgAttrs{"env": e.env(map[string]string{"VERSION": "2"})}))
	done := time.Now()
	time.Sleep(700 * time.Millisecond)
	records := l.stop()

	if f := failedRecords(records); len(f) > 0 {
		t.Fatalf("%d of %d requests failed during the rolling replacement, first: %s", len(f), len(records), f[0])
	}
	now := healthyTargets(e.observe(t, app))
	if len(now) != 2 {
		t.Errorf("after the update %d instances are healthy: %v", len(now), now)
	}
	for id := range now {
		if old[id] {
			t.Errorf("%s of the old configuration still runs", id)
		}
	}
	servedOld, servedNew := 0, 0
	oldPIDs := map[int]bool{}
	for _, r := range records {
		if now[r.instance] {
			servedNew++
		}
		if old[r.instance] {
			servedOld++
			oldPIDs[r.pid] = true
			if r.start.After(done) {
				t.Errorf("a request started after the update returned reached old instance %s", r.instance)
			}
		}
	}
	if servedOld == 0 || servedNew == 0 {
		t.Errorf("the old instances answered %d requests and the new ones %d; the load must span the change", servedOld, servedNew)
	}
	for pid := range oldPIDs {
		if procAlive(pid) {
			t.Errorf("old instance pid %d still runs", pid)
		}
	}
	t.Logf("%d requests, none failed", len(records))
}

// TestGroupScalesOnRequests runs load through a load balancer at a group
// that tracks 5 requests per second per instance: it grows to max while the
// load lasts and shrinks back to min after it.
func TestGroupScalesOnRequests(t *testing.T) {
	t.Parallel()
	e := newGroupTestEnv(t, time.Minute)
	app, v := e.create(t, kinds.AutoscalingGroup, "app", e.groupConfig(t, cfgAttrs{
		"min": cty.NumberIntVal(1), "max": cty.NumberIntVal(3),
		"scaling": cty.ObjectVal(cfgAttrs{"target_requests_per_instance": cty.NumberIntVal(5), "cooldown": cty.StringVal("1s")}),
	}))
	if d := v.GetAttr("desired"); !d.RawEquals(cty.NumberIntVal(1)) {
		t.Fatalf("desired after create = %#v, want 1 (min)", d)
	}
	_, lv := e.create(t, kinds.LoadBalancer, "edge", e.lbConfig(0, []any{"/*", app.Address}))
	desired := func() int64 {
		v, _, err := e.kind(app.Kind).Read(e.ctx, app)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := v.GetAttr("desired").AsBigFloat().Int64()
		return n
	}

	l := startLoad(e.ctx, lv.GetAttr("url").AsString(), 2, 20*time.Millisecond, "/")
	took := e.waitFor(t, 15*time.Second, "scale-out to 3", func() bool { return desired() == 3 })
	e.waitFor(t, 10*time.Second, "3 healthy instances", func() bool { return len(healthyTargets(e.observe(t, app))) == 3 })
	records := l.stop()
	t.Logf("scaled out in %s", took.Round(time.Millisecond))
	if f := failedRecords(records); len(f) > 0 {
		t.Errorf("%d of %d requests failed while scaling out, first: %s", len(f), len(records), f[0])
	}
	e.waitFor(t, 15*time.Second, "scale-in to 1 without load", func() bool {
		return desired() == 1 && len(e.observe(t, app).Targets) == 1
	})
}

// TestGroupScalesOnCPU keeps the one instance of a group that tracks 50 %
// CPU busy: the group grows to its max of 2.
func TestGroupScalesOnCPU(t *testing.T) {
	t.Parallel()
	e := newGroupTestEnv(t, time.Minute)
	app, _ := e.create(t, kinds.AutoscalingGroup, "app", e.groupConfig(t, cfgAttrs{
		"min": cty.NumberIntVal(1), "max": cty.NumberIntVal(2),
		"scaling": cty.ObjectVal(cfgAttrs{"target_cpu": cty.NumberIntVal(50), "cooldown": cty.StringVal("1s")}),
	}))
	_, lv := e.create(t, kinds.LoadBalancer, "edge", e.lbConfig(0, []any{"/*", app.Address}))
	l := startLoad(e.ctx, lv.GetAttr("url").AsString(), 1, 0, "/cpu?ms=250")
	defer l.stop()
	e.waitFor(t, 15*time.Second, "scale-out to 2", func() bool {
		v, _, err := e.kind(app.Kind).Read(e.ctx, app)
		return err == nil && v.GetAttr("desired").RawEquals(cty.NumberIntVal(2))
	})
}

// TestGroupDeleteDrains deletes a group while slow requests are in flight
// through a load balancer: they finish, then every instance process is
// gone, and the load balancer answers 503 for the route.
func TestGroupDeleteDrains(t *testing.T) {
	t.Parallel()
	e := newGroupTestEnv(t, time.Minute)
	app, _ := e.create(t, kinds.AutoscalingGroup, "app", e.groupConfig(t, nil))
	_, v := e.create(t, kinds.LoadBalancer, "edge", e.lbConfig(0, []any{"/*", app.Address}))
	base := v.GetAttr("url").AsString()
	if n := len(taggedProcesses(e.tag)); n != 2 {
		t.Fatalf("%d instance processes run, want 2", n)
	}
	c := loopbackClient()
	var wg sync.WaitGroup
	results := make([]string, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := getHello(c, base+"/slow?ms=1000")
			switch {
			case err != nil:
				results[i] = err.Error()
			case r.status != http.StatusOK:
				results[i] = fmt.Sprintf("%d %s", r.status, r.body)
			}
		}()
	}
	time.Sleep(300 * time.Millisecond) // the requests are in flight
	if err := e.kind(app.Kind).Delete(e.ctx, app, cty.NilVal); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i, r := range results {
		if r != "" {
			t.Errorf("slow request %d, in flight during the delete: %s", i, r)
		}
	}
	if left := taggedProcesses(e.tag); len(left) > 0 {
		t.Errorf("after the delete instance processes still run: %v", left)
	}
	r, err := getHello(c, base+"/")
	if err != nil || r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, app.Address+" is not running") {
		t.Errorf("GET / after the group was deleted: %+v, %v; want 503 naming %s", r, err, app.Address)
	}
	if _, err := os.Stat(filepath.Join(supervisor.NewPaths(e.dataDir, "dev").Logs(), "autoscaling_group.app")); err != nil {
		t.Errorf("the instance logs are gone: %v", err)
	}
}
