package planner

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/planner/apply"
	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/sim"
	"github.com/stagecraft/stagecraft/stacks"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/stagecraft/stagecraft/state"
)

// env is one environment under test: a stack, a sim cloud and a local
// state backend in a temporary directory.
type env struct {
	t        *testing.T
	stack    *stacks.Stack
	provider providers.Provider
	backend  *state.Local
	req      stacks.Request
	simCfg   map[string]cty.Value
}

// newEnv loads files as a stack (adding an environment "test" on the sim
// provider at stage when the files have none) and configures a sim cloud.
func newEnv(t *testing.T, files map[string]string, stage string, simCfg map[string]cty.Value) *env {
	t.Helper()
	e := &env{t: t, backend: state.NewLocal(t.TempDir(), "test"), simCfg: simCfg}
	e.load(files, stage)
	e.provider = configuredSim(t, simCfg)
	return e
}

// configuredSim is a sim provider configured with simCfg (latencies,
// failures to inject), or with nothing when simCfg is empty.
func configuredSim(tb testing.TB, simCfg map[string]cty.Value) providers.Provider {
	tb.Helper()
	p := sim.New()
	cfg := cty.EmptyObjectVal
	if len(simCfg) > 0 {
		cfg = cty.ObjectVal(simCfg)
	}
	if d := p.Configure(context.Background(), cfg); d.HasErrors() {
		tb.Fatalf("configure sim: %s", d.Error())
	}
	return p
}

// load (re)reads the stack files, as a user editing them would.
func (e *env) load(files map[string]string, stage string) {
	e.t.Helper()
	fsys := fstest.MapFS{}
	for name, src := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(src)}
	}
	if _, ok := files["env.hcl"]; !ok {
		fsys["env.hcl"] = &fstest.MapFile{Data: []byte(`environment "test" {
  provider = "sim"
  stage    = "` + stage + `"
}
`)}
	}
	st, diags := stacks.LoadFS(fsys, ".")
	if diags.HasErrors() {
		e.t.Fatalf("load: %s", diags.Error())
	}
	e.stack = st
	e.req = stacks.Request{Environment: "test", Stage: stage}
}

func (e *env) planner() *Planner {
	return &Planner{
		Provider: e.provider, ProviderName: "sim", Stack: e.stack.Name, Environment: "test",
		Evaluate: func(known map[addrs.Instance]cty.Value, reuse *stacks.Reuse) (*stacks.DesiredSet, hcl.Diagnostics) {
			r := e.req
			r.Known = known
			r.Reuse = reuse
			return e.stack.Evaluate(r)
		},
	}
}

func (e *env) recover() *state.Recovery {
	e.t.Helper()
	rec, err := e.backend.Recover(context.Background())
	if err != nil {
		e.t.Fatalf("recover state: %v", err)
	}
	if rec == nil {
		return &state.Recovery{}
	}
	return rec
}

// plan makes a plan from the stored state.
func (e *env) plan(opts PlanOptions) *plan.Plan {
	e.t.Helper()
	p, err := e.tryPlan(opts)
	if err != nil {
		e.t.Fatalf("plan: %v", err)
	}
	return p
}

// moveTo plans a migration of the environment to stage.
func (e *env) moveTo(stage string) *plan.Plan {
	e.t.Helper()
	e.req.Stage = stage
	return e.plan(PlanOptions{})
}

func (e *env) tryPlan(opts PlanOptions) (*plan.Plan, error) {
	rec := e.recover()
	opts.State, opts.Intents = rec.State, rec.PendingIntents
	return e.planner().Plan(context.Background(), opts)
}

// apply plans and applies, failing the test on any error.
func (e *env) apply(opts PlanOptions) (*plan.Plan, *state.State) {
	e.t.Helper()
	p := e.plan(opts)
	st, err := e.applyPlan(context.Background(), p)
	if err != nil {
		e.t.Fatalf("apply: %v", err)
	}
	return p, st
}

func (e *env) applyPlan(ctx context.Context, p *plan.Plan) (*state.State, error) {
	rec := e.recover()
	return e.planner().Apply(ctx, p, apply.Options{Backend: e.backend, State: rec.State})
}

// stepList summarises a plan's steps as "action address", comma-separated.
func stepList(p *plan.Plan) string {
	var steps []string
	for _, s := range p.Steps {
		steps = append(steps, s.Action+" "+s.Address.String())
	}
	return strings.Join(steps, ", ")
}

// actions summarises a plan as "address action" lines, no-ops left out.
func actions(p *plan.Plan) string {
	var lines []string
	for _, c := range p.Changes {
		if c.Action == plan.ActionNoOp {
			continue
		}
		l := c.Address.String() + " " + string(c.Action)
		if c.Deposed {
			l += " (deposed)"
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

// cloud lists what the sim cloud holds for the environment, as
// "address=id" lines, through the provider's Discoverer.
func (e *env) cloud() []string {
	e.t.Helper()
	var out []string
	for _, k := range kinds.Names() {
		impl, _ := e.provider.Kind(k)
		found, err := impl.(providers.Discoverer).Discover(context.Background(), e.stack.Name, "test")
		if err != nil {
			e.t.Fatal(err)
		}
		for _, f := range found {
			out = append(out, f.Ref.Address+"="+f.Ref.ID)
		}
	}
	sortStrings(out)
	return out
}

// tracked lists what the state records, as "address=id" lines.
func tracked(st *state.State) []string {
	var out []string
	for _, r := range st.Resources {
		out = append(out, r.Address.String()+"="+r.ID)
	}
	for _, r := range st.Deposed {
		out = append(out, r.Address.String()+"="+r.ID)
	}
	sortStrings(out)
	return out
}

func sortStrings(ss []string) { sort.Strings(ss) }

// fileEnv opens files at stage with its sim cloud (each call taking
// latency) and its state in dir, so that a second process finds them.
func fileEnv(t *testing.T, files map[string]string, stage, dir, latency string) *env {
	t.Helper()
	e := newEnv(t, files, stage, map[string]cty.Value{
		"path":    cty.StringVal(filepath.Join(dir, "cloud.jsonl")),
		"latency": cty.StringVal(latency),
	})
	e.backend = stateBackend(dir)
	return e
}

// startChild runs the test named test of this binary in a process of its
// own with env set to dir (the child applies in dir and prints a line per
// event), and returns it with its output, line by line. The process is
// killed at the end of the test whatever happened.
func startChild(t *testing.T, test, env, dir string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	return cmd, bufio.NewScanner(out)
}

func stateBackend(dir string) *state.Local {
	return state.NewLocal(filepath.Join(dir, "state"), "test")
}
