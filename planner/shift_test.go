package planner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stagecraft/stagecraft/planner/apply"
	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/schema"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/zclconf/go-cty/cty"
)

func TestShiftWeights(t *testing.T) {
	t.Parallel()
	sp := &plan.ShiftPath{From: map[string]int{"a": 100}, To: map[string]int{"b": 100}}
	tests := map[int]map[string]int{
		0:   {"a": 100},
		10:  {"a": 90, "b": 10},
		33:  {"a": 67, "b": 33},
		100: {"b": 100},
	}
	for share, want := range tests {
		if got := sp.Weights(share); !sameWeights(got, want) {
			t.Errorf("Weights(%d) = %v, want %v", share, got, want)
		}
	}
	split := &plan.ShiftPath{From: map[string]int{"a": 50, "b": 50}, To: map[string]int{"c": 100}}
	got := split.Weights(25)
	sum := 0
	for _, w := range got {
		sum += w
	}
	if sum != 100 || got["c"] != 25 {
		t.Errorf("Weights(25) of a 50/50 split = %v, want c 25 and a sum of 100", got)
	}
}

// lbRouting is the load balancer's routing roles from the kinds table.
func lbRouting(t *testing.T) *schema.Routing {
	t.Helper()
	s, ok := kinds.Schema(kinds.LoadBalancer)
	if !ok || s.Routing == nil {
		t.Fatal("the load balancer kind marks no routing roles")
	}
	return s.Routing
}

func lbWithRoutes(routes ...[3]any) cty.Value {
	return withRoles(&schema.Routing{Block: "route", Path: "path", Target: "target", Weight: "weight"}, routes...)
}

// withRoles builds a routing value whose block and attributes are named
// by rt.
func withRoles(rt *schema.Routing, routes ...[3]any) cty.Value {
	var rs []cty.Value
	for _, r := range routes {
		w := cty.NullVal(cty.Number)
		if r[2] != nil {
			w = cty.NumberIntVal(int64(r[2].(int)))
		}
		rs = append(rs, cty.ObjectVal(map[string]cty.Value{rt.Path: cty.StringVal(r[0].(string)), rt.Target: cty.StringVal(r[1].(string)), rt.Weight: w}))
	}
	return cty.ObjectVal(map[string]cty.Value{rt.Block: cty.ListVal(rs)})
}

// TestShiftReadsRoles: shifting finds routes by the roles a kind marks,
// whatever the attributes are called.
func TestShiftReadsRoles(t *testing.T) {
	t.Parallel()
	rt := &schema.Routing{Block: "rule", Path: "prefix", Target: "backend", Weight: "share"}
	before := withRoles(rt, [3]any{"/", "autoscaling_group.a", nil})
	after := withRoles(rt, [3]any{"/", "autoscaling_group.b", nil})
	s := detectShift(rt, before, after, cty.NilVal)
	if s == nil || len(s.Paths) != 1 || s.Paths[0].To["autoscaling_group.b"] != 100 {
		t.Fatalf("detectShift = %+v, want / moving to autoscaling_group.b", s)
	}
	if s := detectShift(lbRouting(t), before, after, cty.NilVal); s != nil {
		t.Errorf("detectShift with the load balancer's roles found %+v in a value without route blocks", s.Paths)
	}
}

func TestDetectShift(t *testing.T) {
	t.Parallel()
	app := "autoscaling_group.app"
	orders := "autoscaling_group.orders"
	tests := map[string]struct {
		before, after cty.Value
		want          string // path:start, ...
	}{
		"a new path moves off the catch-all": {
			before: lbWithRoutes([3]any{"/*", app, nil}),
			after:  lbWithRoutes([3]any{"/orders/*", orders, nil}, [3]any{"/*", app, nil}),
			want:   "/orders/:0",
		},
		"a removed path moves back": {
			before: lbWithRoutes([3]any{"/orders/*", orders, nil}, [3]any{"/*", app, nil}),
			after:  lbWithRoutes([3]any{"/*", app, nil}),
			want:   "/orders/:0",
		},
		"an interrupted shift resumes": {
			before: lbWithRoutes([3]any{"/orders/", orders, 50}, [3]any{"/orders/", app, 50}, [3]any{"/*", app, nil}),
			after:  lbWithRoutes([3]any{"/orders/*", orders, nil}, [3]any{"/*", app, nil}),
			want:   "/orders/:50",
		},
		"nothing moves": {
			before: lbWithRoutes([3]any{"/*", app, nil}),
			after:  lbWithRoutes([3]any{"/", app, 100}),
			want:   "",
		},
		"the catch-all changes target": {
			before: lbWithRoutes([3]any{"/*", app, nil}),
			after:  lbWithRoutes([3]any{"/*", orders, nil}),
			want:   "/:0",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := detectShift(lbRouting(t), tc.before, tc.after, cty.NilVal)
			var got []string
			if s != nil {
				for _, p := range s.Paths {
					got = append(got, p.Path+":"+itoa(p.Start))
				}
			}
			if strings.Join(got, ",") != tc.want {
				t.Errorf("shift %v, want %q", got, tc.want)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// splitStack moves /orders/ from app to orders when the stage changes.
var splitStack = splitStackWith("[20, 100]", "10ms")

// splitStackWith is splitStack with the load balancer's migration steps
// and bake: stage "one" sends everything to app, stage "two" splits
// /orders/ off to orders.
func splitStackWith(steps, bake string) map[string]string {
	return map[string]string{"main.hcl": fmt.Sprintf(`
stage "one" {
  autoscaling_group "app" {}
  load_balancer "edge" {
    listener {
      port = 8080
    }
    route {
      path   = "/*"
      target = autoscaling_group.app
    }
    migration {
      steps = %s
      bake  = %q
    }
  }
}

stage "two" {
  extends = "one"
  autoscaling_group "orders" {}
  load_balancer "edge" {
    route {
      path   = "/orders/*"
      target = autoscaling_group.orders
    }
    route {
      path   = "/*"
      target = autoscaling_group.app
    }
  }
}
`, steps, bake)}
}

func TestShiftAppliesInSteps(t *testing.T) {
	t.Parallel()
	e := newEnv(t, splitStack, "one", nil)
	e.apply(PlanOptions{})
	e.req.Stage = "two"
	p := e.plan(PlanOptions{})
	lb, _ := p.Change(addrs.MustParse("load_balancer.edge"))
	if lb.Shift == nil || len(lb.Shift.Paths) != 1 || lb.Shift.Paths[0].Bake != 10*time.Millisecond {
		t.Fatalf("shift %+v, want /orders/ with the stack's settings", lb.Shift)
	}
	// The sim simulates health but no traffic: its plans promise a
	// health gate only.
	if d := lb.Shift.Paths[0].Describe(); !strings.HasSuffix(d, "(gate: healthy for 10ms each)") {
		t.Errorf("the sim's shift reads %q; want a health gate only", d)
	}
	if got := stepList(p); got != "create autoscaling_group.orders, shift load_balancer.edge" {
		t.Errorf("steps %s", got)
	}
	var ops []string
	rec := e.recover()
	_, err := e.planner().Apply(context.Background(), p, apply.Options{Backend: e.backend, State: rec.State, Progress: func(ev apply.Event) {
		if ev.Phase == apply.PhaseDone && strings.HasPrefix(ev.Operation, "shifting") {
			ops = append(ops, ev.Operation)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ops, ", "); got != "shifting /orders/ to 20%, shifting /orders/ to 100%" {
		t.Errorf("steps applied: %s", got)
	}
	if again := e.plan(PlanOptions{}); again.HasChanges() {
		t.Errorf("plan after the shift:\n%s", actions(again))
	}
}

func TestShiftGateRollsBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t, splitStack, "one", map[string]cty.Value{
		"unhealthy": cty.ListVal([]cty.Value{cty.StringVal("autoscaling_group.orders")}),
	})
	e.apply(PlanOptions{})
	e.req.Stage = "two"
	p := e.plan(PlanOptions{})
	_, err := e.applyPlan(context.Background(), p)
	var ge *apply.GateError
	if !errors.As(err, &ge) || ge.At != 0 || ge.Step != 20 || !strings.Contains(ge.Reason, "has no healthy instance") {
		t.Fatalf("apply error %v, want a gate failure at the first step", err)
	}
	st := e.recover().State
	if _, ok := st.Notes["shift:load_balancer.edge"]; !ok {
		t.Fatalf("the state does not record the stopped shift: %v", st.Notes)
	}
	// The traffic is back where it was: the load balancer's routes send
	// /orders/ to app only.
	lb, _ := st.Resource(addrs.MustParse("load_balancer.edge"))
	_, v, err := e.planner().executor().DecodeResource(lb)
	if err != nil {
		t.Fatal(err)
	}
	if w := effective(routeTable(lbRouting(t), v), "/orders/"); !sameWeights(w, map[string]int{"autoscaling_group.app": 100}) {
		t.Errorf("after the rollback /orders/ goes to %v", w)
	}
	again := e.plan(PlanOptions{})
	if len(again.Warnings) == 0 || !strings.Contains(again.Warnings[0], "stopped shifting /orders/ on load_balancer.edge at 0%") {
		t.Errorf("warnings %v", again.Warnings)
	}
}

// erroringTargets wraps a provider whose load balancer's targets answer
// half their requests with 5xx during every bake, and declares the gate
// signals given.
type erroringTargets struct {
	providers.Provider
	signals []string
}

func (p *erroringTargets) Kind(kind string) (providers.ResourceKind, bool) {
	k, ok := p.Provider.Kind(kind)
	if !ok || kind != kinds.LoadBalancer {
		return k, ok
	}
	return &erroringLB{ResourceKind: k, signals: p.signals}, true
}

type erroringLB struct {
	providers.ResourceKind
	signals []string
	mu      sync.Mutex
	calls   int64
}

func (k *erroringLB) GateSignals(cty.Value) []string { return k.signals }

func (k *erroringLB) Observe(ctx context.Context, r providers.Ref, v cty.Value) (providers.Observation, error) {
	obs, err := k.ResourceKind.(providers.Observer).Observe(ctx, r, v)
	k.mu.Lock()
	k.calls++
	n := k.calls
	k.mu.Unlock()
	for i := range obs.Targets {
		obs.Targets[i].Requests, obs.Targets[i].Errors5xx = 10*n, 5*n
	}
	return obs, err
}

// TestShiftGateChecksOnlyWhatIsMeasured: the plan names the signals the
// provider declares, and the gate checks those: half the requests
// failing stops a shift whose provider measures 5xx, and not one whose
// provider measures health only (which the plan then does not promise).
func TestShiftGateChecksOnlyWhatIsMeasured(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		signals []string
		gate    string
		stopped bool
	}{
		"health only":    {[]string{providers.SignalHealth}, "(gate: healthy for 10ms each)", false},
		"health and 5xx": {[]string{providers.SignalHealth, providers.Signal5xx}, "(gate: healthy, 5xx < 1% for 10ms each)", true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, splitStack, "one", nil)
			e.provider = &erroringTargets{Provider: e.provider, signals: tc.signals}
			e.apply(PlanOptions{})
			e.req.Stage = "two"
			p := e.plan(PlanOptions{})
			lb, _ := p.Change(addrs.MustParse("load_balancer.edge"))
			if lb.Shift == nil || len(lb.Shift.Paths) != 1 || !slices.Equal(lb.Shift.Paths[0].Signals, tc.signals) {
				t.Fatalf("the shift %+v does not name the signals %v", lb.Shift, tc.signals)
			}
			if d := lb.Shift.Paths[0].Describe(); !strings.HasSuffix(d, tc.gate) {
				t.Errorf("the shift reads %q, want it to end %q", d, tc.gate)
			}
			_, err := e.applyPlan(context.Background(), p)
			var ge *apply.GateError
			if stopped := errors.As(err, &ge); stopped != tc.stopped {
				t.Fatalf("apply: %v; want the gate to stop it: %t", err, tc.stopped)
			}
			if tc.stopped && !strings.Contains(ge.Reason, "5 of 10 requests to autoscaling_group.orders failed") {
				t.Errorf("the gate stopped the shift because %q; want the 5xx share named", ge.Reason)
			}
		})
	}
}
