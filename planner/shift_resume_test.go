package planner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stagecraft/stagecraft/planner/apply"
	"github.com/stagecraft/stagecraft/stacks/addrs"
)

// foldStack folds /orders/ back into the catch-all when it moves from
// stage "two" to "one": the load balancer shifts the path's traffic from
// orders to app in three steps, and orders is deleted after.
var foldStack = splitStackWith("[10, 50, 100]", "150ms")

var foldSteps = []int{10, 50, 100}

const shiftCrashChildEnv = "STAGECRAFT_SHIFT_CRASH_CHILD"

// foldEnv opens the fold stack at stage ("two": split, "one": folded)
// with its cloud and state in dir, so that a second process finds them.
func foldEnv(t *testing.T, dir, stage string) *env {
	t.Helper()
	return fileEnv(t, foldStack, stage, dir, "2ms")
}

// TestShiftCrashChild is the process that gets killed in the middle of
// the fold's traffic shift.
func TestShiftCrashChild(t *testing.T) {
	dir := os.Getenv(shiftCrashChildEnv)
	if dir == "" {
		t.Skip("run by TestShiftResumesAfterCrash")
	}
	e := foldEnv(t, dir, "one")
	p := e.plan(PlanOptions{})
	rec := e.recover()
	_, _ = e.planner().Apply(context.Background(), p, apply.Options{Backend: e.backend, State: rec.State, Progress: func(ev apply.Event) {
		fmt.Printf("event %s %s %s\n", ev.Phase, ev.Address, ev.Operation)
		if ev.Phase == apply.PhaseDone && strings.HasPrefix(ev.Operation, "shifting") {
			// Hold the apply (events are delivered in line) so that the
			// parent's SIGKILL lands before the steps after this one:
			// after the last step only a few milliseconds of work remain.
			time.Sleep(500 * time.Millisecond)
		}
	}})
	fmt.Println("finished")
}

// TestShiftResumesAfterCrash kills (SIGKILL) the apply of the fold at
// every step of its traffic shift, once between steps and once in the
// middle of a step's bake, and checks that the next plan finishes the
// shift before it deletes the old target, and that the next apply
// completes to a clean plan.
func TestShiftResumesAfterCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 6 processes")
	}
	t.Parallel()
	for _, share := range foldSteps {
		for _, during := range []bool{false, true} {
			where := fmt.Sprintf("after the %d%% step", share)
			if during {
				where = fmt.Sprintf("during the %d%% step's bake", share)
			}
			dir := t.TempDir()
			foldEnv(t, dir, "two").apply(PlanOptions{})
			cmd, lines := startChild(t, "TestShiftCrashChild", shiftCrashChildEnv, dir)
			pid := cmd.Process.Pid
			phase := apply.PhaseDone
			if during {
				phase = apply.PhaseStart
			}
			mark := fmt.Sprintf("event %s load_balancer.edge shifting /orders/ to %d%%", phase, share)
			var log []string
			for lines.Scan() {
				log = append(log, lines.Text())
				if lines.Text() == mark || lines.Text() == "finished" {
					break
				}
			}
			if during {
				// Half the bake: the step's weights are set and watched.
				time.Sleep(75 * time.Millisecond)
			}
			_ = syscall.Kill(pid, syscall.SIGKILL)
			for lines.Scan() {
				log = append(log, lines.Text())
			}
			_ = cmd.Wait()
			if slices.Contains(log, "finished") {
				t.Fatalf("killed %s: the apply had finished already:\n%s", where, strings.Join(log, "\n"))
			}
			checkFoldResumes(t, foldEnv(t, dir, "one"), where)
		}
	}
}

// TestShiftInterruptedAtEachStep interrupts (Ctrl-C: the apply's context
// is cancelled) the fold at every step of its traffic shift: the shift
// stops at that step and says so, the state records the weights in force
// and the targets that still get traffic, and the next plan and apply
// finish the shift before deleting the old target.
func TestShiftInterruptedAtEachStep(t *testing.T) {
	t.Parallel()
	for i, share := range foldSteps {
		dir := t.TempDir()
		foldEnv(t, dir, "two").apply(PlanOptions{})
		e := foldEnv(t, dir, "one")
		p := e.plan(PlanOptions{})
		ctx, cancel := context.WithCancel(context.Background())
		step := fmt.Sprintf("shifting /orders/ to %d%%", share)
		rec := e.recover()
		_, err := e.planner().Apply(ctx, p, apply.Options{Backend: e.backend, State: rec.State, Progress: func(ev apply.Event) {
			if ev.Phase == apply.PhaseStart && ev.Operation == step {
				cancel()
			}
		}})
		cancel()
		var ie *apply.InterruptedError
		if !errors.As(err, &ie) || ie.Shift == nil || ie.Shift.Step != i+1 || ie.Shift.Steps != 3 || ie.Shift.Share != share {
			t.Fatalf("interrupted at %s: apply error %v, want the shift stopped at step %d of 3", step, err, i+1)
		}
		if want := fmt.Sprintf("interrupted at shift step %d of 3; run apply to continue", i+1); !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
		st := e.recover().State
		lb, _ := st.Resource(addrs.MustParse("load_balancer.edge"))
		_, v, err := e.planner().executor().DecodeResource(lb)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"autoscaling_group.app": share, "autoscaling_group.orders": 100 - share}
		if share == 100 {
			want = map[string]int{"autoscaling_group.app": 100}
		}
		if w := effective(routeTable(lbRouting(t), v), "/orders/"); !sameWeights(w, want) {
			t.Errorf("interrupted at %s: the state records /orders/ going to %v, want %v", step, w, want)
		}
		if share < 100 && !slices.Contains(lb.Dependencies, addrs.MustParse("autoscaling_group.orders")) {
			t.Errorf("interrupted at %s: the load balancer's dependencies %v lack orders, which still gets traffic", step, lb.Dependencies)
		}
		if share < 100 {
			again := e.plan(PlanOptions{})
			if !slices.ContainsFunc(again.Warnings, func(w string) bool {
				return strings.Contains(w, fmt.Sprintf("stopped shifting /orders/ on load_balancer.edge at %d%%: the apply was interrupted", share))
			}) {
				t.Errorf("interrupted at %s: the next plan does not say where the shift stopped: %v", step, again.Warnings)
			}
		}
		checkFoldResumes(t, e, "interrupted at "+step)
	}
}

// checkFoldResumes plans and applies the fold after an interrupted apply:
// a shift still to finish comes before the deletion of orders, in the
// plan and in the apply, and the apply ends with a clean plan.
func checkFoldResumes(t *testing.T, e *env, where string) {
	t.Helper()
	p, err := e.tryPlan(PlanOptions{})
	if err != nil {
		t.Fatalf("%s: plan: %v", where, err)
	}
	shiftAt, deleteAt := -1, -1
	var steps []string
	for i, s := range p.Steps {
		steps = append(steps, s.Description)
		switch {
		case s.Action == "shift" && s.Address.String() == "load_balancer.edge":
			shiftAt = i
		case s.Action == "delete" && s.Address.String() == "autoscaling_group.orders":
			deleteAt = i
		}
	}
	if shiftAt >= 0 && deleteAt >= 0 && deleteAt < shiftAt {
		t.Errorf("%s: the next plan deletes orders before the shift is done:\n%s", where, strings.Join(steps, "\n"))
	}
	var order []string
	rec := e.recover()
	_, err = e.planner().Apply(context.Background(), p, apply.Options{Backend: e.backend, State: rec.State, Progress: func(ev apply.Event) {
		if ev.Phase == apply.PhaseStart && ev.Address == "autoscaling_group.orders" {
			order = append(order, "delete orders")
		}
		if ev.Phase == apply.PhaseDone && strings.HasPrefix(ev.Operation, "shifting") {
			order = append(order, ev.Operation)
		}
	}})
	if err != nil {
		t.Fatalf("%s: apply after the interrupt: %v\nplan:\n%s", where, err, strings.Join(steps, "\n"))
	}
	if i := slices.Index(order, "delete orders"); i < 0 || i != len(order)-1 {
		t.Errorf("%s: the resumed apply ran %v; orders must go last, after the shift", where, order)
	}
	if again := e.plan(PlanOptions{}); again.HasChanges() {
		t.Errorf("%s: plan after the resumed apply:\n%s", where, actions(again))
	}
	if got := strings.Join(tracked(e.recover().State), ","); got != strings.Join(e.cloud(), ",") {
		t.Errorf("%s: the state tracks %s, the cloud holds %s", where, got, e.cloud())
	}
	for _, c := range e.cloud() {
		if strings.HasPrefix(c, "autoscaling_group.orders=") {
			t.Errorf("%s: orders still exists after the resumed apply", where)
		}
	}
	if len(e.recover().State.Notes) != 0 {
		t.Errorf("%s: the state still notes a stopped shift: %v", where, e.recover().State.Notes)
	}
}
