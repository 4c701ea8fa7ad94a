package planner

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/planner/apply"
	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/stacks"
	"github.com/stagecraft/stagecraft/stacks/addrs"
)

// ladder is a small stack with three stages; later stages depend on
// attributes computed at apply.
var ladder = map[string]string{"main.stack.hcl": `
variable "engine" {
  type    = string
  default = "redis"
}

stage "monolith" {
  autoscaling_group "app" {
    min = 1
    max = 2
  }
}

stage "balanced" {
  extends = "monolith"
  load_balancer "edge" {
    listener {
      port = 8080
    }
    route {
      target = autoscaling_group.app
    }
  }
}

stage "cached" {
  extends = "balanced"
  cache "sessions" {
    engine = var.engine
  }
  autoscaling_group "app" {
    env = { REDIS_ADDR = cache.sessions.endpoint }
  }
}

output "url" {
  value = load_balancer.edge.url
}
`}

func TestPlanApplyLadder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ladder, "monolith", nil)

	p, st := e.apply(PlanOptions{})
	if got, want := actions(p), "autoscaling_group.app create"; got != want {
		t.Fatalf("first plan:\n%s\nwant:\n%s", got, want)
	}
	if st.Stage != "monolith" || len(st.Resources) != 1 || st.Resources[0].ID == "" {
		t.Fatalf("state after first apply: stage %q, %d resources", st.Stage, len(st.Resources))
	}

	// Moving up a stage creates the load balancer; the group is unchanged.
	e.req.Stage = "balanced"
	p, st = e.apply(PlanOptions{})
	if got, want := actions(p), "load_balancer.edge create"; got != want {
		t.Fatalf("balanced plan:\n%s\nwant:\n%s", got, want)
	}
	if p.AppliedStage != "monolith" || p.TargetStage != "balanced" || st.Stage != "balanced" {
		t.Errorf("stages: plan %q -> %q, state %q", p.AppliedStage, p.TargetStage, st.Stage)
	}
	if out, ok := st.Outputs["url"]; !ok || !strings.Contains(string(out.Value), "http://") {
		t.Errorf("output url not recorded: %+v", st.Outputs)
	}

	// The cache's endpoint is known only after it exists: the group's
	// update shows it as unknown and gets the real value at apply.
	e.req.Stage = "cached"
	p = e.plan(PlanOptions{})
	if got, want := actions(p), "autoscaling_group.app update\ncache.sessions create"; got != want {
		t.Fatalf("cached plan:\n%s\nwant:\n%s", got, want)
	}
	app, _ := p.Change(addrs.MustParse("autoscaling_group.app"))
	if env := app.After.GetAttr("env"); env.IsWhollyKnown() {
		t.Errorf("planned env %#v should be unknown until the cache exists", env)
	}
	if _, err := e.applyPlan(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	// Nothing left to do: the plan is a no-op and the env is known.
	p = e.plan(PlanOptions{})
	if p.HasChanges() {
		t.Fatalf("plan after apply has changes:\n%s", actions(p))
	}
	app, _ = p.Change(addrs.MustParse("autoscaling_group.app"))
	if env := app.Before.GetAttr("env").Index(cty.StringVal("REDIS_ADDR")); !env.IsKnown() || !strings.Contains(env.AsString(), "cache.sim.internal") {
		t.Errorf("REDIS_ADDR = %#v, want the cache's endpoint", env)
	}

	// Down the ladder: the cache goes, which destroys data without consent.
	e.req.Stage = "balanced"
	p = e.plan(PlanOptions{})
	if len(p.Refused) != 1 || p.Refused[0].Address != addrs.MustParse("cache.sessions") {
		t.Fatalf("refusals %+v, want cache.sessions", p.Refused)
	}
	if _, err := e.applyPlan(context.Background(), p); err == nil {
		t.Fatal("applying a plan with refused changes succeeded")
	}
	p, _ = e.apply(PlanOptions{AllowDataLoss: true})
	if got, want := actions(p), "autoscaling_group.app update\ncache.sessions delete"; got != want {
		t.Fatalf("down plan:\n%s\nwant:\n%s", got, want)
	}
	c, _ := p.Change(addrs.MustParse("cache.sessions"))
	if !c.DataLoss || c.Consent != "flag" {
		t.Errorf("cache delete: data loss %v consent %q", c.DataLoss, c.Consent)
	}

	// Destroy removes everything; the cloud is empty.
	p, st = e.apply(PlanOptions{Destroy: true})
	if len(st.Resources) != 0 || len(e.cloud()) != 0 {
		t.Fatalf("after destroy: state %v, cloud %v", tracked(st), e.cloud())
	}
	if got := p.Counts()[plan.ActionDelete]; got != 2 {
		t.Errorf("destroy deleted %d, want 2", got)
	}
}

func TestDiffRules(t *testing.T) {
	t.Parallel()
	stack := func(cache, group string) map[string]string {
		return map[string]string{"main.hcl": `
stage "s" {
  cache "c" {
    lifecycle {
      allow_data_loss = true
    }
` + cache + `
  }
  autoscaling_group "app" {
` + group + `
  }
}
`}
	}
	const cache = "engine = \"redis\"\nmemory_mb = 64"
	const group = "min = 1\nmax = 3\nenv = { A = \"1\" }"
	tests := map[string]struct {
		cache1, group1, cache2, group2 string
		want, replace                  string
	}{
		"no change":             {want: ""},
		"update in place":       {cache2: "engine = \"redis\"\nmemory_mb = 128", want: "cache.c update"},
		"force-new":             {cache2: "engine = \"memcached\"\nmemory_mb = 64", want: "cache.c replace", replace: "engine"},
		"map value":             {group2: "min = 1\nmax = 3\nenv = { A = \"2\" }", want: "autoscaling_group.app update"},
		"optional+computed set": {group2: group + "\ndesired = 2", want: "autoscaling_group.app update"},
		"ignore_changes": {
			group1: group + "\nlifecycle {\n  ignore_changes = [max, env]\n}",
			group2: "min = 1\nmax = 9\nenv = { A = \"2\" }\nlifecycle {\n  ignore_changes = [max, env]\n}", want: ""},
		"ignore_changes all": {
			group1: group + "\nlifecycle {\n  ignore_changes = all\n}",
			group2: "min = 2\nmax = 3\nlifecycle {\n  ignore_changes = all\n}", want: ""},
	}
	or := func(s, d string) string {
		if s == "" {
			return d
		}
		return s
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, stack(or(tc.cache1, cache), or(tc.group1, group)), "s", nil)
			e.apply(PlanOptions{})
			e.load(stack(or(tc.cache2, cache), or(tc.group2, or(tc.group1, group))), "s")
			p := e.plan(PlanOptions{})
			if got := actions(p); got != tc.want {
				t.Fatalf("plan:\n%s\nwant:\n%s", got, tc.want)
			}
			if tc.replace != "" {
				c, _ := p.Change(addrs.MustParse("cache.c"))
				if got := pathList(c.ReplacePaths); got != tc.replace {
					t.Errorf("replaced because of %q, want %q", got, tc.replace)
				}
				if c.Consent != "stack" || !c.DataLoss {
					t.Errorf("data loss %v consent %q, want stack consent", c.DataLoss, c.Consent)
				}
			}
			if _, err := e.applyPlan(context.Background(), p); err != nil {
				t.Fatal(err)
			}
			if again := e.plan(PlanOptions{}); again.HasChanges() {
				t.Errorf("plan after apply:\n%s", actions(again))
			}
		})
	}
}

func TestReplaceIsCreateBeforeDestroy(t *testing.T) {
	t.Parallel()
	files := func(engine string) map[string]string {
		return map[string]string{"main.hcl": `
stage "s" {
  coordinator "locks" {
    engine  = "` + engine + `"
    lifecycle {
      allow_data_loss = true
    }
  }
  autoscaling_group "app" {
    env = { COORD = join(",", coordinator.locks.endpoints) }
  }
}
`}
	}
	e := newEnv(t, files("etcd"), "s", nil)
	_, before := e.apply(PlanOptions{})
	oldID := before.Resources[1].ID
	e.load(files("zookeeper"), "s")
	p := e.plan(PlanOptions{})
	if got, want := actions(p), "autoscaling_group.app update\ncoordinator.locks replace"; got != want {
		t.Fatalf("plan:\n%s\nwant:\n%s", got, want)
	}
	var order []string
	rec := e.recover()
	_, err := e.planner().Apply(context.Background(), p, apply.Options{Backend: e.backend, State: rec.State,
		Progress: func(ev apply.Event) {
			if ev.Phase == apply.PhaseDone {
				order = append(order, ev.Address)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	want := "coordinator.locks, autoscaling_group.app, coordinator.locks (old)"
	if got := strings.Join(order, ", "); got != want {
		t.Errorf("apply order %s, want %s (new copy first, dependents moved, old copy last)", got, want)
	}
	after := e.recover().State
	if r, _ := after.Resource(addrs.MustParse("coordinator.locks")); r.ID == oldID {
		t.Error("the coordinator was not replaced")
	}
	if len(after.Deposed) != 0 || len(e.cloud()) != 2 {
		t.Errorf("left behind: deposed %v, cloud %v", tracked(after), e.cloud())
	}
}

func TestVanishedAndDrift(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ladder, "cached", nil)
	_, st := e.apply(PlanOptions{})
	// Someone deletes the cache and changes the group outside Stagecraft.
	cache, _ := st.Resource(addrs.MustParse("cache.sessions"))
	ck, _ := e.provider.Kind(kinds.Cache)
	if err := ck.Delete(context.Background(), providers.Ref{Address: "cache.sessions", Kind: "cache", ID: cache.ID}, cty.NilVal); err != nil {
		t.Fatal(err)
	}
	app, _ := st.Resource(addrs.MustParse("autoscaling_group.app"))
	gk, _ := e.provider.Kind(kinds.AutoscalingGroup)
	prior, _ := app.Value(gk.Schema().ImpliedType())
	changed := setAttr(prior, "max", cty.NumberIntVal(7))
	changed = setAttr(changed, "id", cty.NullVal(cty.String))
	if _, err := gk.Update(context.Background(), providers.Ref{Address: app.Address.String(), Kind: app.Kind, ID: app.ID}, prior, changed); err != nil {
		t.Fatal(err)
	}
	p := e.plan(PlanOptions{})
	c, _ := p.Change(addrs.MustParse("cache.sessions"))
	if c.Action != plan.ActionCreate || !strings.Contains(c.Reason, "no longer exists") {
		t.Errorf("vanished cache: %s (%s)", c.Action, c.Reason)
	}
	if len(p.Drift) != 1 || p.Drift[0].Address != addrs.MustParse("autoscaling_group.app") || pathList(p.Drift[0].Paths) != "max" {
		t.Fatalf("drift %+v, want autoscaling_group.app max", p.Drift)
	}
	if a, _ := p.Change(addrs.MustParse("autoscaling_group.app")); a.Action != plan.ActionUpdate {
		t.Errorf("drifted group: %s, want update back to the stack's max", a.Action)
	}
	if _, err := e.applyPlan(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if again := e.plan(PlanOptions{}); again.HasChanges() || len(again.Drift) != 0 {
		t.Errorf("after repair: %s, drift %d", actions(again), len(again.Drift))
	}
}

func setAttr(obj cty.Value, name string, v cty.Value) cty.Value {
	m := obj.AsValueMap()
	m[name] = v
	return cty.ObjectVal(m)
}

func TestPreventDestroyAndTargets(t *testing.T) {
	t.Parallel()
	src := `
stage "s" {
  cache "keep" {
    engine = "redis"
    lifecycle {
      prevent_destroy = true
    }
  }
  autoscaling_group "a" {}
  autoscaling_group "b" {
    env = { K = cache.keep.endpoint }
  }
}
`
	e := newEnv(t, map[string]string{"main.hcl": src}, "s", nil)
	addr, _ := addrs.ParseTarget("autoscaling_group.b")
	p, _ := e.apply(PlanOptions{Targets: []addrs.Target{addr}})
	if got, want := actions(p), "autoscaling_group.b create\ncache.keep create"; got != want {
		t.Fatalf("targeted plan:\n%s\nwant:\n%s (the target and what it depends on)", got, want)
	}
	if st := e.recover().State; st.Stage != "" {
		t.Errorf("a targeted apply recorded stage %q; only a full apply moves the stage", st.Stage)
	}
	// A target that names nothing is a mistake to report, not an empty
	// plan; a module or block address matches its instances.
	typo, _ := addrs.ParseTarget("autoscaling_group.bb")
	if _, err := e.tryPlan(PlanOptions{Targets: []addrs.Target{addr, typo}}); err == nil || !strings.Contains(err.Error(), "the target autoscaling_group.bb matches nothing") {
		t.Errorf("plan with a target that matches nothing: %v", err)
	}
	e.apply(PlanOptions{})
	p = e.plan(PlanOptions{Destroy: true, AllowDataLoss: true})
	if len(p.Refused) != 1 || !strings.Contains(p.Refused[0].Reason, "prevent_destroy") {
		t.Fatalf("refused %+v, want cache.keep by prevent_destroy", p.Refused)
	}
}

func TestApplyErrorsSkipDependents(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ladder, "cached", map[string]cty.Value{
		"fail": cty.MapVal(map[string]cty.Value{"cache.sessions": cty.StringVal("create")}),
	})
	p := e.plan(PlanOptions{})
	_, err := e.applyPlan(context.Background(), p)
	var aerr *apply.ApplyError
	if !errors.As(err, &aerr) {
		t.Fatalf("apply error %v, want *apply.ApplyError", err)
	}
	if _, ok := aerr.Failed["cache.sessions"]; !ok || !strings.Contains(err.Error(), "create cache.sessions: ") {
		t.Errorf("failed %v; the error must name the address: %v", aerr.Failed, err)
	}
	// The group depends on the cache and the load balancer on the group:
	// both are skipped; nothing else was there to do.
	if got := strings.Join(aerr.Skipped, ","); got != "autoscaling_group.app,load_balancer.edge" {
		t.Errorf("skipped %s", got)
	}
	st := e.recover().State
	if st.Stage != "" {
		t.Errorf("a failed apply recorded stage %q", st.Stage)
	}
	if got, cloud := tracked(st), e.cloud(); strings.Join(got, ",") != strings.Join(cloud, ",") {
		t.Errorf("state %v and cloud %v differ", got, cloud)
	}
}

func TestStackErrorsReachPlan(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ladder, "cached", nil)
	e.req.Vars = []stacks.VarInput{{Name: "engine", Value: "mysql"}}
	_, err := e.tryPlan(PlanOptions{})
	var de *apply.DiagnosticsError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), `"mysql" is not allowed`) {
		t.Fatalf("plan error %v, want the stack's diagnostic", err)
	}
}
