package planner

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/stagecraft/stagecraft/planner/apply"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/zclconf/go-cty/cty"
)

// layeredGroups is a stack whose group b (count 3) reads the ids of group
// a (count 3) instance by instance: b depends on a as a whole.
const layeredGroups = `
stage "s" {
  autoscaling_group "a" {
    count = 3
  }
  autoscaling_group "b" {
    count = 3
    env = {
      UP = autoscaling_group.a[count.index].id
    }
  }
}
`

// TestBlockDependencyOrdersEveryInstance applies a stack whose resources
// depend on a counted block: every instance of the block is created before
// any dependent starts, the dependency is recorded once per reference, and
// destroy removes the dependents first.
func TestBlockDependencyOrdersEveryInstance(t *testing.T) {
	t.Parallel()
	e := newEnv(t, map[string]string{"main.hcl": layeredGroups}, "s", map[string]cty.Value{"latency": cty.StringVal("5ms")})
	p := e.plan(PlanOptions{})
	for _, c := range p.Changes {
		if strings.HasPrefix(c.Address.String(), "autoscaling_group.b") && strings.Join(addrs.Strings(c.DependsOn), ",") != "autoscaling_group.a" {
			t.Errorf("%s depends on %v, want [autoscaling_group.a]", c.Address, c.DependsOn)
		}
	}
	for _, s := range p.Steps {
		if strings.Contains(s.Address.String(), "[*]") {
			t.Errorf("plan step %+v: barriers are not steps people see", s)
		}
	}
	var mu sync.Mutex
	var order []string
	rec := e.recover()
	st, err := e.planner().Apply(context.Background(), p, apply.Options{Backend: e.backend, State: rec.State, Progress: func(ev apply.Event) {
		mu.Lock()
		defer mu.Unlock()
		if strings.Contains(ev.Address, "[*]") {
			t.Errorf("event for %s: barriers report nothing", ev.Address)
		}
		order = append(order, string(ev.Phase)+" "+ev.Address)
	}})
	if err != nil {
		t.Fatal(err)
	}
	lastA, firstB := -1, len(order)
	for i, o := range order {
		if strings.HasPrefix(o, string(apply.PhaseDone)+" autoscaling_group.a[") {
			lastA = i
		}
		if strings.HasPrefix(o, string(apply.PhaseStart)+" autoscaling_group.b[") && i < firstB {
			firstB = i
		}
	}
	if lastA < 0 || firstB <= lastA {
		t.Errorf("b started before every a was done:\n%s", strings.Join(order, "\n"))
	}
	if r, ok := st.Resource(addrs.MustParse("autoscaling_group.b[2]")); !ok || strings.Join(addrs.Strings(r.Dependencies), ",") != "autoscaling_group.a" {
		t.Errorf("state of b[2]: %+v, want dependencies [autoscaling_group.a]", r)
	}

	// Destroy: the dependents go first.
	dp := e.plan(PlanOptions{Destroy: true})
	pos := map[string]int{}
	for i, s := range dp.Steps {
		pos[s.Address.String()] = i
	}
	for _, b := range []string{"autoscaling_group.b[0]", "autoscaling_group.b[1]", "autoscaling_group.b[2]"} {
		for _, a := range []string{"autoscaling_group.a[0]", "autoscaling_group.a[1]", "autoscaling_group.a[2]"} {
			if pos[b] > pos[a] {
				t.Errorf("destroy deletes %s (step %d) before its dependent %s (step %d)", a, pos[a], b, pos[b])
			}
		}
	}
}

// TestTargetFollowsBlockDependency plans one instance of b with --target:
// the plan brings along every instance of a, which b depends on.
func TestTargetFollowsBlockDependency(t *testing.T) {
	t.Parallel()
	e := newEnv(t, map[string]string{"main.hcl": layeredGroups}, "s", nil)
	target, err := addrs.ParseTarget("autoscaling_group.b[1]")
	if err != nil {
		t.Fatal(err)
	}
	p := e.plan(PlanOptions{Targets: []addrs.Target{target}})
	got := actions(p)
	want := "autoscaling_group.a[0] create\nautoscaling_group.a[1] create\nautoscaling_group.a[2] create\nautoscaling_group.b[1] create"
	if got != want {
		t.Errorf("targeted plan:\n%s\nwant:\n%s", got, want)
	}
}

// TestRollStepShowsPace plans a change of a group's environment: the step
// is a roll at the pace of the group's rollout block.
func TestRollStepShowsPace(t *testing.T) {
	t.Parallel()
	group := func(version string) map[string]string {
		return map[string]string{"main.hcl": `
stage "s" {
  autoscaling_group "app" {
    env = { VERSION = "` + version + `" }
    rollout {
      max_surge       = 2
      max_unavailable = 1
    }
  }
}
`}
	}
	e := newEnv(t, group("1"), "s", nil)
	e.apply(PlanOptions{})
	e.load(group("2"), "s")
	p := e.plan(PlanOptions{})
	if len(p.Steps) != 1 {
		t.Fatalf("steps %+v, want one roll", p.Steps)
	}
	want := "roll autoscaling_group.app (env changed, surge 2, 1 unavailable): new instances healthy before old ones drain"
	if s := p.Steps[0]; s.Action != "roll" || s.Description != want {
		t.Errorf("step %s %q, want roll %q", s.Action, s.Description, want)
	}
}
