package cmd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/planner"
	"github.com/stagecraft/stagecraft/planner/apply"
	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/planner/planfile"
	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/render"
	"github.com/stagecraft/stagecraft/stacks"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/stagecraft/stagecraft/state"
)

// PlanFlags are the planning flags plan, apply and destroy share.
type PlanFlags struct {
	Stage         string
	Targets       []string
	NoRefresh     bool
	Destroy       bool
	AllowDataLoss bool
	// Adopt takes over what a lost state left running instead of refusing.
	Adopt bool
}

func addPlanFlags(c *cobra.Command, f *PlanFlags, destroyFlag bool) {
	c.Flags().StringVar(&f.Stage, "stage", "", "plan for this stage instead of the environment's")
	c.Flags().StringArrayVar(&f.Targets, "target", nil, "limit the plan to this address and what it depends on (repeatable; an address that matches nothing is an error)")
	c.Flags().BoolVar(&f.AllowDataLoss, "allow-data-loss", false, "consent, for this run, to deleting or replacing caches and coordinators")
	refresh := true
	c.Flags().BoolVar(&refresh, "refresh", true, "read every resource from the provider first (--refresh=false trusts the state)")
	c.PreRun = func(*cobra.Command, []string) { f.NoRefresh = !refresh }
	if destroyFlag {
		c.Flags().BoolVar(&f.Destroy, "destroy", false, "plan the removal of everything")
		c.Flags().BoolVar(&f.Adopt, "adopt", false, "when the state is empty, adopt the resources tagged with this environment instead of refusing to create them again")
	}
}

// PlanOptions are the inputs of plan.
type PlanOptions struct {
	Deps             *Deps
	Global           *GlobalOptions
	Flags            PlanFlags
	Out              string
	DetailedExitCode bool
}

func newPlanCmd(deps *Deps, g *GlobalOptions, runF func(context.Context, *PlanOptions) error) *cobra.Command {
	opts := &PlanOptions{Deps: deps, Global: g}
	c := &cobra.Command{
		Use:   "plan",
		Short: "Show what moving the environment to its target stage changes",
		Long: `Read what actually runs (refresh), evaluate the stack at the environment's
target stage (or --stage) and show the changes: resources to create, update
in place, replace and destroy, drift found, and changes that need consent.

-o json prints the plan in the documented JSON format (docs/json-plan.md);
-o markdown prints a pull-request comment with a diagram.

Exit codes: 0 success, 1 error, 2 with --detailed-exitcode when there are
changes.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runPlan(c.Context(), opts)
		},
	}
	addPlanFlags(c, &opts.Flags, true)
	c.Flags().StringVar(&opts.Out, "out", "", "save the plan to FILE, to apply exactly it later")
	c.Flags().BoolVar(&opts.DetailedExitCode, "detailed-exitcode", false, "exit 2 when the plan has changes, 0 when it has none")
	return c
}

func runPlan(ctx context.Context, opts *PlanOptions) error {
	w, b, err := openWorkspaceBackend(opts.Deps, opts.Global)
	if err != nil {
		return err
	}
	unlock, err := w.lock(ctx, b, "plan")
	if err != nil {
		return err
	}
	defer unlock()
	res, err := w.planAndRender(ctx, b, opts.Flags)
	if err != nil {
		return err
	}
	defer res.close()
	if len(res.plan.Refused) > 0 {
		return silentExit(ExitError)
	}
	if opts.Out != "" {
		if err := writePlanFile(opts.Out, w, res); err != nil {
			return err
		}
		if opts.Global.Output == "text" {
			fmt.Fprintf(w.deps.IO.Out, "\nSaved the plan to %s. Apply exactly it with: stagecraft apply %s\n", opts.Out, opts.Out)
		}
	}
	if opts.DetailedExitCode && res.plan.HasChanges() {
		return silentExit(ExitChanges)
	}
	return nil
}

// planResult is a plan and what made it.
type planResult struct {
	plan     *plan.Plan
	planner  *planner.Planner
	provider providers.Provider
	rec      *state.Recovery
	// inputs are the variable values the plan was made with, saved with
	// it so that applying it later evaluates the same stack.
	inputs []stacks.VarInput
}

func (r *planResult) close() {
	closeProvider(r.provider)
}

// makePlan evaluates, configures the provider and plans.
func (w *workspace) makePlan(ctx context.Context, b state.Backend, f PlanFlags, inputs []stacks.VarInput) (*planResult, error) {
	if err := w.checkStage(f.Stage); err != nil {
		return nil, err
	}
	var targets []addrs.Target
	for _, t := range f.Targets {
		a, err := stacks.ParseTarget(t)
		if err != nil {
			return nil, userError("--target %s.", err)
		}
		targets = append(targets, a)
	}
	req := stacks.Request{Environment: w.env.Name, Stage: f.Stage, Vars: inputs}
	view := newPhaseView(w.deps.IO.ErrOut, w.deps.IO.ErrOutTTY)
	defer view.end()
	view.begin(phaseEvaluating, -1)
	cfg, diags := w.stack.EvaluateProvider(req)
	if diags.HasErrors() {
		printDiags(w.deps, w.g, w.stack.Files, diags)
		return nil, silentExit(ExitError)
	}
	view.begin(phaseConfiguring, -1)
	p, err := w.provider(ctx, cfg)
	if err != nil {
		return nil, err
	}
	view.begin(phaseReadingState, -1)
	rec, err := recoverState(ctx, b)
	if err != nil {
		return nil, err
	}
	pl := w.planner(p, req)
	evals := &evaluations{eval: pl.Evaluate}
	pl.Evaluate = evals.evaluate
	plan, err := pl.Plan(ctx, planner.PlanOptions{
		State: rec.State, Intents: rec.PendingIntents, SkipRefresh: f.NoRefresh, Destroy: f.Destroy,
		Targets: targets, AllowDataLoss: f.AllowDataLoss, Adopt: f.Adopt,
		Phases: view.begin,
	})
	if err != nil {
		return nil, w.planError(err)
	}
	plan.StackHash = evals.sourceHash()
	return &planResult{plan: plan, planner: pl, provider: p, rec: rec, inputs: inputs}, nil
}

// evaluations stands between the planner and the stack: the plan of a
// first apply and the apply's preparation both ask for the stack with
// nothing known and nothing to reuse, and get one result, kept until the
// first evaluation with something known (at 100,000 resources an
// evaluation takes seconds). It also keeps the stack hash of the latest
// evaluation, which covers every file the stack read, for the plan.
type evaluations struct {
	eval apply.Evaluator

	mu    sync.Mutex
	plain *stacks.DesiredSet // the result with nothing known
	moved bool               // something known was asked for since
	hash  string
}

func (e *evaluations) evaluate(known map[addrs.Instance]cty.Value, reuse *stacks.Reuse) (*stacks.DesiredSet, hcl.Diagnostics) {
	plain := len(known) == 0 && reuse == nil
	e.mu.Lock()
	if !plain {
		e.plain, e.moved = nil, true
	}
	kept := e.plain
	e.mu.Unlock()
	if kept != nil {
		return kept, nil
	}
	ds, diags := e.eval(known, reuse)
	if ds != nil {
		e.mu.Lock()
		e.hash = ds.SourceHash
		if plain && !e.moved {
			e.plain = ds
		}
		e.mu.Unlock()
	}
	return ds, diags
}

// sourceHash is the stack hash of the latest evaluation.
func (e *evaluations) sourceHash() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.hash
}

// planAndRender plans with the stack's frozen inputs and prints the plan
// in the chosen format, as plan, apply and the ci commands all do first.
func (w *workspace) planAndRender(ctx context.Context, b state.Backend, f PlanFlags) (*planResult, error) {
	inputs, err := w.frozenInputs()
	if err != nil {
		return nil, err
	}
	res, err := w.makePlan(ctx, b, f, inputs)
	if err != nil {
		return nil, err
	}
	if err := w.renderPlan(res.plan); err != nil {
		res.close()
		return nil, err
	}
	return res, nil
}

// planError prints stack diagnostics, or turns a provider error into a
// sentence.
func (w *workspace) planError(err error) error {
	var de *apply.DiagnosticsError
	if errors.As(err, &de) {
		printDiags(w.deps, w.g, w.stack.Files, de.Diags)
		return silentExit(ExitError)
	}
	return userError("%s", strings.TrimSuffix(err.Error(), "."))
}

// terminalPlanChanges is how many resource changes a plan shows on a
// terminal; the rest are counted, with how to see them all.
const terminalPlanChanges = 100

// renderPlan prints a plan in the chosen format.
func (w *workspace) renderPlan(p *plan.Plan) error {
	out := w.deps.IO.Out
	o := render.Options{Color: w.deps.IO.color(w.deps.IO.OutTTY, w.g.NoColor)}
	if w.deps.IO.OutTTY {
		// On a terminal a plan of thousands of changes is read by its
		// summary; printing every change would hold up the apply.
		o.MaxChanges = terminalPlanChanges
	}
	var err error
	switch w.g.Output {
	case "json":
		err = render.PlanJSON(out, p)
	case "markdown":
		err = render.PlanMarkdown(out, p, o)
	default:
		err = render.PlanText(out, p, o)
	}
	if err != nil {
		return userError("cannot render the plan: %s.", err)
	}
	return nil
}

// readPlanFile reads a plan saved by plan -out (decrypting it with the
// state key from the environment), with an error as one sentence for the
// user.
func readPlanFile(deps *Deps, path string) (*planfile.File, error) {
	enc, err := state.EncryptionFromEnv(deps.Getenv)
	if err != nil {
		return nil, userError("%s.", err)
	}
	pf, err := planfile.Read(path, enc)
	if damaged := (*planfile.DamagedError)(nil); errors.As(err, &damaged) {
		return nil, userError("%s", err)
	}
	if err != nil {
		return nil, userError("%s.", strings.TrimSuffix(err.Error(), "."))
	}
	return pf, nil
}

// writePlanFile saves a plan with what is needed to apply it later,
// encrypted with the state key when one is set.
func writePlanFile(path string, w *workspace, res *planResult) error {
	enc, err := state.EncryptionFromEnv(w.deps.Getenv)
	if err != nil {
		return userError("%s.", err)
	}
	pf := planfile.New(res.plan, w.env.Name, res.inputs, time.Now())
	if err := planfile.Write(path, pf, enc); err != nil {
		return userError("cannot save the plan to %s: %s.", path, err)
	}
	return nil
}
