// Command stagebench runs one generated stack through the planner the way
// `stagecraft apply` does (load the files, read the state, plan, apply),
// with the sim provider in memory and the local state backend in a
// temporary directory, and prints how long each part took. It is the
// stagecraft side of bench/compare-terraform.sh, which runs it once per
// measurement so that every run is a fresh process, like a CLI run; it
// does not need the stagecraft binary.
//
//	stagebench -n 1000 -layers 10
//	stagebench -n 5000 -noop          # apply, then time a plan that changes nothing
//	stagebench -n 50 -layers 10 -latency 100ms -parallelism 10
//	stagebench -n 100000 -layers 10 -write DIR   # only write the stack, for the stagecraft binary
//
// With -write it writes the stack into DIR, with the sim provider's cloud
// persisted in DIR/.stagecraft/sim.jsonl, and exits: bench/compare-whole.sh
// runs the stagecraft binary on it.
//
// It prints one line of key=value fields:
//
//	n=1000 layers=10 parallelism=10 latency=0s load_s=0.002 plan_s=0.061 apply_s=0.840 total_s=0.903 noop_plan_s= evals=12 maxrss_mb=92.1
//
// A field it did not measure is empty: noop_plan_s without -noop, and
// maxrss_mb on systems without getrusage (Windows).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/bench/shape"
	"github.com/stagecraft/stagecraft/planner"
	"github.com/stagecraft/stagecraft/planner/apply"
	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/providers/sim"
	"github.com/stagecraft/stagecraft/stacks"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/stagecraft/stagecraft/state"
)

// options are the command line's settings.
type options struct {
	n, layers   int
	parallelism int
	latency     time.Duration
	noop        bool
	keep        string // directory to work in and keep; "" for a temporary one
	write       string // directory to write the persisted stack to, and stop
}

func main() {
	var o options
	flag.IntVar(&o.n, "n", 1000, "number of resources")
	flag.IntVar(&o.layers, "layers", 1, "dependency layers (1: independent resources)")
	flag.IntVar(&o.parallelism, "parallelism", apply.DefaultParallelism, "concurrent provider operations")
	flag.DurationVar(&o.latency, "latency", 0, "sim provider latency per call")
	flag.BoolVar(&o.noop, "noop", false, "after the apply, time a plan that has nothing to change")
	flag.StringVar(&o.keep, "dir", "", "work in this directory and keep it (default: a temporary one, removed)")
	flag.StringVar(&o.write, "write", "", "only write the stack (sim cloud persisted) into this directory")
	flag.Parse()
	if o.write != "" {
		if err := writeStack(o); err != nil {
			fmt.Fprintln(os.Stderr, "stagebench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(context.Background(), o, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "stagebench:", err)
		os.Exit(1)
	}
}

// run times one stack; the result line goes to out, and a figure it
// cannot measure on this system is left empty with the reason on errOut.
func run(ctx context.Context, o options, out, errOut io.Writer) error {
	files, err := shape.Stack(o.n, o.layers, "bench")
	if err != nil {
		return err
	}
	dir := o.keep
	if dir == "" {
		if dir, err = os.MkdirTemp("", "stagebench-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			return err
		}
	}

	start := time.Now()
	st, diags := stacks.Load(dir)
	if diags.HasErrors() {
		return fmt.Errorf("load: %s", diags.Error())
	}
	loadT := time.Since(start)

	provider := sim.New()
	cfg := cty.EmptyObjectVal
	if o.latency > 0 {
		cfg = cty.ObjectVal(map[string]cty.Value{"latency": cty.StringVal(o.latency.String())})
	}
	if d := provider.Configure(ctx, cfg); d.HasErrors() {
		return fmt.Errorf("configure sim: %s", d.Error())
	}
	backend := state.NewLocal(filepath.Join(dir, ".stagecraft", "state"), "bench")
	var evals atomic.Int64
	p := &planner.Planner{
		Provider: provider, ProviderName: sim.Name, Stack: st.Name, Environment: "bench",
		Parallelism: o.parallelism,
		Evaluate: func(known map[addrs.Instance]cty.Value, reuse *stacks.Reuse) (*stacks.DesiredSet, hcl.Diagnostics) {
			evals.Add(1)
			return st.Evaluate(stacks.Request{Environment: "bench", Known: known, Reuse: reuse})
		},
	}

	plan := func() (*plan.Plan, *state.State, error) {
		rec, err := backend.Recover(ctx)
		if err != nil {
			return nil, nil, err
		}
		var po planner.PlanOptions
		if rec != nil {
			po.State, po.Intents = rec.State, rec.PendingIntents
		}
		pl, err := p.Plan(ctx, po)
		return pl, po.State, err
	}

	unlock, err := backend.Lock(ctx, state.LockInfo{Operation: "apply"})
	if err != nil {
		return err
	}
	defer unlock()
	t := time.Now()
	pl, prior, err := plan()
	if err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	planT := time.Since(t)
	t = time.Now()
	if _, err := p.Apply(ctx, pl, apply.Options{Backend: backend, State: prior}); err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	applyT := time.Since(t)
	total := time.Since(start)

	noop := ""
	if o.noop {
		t = time.Now()
		pl, _, err := plan()
		if err != nil {
			return fmt.Errorf("no-op plan: %w", err)
		}
		noop = seconds(time.Since(t))
		if pl.HasChanges() {
			return fmt.Errorf("the plan after the apply has changes")
		}
	}

	maxrss := ""
	if rss, err := peakRSS(); err != nil {
		fmt.Fprintln(errOut, "stagebench:", err)
	} else {
		maxrss = fmt.Sprintf("%.1f", float64(rss)/(1<<20))
	}
	fmt.Fprintf(out, "n=%d layers=%d parallelism=%d latency=%s load_s=%s plan_s=%s apply_s=%s total_s=%s noop_plan_s=%s evals=%d maxrss_mb=%s\n",
		o.n, o.layers, o.parallelism, o.latency, seconds(loadT), seconds(planT), seconds(applyT), seconds(total), noop,
		evals.Load(), maxrss)
	return nil
}

// writeStack writes the persisted form of the stack into o.write.
func writeStack(o options) error {
	files, err := shape.Persisted(o.n, o.layers, "bench", ".stagecraft/sim.jsonl")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.write, 0o755); err != nil {
		return err
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(o.write, name), []byte(src), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }
