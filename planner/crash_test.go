package planner

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stagecraft/stagecraft/planner/apply"
	"github.com/stagecraft/stagecraft/planner/plan"
)

// crashStack has a before and an after version: moving from one to the
// other creates, updates, replaces (create-before-destroy) and deletes.
func crashStack(after bool) map[string]string {
	engine, groups, extra, memory := `"redis"`, 10, 0, 64
	if after {
		engine, groups, extra, memory = `count.index % 2 == 0 ? "memcached" : "redis"`, 8, 5, 128
	}
	return map[string]string{"main.hcl": fmt.Sprintf(`
stage "s" {
  cache "c" {
    count     = 10
    engine    = %s
    memory_mb = %d
    lifecycle {
      allow_data_loss = true
    }
  }
  autoscaling_group "g" {
    count = %d
    env   = { CACHE = cache.c[count.index].endpoint }
  }
  autoscaling_group "h" {
    count = %d
  }
  load_balancer "edge" {
    listener {
      port = 8080
    }
    route {
      target = autoscaling_group.g[0]
    }
  }
}
`, engine, memory, groups, extra)}
}

const crashChildEnv = "STAGECRAFT_CRASH_CHILD"

// crashEnv opens an environment whose cloud and state live in dir, so that
// a second process finds them.
func crashEnv(t *testing.T, dir string, after bool) *env {
	t.Helper()
	return fileEnv(t, crashStack(after), "s", dir, "3ms")
}

// TestCrashChild is the process that gets killed: it applies the after
// version of the stack and is sent SIGKILL somewhere along the way.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("run by TestCrashConvergence")
	}
	e := crashEnv(t, dir, true)
	p := e.plan(PlanOptions{})
	pl := e.planner()
	pl.Parallelism = 4
	fmt.Println("applying")
	rec := e.recover()
	_, _ = pl.Apply(context.Background(), p, apply.Options{Backend: e.backend, State: rec.State, Progress: func(ev apply.Event) {
		fmt.Printf("event %s %s\n", ev.Phase, ev.Address)
	}})
	fmt.Println("finished")
}

// TestCrashConvergence kills an apply with SIGKILL at 50 random points and
// checks that the next plan and apply finish the job with no duplicate and
// no orphan: the state tracks exactly what the cloud holds, and a further
// plan is empty.
func TestCrashConvergence(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 50 processes")
	}
	t.Parallel()
	// Kill points are spread over the apply's own progress, not over wall
	// time (which varies with the machine and the race detector): the
	// child prints a line per event, and each round kills it right after
	// a random event, plus up to one provider call's latency, so the kill
	// lands between events or in the middle of calls.
	warm := t.TempDir()
	crashEnv(t, warm, false).apply(PlanOptions{})
	p := crashEnv(t, warm, true).plan(PlanOptions{})
	events := 0
	for _, c := range p.Changes {
		switch {
		case c.Action == plan.ActionNoOp:
		case c.Action == plan.ActionReplace:
			events += 4 // start and end of the create and of the old copy's delete
		default:
			events += 2
		}
	}

	rng := rand.New(rand.NewPCG(20261123, 1))
	killedEarly, finished := 0, 0
	for round := 0; round < 50; round++ {
		dir := t.TempDir()
		crashEnv(t, dir, false).apply(PlanOptions{})
		after := rng.IntN(events + 1)
		delay := time.Duration(rng.Int64N(int64(4 * time.Millisecond)))

		cmd, lines := startChild(t, "TestCrashChild", crashChildEnv, dir)
		pid := cmd.Process.Pid
		var log []string
		seen := -1
		for lines.Scan() {
			log = append(log, lines.Text())
			if lines.Text() == "applying" || strings.HasPrefix(lines.Text(), "event ") {
				seen++
			}
			if seen >= after || lines.Text() == "finished" {
				break
			}
		}
		time.Sleep(delay)
		_ = syscall.Kill(pid, syscall.SIGKILL)
		for lines.Scan() {
			log = append(log, lines.Text())
		}
		_ = cmd.Wait()
		if strings.Contains(strings.Join(log, "\n"), "finished") {
			finished++
		} else {
			killedEarly++
		}
		killPoint := fmt.Sprintf("killed after event %d of %d, +%v", after, events, delay)

		e := crashEnv(t, dir, true)
		p, err := e.tryPlan(PlanOptions{})
		if err != nil {
			t.Fatalf("round %d (%s): plan after the crash: %v\nchild:\n%s", round, killPoint, err, strings.Join(log, "\n"))
		}
		st, err := e.applyPlan(context.Background(), p)
		if err != nil {
			t.Fatalf("round %d (%s): apply after the crash: %v\nplan:\n%s\nintents: %+v", round, killPoint, err, actions(p), e.recover().PendingIntents)
		}
		cloud := e.cloud()
		if got, want := strings.Join(tracked(st), "\n"), strings.Join(cloud, "\n"); got != want {
			t.Fatalf("round %d (%s): the state does not track exactly what exists\nstate:\n%s\ncloud:\n%s", round, killPoint, got, want)
		}
		addrs := map[string]bool{}
		for _, c := range cloud {
			addr := strings.SplitN(c, "=", 2)[0]
			if addrs[addr] {
				t.Fatalf("round %d: %s exists twice: %v", round, addr, cloud)
			}
			addrs[addr] = true
		}
		if len(cloud) != 10+8+5+1 {
			t.Fatalf("round %d: %d resources, want 24", round, len(cloud))
		}
		if again := e.plan(PlanOptions{}); again.HasChanges() {
			t.Fatalf("round %d: plan after recovery is not empty:\n%s", round, actions(again))
		}
	}
	t.Logf("50 kills over %d events of apply: %d interrupted, %d after the apply had finished", events, killedEarly, finished)
	if killedEarly < 25 {
		t.Errorf("only %d of 50 kills interrupted the apply; the kill points are not spread over it", killedEarly)
	}
}
