package planner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stagecraft/stagecraft/planner/apply"
	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/zclconf/go-cty/cty"
)

func manyGroups(n int) map[string]string {
	return map[string]string{"main.hcl": fmt.Sprintf(`
stage "s" {
  autoscaling_group "g" {
    count = %d
  }
}
`, n)}
}

// TestInterruptStopsNewWork cancels an apply (Ctrl-C) while calls are in
// flight: no new call starts, every step ends done or interrupted (the
// sixth, which cancels, sends no call), what the calls did is recorded
// (the state tracks exactly what the cloud holds), and the next apply
// completes the rest. That a call already sent finishes is the sim
// provider's own test (TestChangeInFlightFinishes).
func TestInterruptStopsNewWork(t *testing.T) {
	t.Parallel()
	e := newEnv(t, manyGroups(40), "s", map[string]cty.Value{"latency": cty.StringVal("20ms")})
	p := e.plan(PlanOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	var started, done, interrupted atomic.Int32
	pl := e.planner()
	pl.Parallelism = 4
	rec := e.recover()
	_, err := pl.Apply(ctx, p, apply.Options{Backend: e.backend, State: rec.State, Progress: func(ev apply.Event) {
		switch ev.Phase {
		case apply.PhaseStart:
			if started.Add(1) == 6 {
				cancel()
			}
		case apply.PhaseDone:
			done.Add(1)
		case apply.PhaseInterrupted:
			interrupted.Add(1)
		}
	}})
	var aerr *apply.ApplyError
	if !errors.As(err, &aerr) || !aerr.Interrupted || len(aerr.Failed) > 0 {
		t.Fatalf("apply error %v, want an interrupted *apply.ApplyError and no failure", err)
	}
	// With 4 at a time, the sixth starts once two are done.
	if done.Load()+interrupted.Load() != started.Load() || interrupted.Load() < 1 || done.Load() < 2 {
		t.Errorf("%d started, %d done, %d interrupted: every step ends done or interrupted", started.Load(), done.Load(), interrupted.Load())
	}
	if n := started.Load(); n >= 40 || n < 6 {
		t.Errorf("%d of 40 started; cancelling after 6 must stop new work", n)
	}
	st := e.recover().State
	if len(st.Resources) != int(done.Load()) {
		t.Errorf("state has %d resources, %d were created", len(st.Resources), done.Load())
	}
	if got, want := strings.Join(tracked(st), ","), strings.Join(e.cloud(), ","); got != want {
		t.Errorf("state %s, cloud %s", got, want)
	}
	p2, st2 := e.apply(PlanOptions{})
	if got := p2.Counts()[plan.ActionCreate]; got != 40-int(done.Load()) {
		t.Errorf("resumed apply created %d, want %d", got, 40-int(done.Load()))
	}
	if len(st2.Resources) != 40 || st2.Stage != "s" {
		t.Errorf("after resuming: %d resources, stage %q", len(st2.Resources), st2.Stage)
	}
}

// TestParallelismBound checks that no more calls run at once than allowed
// and that independent resources do run in parallel.
func TestParallelismBound(t *testing.T) {
	t.Parallel()
	e := newEnv(t, manyGroups(30), "s", map[string]cty.Value{"latency": cty.StringVal("10ms")})
	p := e.plan(PlanOptions{})
	var cur, peak atomic.Int32
	pl := e.planner()
	pl.Parallelism = 5
	rec := e.recover()
	_, err := pl.Apply(context.Background(), p, apply.Options{Backend: e.backend, State: rec.State, Progress: func(ev apply.Event) {
		switch ev.Phase {
		case apply.PhaseStart:
			n := cur.Add(1)
			for {
				old := peak.Load()
				if n <= old || peak.CompareAndSwap(old, n) {
					break
				}
			}
		default:
			cur.Add(-1)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := peak.Load(); got != 5 {
		t.Errorf("peak concurrency %d, want exactly the bound 5", got)
	}
}

func TestEventsReportElapsed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, manyGroups(1), "s", map[string]cty.Value{"latency": cty.StringVal("15ms")})
	p := e.plan(PlanOptions{})
	var evs []apply.Event
	rec := e.recover()
	if _, err := e.planner().Apply(context.Background(), p, apply.Options{Backend: e.backend, State: rec.State, Progress: func(ev apply.Event) { evs = append(evs, ev) }}); err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].Phase != apply.PhaseStart || evs[1].Phase != apply.PhaseDone || evs[1].Operation != "creating" {
		t.Fatalf("events %+v", evs)
	}
	if evs[1].Elapsed < 15*time.Millisecond {
		t.Errorf("elapsed %v, the call takes at least 15ms", evs[1].Elapsed)
	}
}

// TestOutputsAfterLayeredApply checks the outputs of an apply whose
// blocks come into existence one after the other: the last evaluation
// takes over the blocks that did not change since the walk's own, and
// every output still sees the ids the apply made.
func TestOutputsAfterLayeredApply(t *testing.T) {
	t.Parallel()
	e := newEnv(t, map[string]string{"main.hcl": `
stage "s" {
  autoscaling_group "a" {
    count = 2
  }
  autoscaling_group "b" {
    count = 2
    env   = { UP = autoscaling_group.a[count.index].id }
  }
  autoscaling_group "c" {
    count = 2
    env   = { UP = autoscaling_group.b[count.index].id }
  }
}

output "first" {
  value = autoscaling_group.a[*].id
}

output "last" {
  value = autoscaling_group.c[*].id
}

output "chain" {
  value = autoscaling_group.c[1].env["UP"]
}
`}, "s", nil)
	_, st := e.apply(PlanOptions{})
	ids := map[string]string{}
	for _, r := range st.Resources {
		ids[r.Address.String()] = r.ID
	}
	for name, want := range map[string]string{
		"first": fmt.Sprintf("[%q,%q]", ids["autoscaling_group.a[0]"], ids["autoscaling_group.a[1]"]),
		"last":  fmt.Sprintf("[%q,%q]", ids["autoscaling_group.c[0]"], ids["autoscaling_group.c[1]"]),
		"chain": fmt.Sprintf("%q", ids["autoscaling_group.b[1]"]),
	} {
		out, ok := st.Outputs[name]
		if !ok {
			t.Errorf("output %s not recorded", name)
			continue
		}
		if got := strings.ReplaceAll(string(out.Value), " ", ""); got != want {
			t.Errorf("output %s = %s, want %s", name, got, want)
		}
	}
}

// resizeStack resizes a coordinator from 3 members (stage "three") to 5
// ("five"); a group's environment lists its endpoints.
var resizeStack = map[string]string{"main.hcl": `
stage "three" {
  coordinator "locks" {
    engine  = "etcd"
    members = 3
  }
  autoscaling_group "orders" {
    env = {
      ETCD_ENDPOINTS = join(",", coordinator.locks.endpoints)
    }
  }
}

stage "five" {
  extends = "three"
  coordinator "locks" {
    members = 5
  }
}
`}

// TestResizeRollsDependentsInOneApply resizes a coordinator whose
// endpoints a group's environment lists: the plan shows the group's
// environment known after apply, one apply resizes the coordinator and
// then rolls the group with the five endpoints, and the next plan is
// clean.
func TestResizeRollsDependentsInOneApply(t *testing.T) {
	t.Parallel()
	e := newEnv(t, resizeStack, "three", nil)
	e.apply(PlanOptions{})
	p := e.moveTo("five")
	if got := actions(p); got != "autoscaling_group.orders update\ncoordinator.locks update" {
		t.Fatalf("plan:\n%s\nwant the coordinator and the group updated", got)
	}
	group, _ := p.Change(addrs.MustParse("autoscaling_group.orders"))
	if env := group.After.GetAttr("env"); env.IsWhollyKnown() {
		t.Errorf("the group's environment is planned as %#v, want it known after apply", env)
	}
	if got := stepList(p); got != "resize coordinator.locks, roll autoscaling_group.orders" {
		t.Errorf("steps %s, want the resize before the roll", got)
	}
	_, st := e.apply(PlanOptions{})
	r, _ := st.Resource(addrs.MustParse("autoscaling_group.orders"))
	_, v, err := e.planner().executor().DecodeResource(r)
	if err != nil {
		t.Fatal(err)
	}
	if eps := strings.Split(v.GetAttr("env").Index(cty.StringVal("ETCD_ENDPOINTS")).AsString(), ","); len(eps) != 5 {
		t.Errorf("after one apply the group lists %d endpoints, want 5: %v", len(eps), eps)
	}
	if again := e.plan(PlanOptions{}); again.HasChanges() {
		t.Errorf("plan after one apply:\n%s", actions(again))
	}
}
