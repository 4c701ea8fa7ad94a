package cmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/stagecraft/stagecraft/planner"
	"github.com/stagecraft/stagecraft/planner/apply"
	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/stacks"
	"github.com/stagecraft/stagecraft/state"
)

// ApplyOptions are the inputs of apply (and destroy).
type ApplyOptions struct {
	Deps        *Deps
	Global      *GlobalOptions
	Flags       PlanFlags
	AutoApprove bool
	// PlanFile, when set, is a saved plan to apply exactly.
	PlanFile string
}

func newApplyCmd(deps *Deps, g *GlobalOptions, runF func(context.Context, *ApplyOptions) error) *cobra.Command {
	opts := &ApplyOptions{Deps: deps, Global: g}
	c := &cobra.Command{
		Use:   "apply [PLANFILE]",
		Short: "Carry out a plan: move the environment to its target stage",
		Long: `Plan, show the plan and ask for confirmation (type yes), then carry it out,
with progress on stderr. With --auto-approve it does not ask; without a
terminal to ask on it refuses unless --auto-approve is given.

Given a plan file saved by plan -out, it applies exactly that plan, without
asking, and refuses it when the state or the stack files changed since
("stale plan": run plan again).

Ctrl-C (or SIGTERM) stops starting new work and stops the waits of the
operations in flight; calls already sent finish and are recorded, and a
traffic shift stops at the step it is on ("interrupted at shift step N of
M"). Apply then exits 1; run it again to continue. A second Ctrl-C stops
at once: the journal holds everything that finished, and the next plan
reads what was still in flight. Ctrl-C while planning or at the prompt
stops with nothing changed.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.PlanFile = args[0]
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runApply(c.Context(), opts)
		},
	}
	addPlanFlags(c, &opts.Flags, true)
	c.Flags().BoolVar(&opts.AutoApprove, "auto-approve", false, "apply without asking for confirmation")
	return c
}

func runApply(ctx context.Context, opts *ApplyOptions) error {
	ctx, intr := watchInterrupts(ctx, opts.Deps.Signals)
	defer intr.close()
	if opts.PlanFile != "" {
		return applyPlanFile(ctx, intr, opts)
	}
	w, b, err := openWorkspaceBackend(opts.Deps, opts.Global)
	if err != nil {
		return err
	}
	w.intr = intr
	op := "apply"
	if opts.Flags.Destroy {
		op = "destroy"
	}
	unlock, err := w.lock(ctx, b, op)
	if err != nil {
		return err
	}
	defer unlock()
	res, err := w.planAndRender(ctx, b, opts.Flags)
	if err != nil {
		if ctx.Err() != nil {
			return userError("interrupted while planning; nothing was changed")
		}
		return err
	}
	defer res.close()
	if len(res.plan.Refused) > 0 {
		return silentExit(ExitError)
	}
	if !res.plan.HasChanges() {
		return nil
	}
	if !opts.AutoApprove {
		if err := w.confirm(ctx, res.plan); err != nil {
			return err
		}
	}
	return w.carryOut(ctx, b, res.planner, res.plan, res.rec.State)
}

// confirm asks for "yes" on the terminal; an interrupt (ctx ending)
// cancels.
func (w *workspace) confirm(ctx context.Context, p *plan.Plan) error {
	io := w.deps.IO
	if !io.InTTY {
		return userError("apply needs confirmation and there is no terminal to ask on; review the plan and run again with --auto-approve, or save it with plan -out FILE and apply that file.")
	}
	question := fmt.Sprintf("Do you want to perform these actions in environment %q?", p.Environment)
	if p.Destroy {
		question = fmt.Sprintf("Do you really want to destroy every resource of environment %q?", p.Environment)
	}
	fmt.Fprintf(io.ErrOut, "\n%s\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ", question)
	type answer struct {
		line string
		err  error
	}
	answers := make(chan answer, 1)
	go func() {
		line, err := bufio.NewReader(io.In).ReadString('\n')
		answers <- answer{line, err}
	}()
	var a answer
	select {
	case <-ctx.Done():
		fmt.Fprintln(io.ErrOut, "\n\nApply cancelled; nothing was changed.")
		return silentExit(ExitError)
	case a = <-answers:
	}
	if a.err != nil && a.line == "" {
		return userError("no answer read; nothing was changed.")
	}
	if strings.TrimSpace(a.line) != "yes" {
		fmt.Fprintln(io.ErrOut, "\nApply cancelled; nothing was changed.")
		return silentExit(ExitError)
	}
	fmt.Fprintln(io.ErrOut)
	return nil
}

// applyPlanFile applies a saved plan after checking it is not stale.
func applyPlanFile(ctx context.Context, intr *interrupts, opts *ApplyOptions) error {
	pf, err := readPlanFile(opts.Deps, opts.PlanFile)
	if err != nil {
		return err
	}
	if opts.Global.Env == "" {
		opts.Global.Env = pf.Environment
	}
	w, err := openWorkspace(opts.Deps, opts.Global)
	if err != nil {
		return err
	}
	w.intr = intr
	if w.env.Name != pf.Environment {
		return userError("the plan in %s is for environment %q, not %q", opts.PlanFile, pf.Environment, w.env.Name)
	}
	plan, inputs := pf.Plan, pf.Inputs
	b, err := w.backend()
	if err != nil {
		return err
	}
	unlock, err := w.lock(ctx, b, "apply")
	if err != nil {
		return err
	}
	defer unlock()
	stage := ""
	if plan.TargetStage != w.env.Stage {
		stage = plan.TargetStage
	}
	req := stacks.Request{Environment: w.env.Name, Stage: stage, Vars: inputs}
	if plan.Destroy {
		req.Stage = ""
	}
	ds, err := w.evaluate(req)
	if err != nil {
		return err
	}
	rec, err := recoverState(ctx, b)
	if err != nil {
		return err
	}
	if err := pf.CheckFresh(rec.State, ds.SourceHash); err != nil {
		return userError("%s", strings.TrimSuffix(err.Error(), "."))
	}
	if len(plan.Refused) > 0 {
		return userError("the saved plan has changes that need consent; run plan again with the consent given")
	}
	p, err := w.provider(ctx, ds.ProviderConfig)
	if err != nil {
		return err
	}
	defer closeProvider(p)
	if !plan.HasChanges() {
		fmt.Fprintln(w.deps.IO.Out, "No changes to apply.")
		return nil
	}
	return w.carryOut(ctx, b, w.planner(p, req), plan, rec.State)
}

// carryOut runs the apply with progress, interrupt handling and a summary.
//
// Interrupts (Ctrl-C, SIGTERM) have the meaning Terraform users know: the
// first stops new operations and the waits of those in flight (calls
// already sent finish and are recorded; a traffic shift stops at the step
// it is on); the second stops at once, leaving the journal as it is,
// which holds everything that finished.
func (w *workspace) carryOut(ctx context.Context, b state.Backend, pl *planner.Planner, p *plan.Plan, st *state.State) error {
	io := w.deps.IO
	prog := newProgress(io.ErrOut, io.ErrOutTTY, io.color(io.ErrOutTTY, w.g.NoColor), io.errOutWidth())
	intr := w.intr
	if intr == nil {
		ctx, intr = watchInterrupts(ctx, w.deps.Signals)
		defer intr.close()
	}
	intr.onFirst(func() {
		prog.message("Interrupt received: no new operation starts and waits stop; calls already sent finish and are recorded (Ctrl-C again stops at once).")
	})
	ctx = providers.WithWarnings(ctx, func(addr, msg string) {
		prog.message("Warning: %s: %s", addr, msg)
	})
	start := time.Now()
	fmt.Fprintln(io.ErrOut)
	type outcome struct {
		applied *state.State
		err     error
	}
	view := newPhaseView(io.ErrOut, io.ErrOutTTY)
	defer view.end()
	result := make(chan outcome, 1)
	go func() {
		applied, err := pl.Apply(ctx, p, apply.Options{Backend: b, State: st, Progress: prog.event, Phases: view.begin})
		view.end()
		result <- outcome{applied, err}
	}()
	var applied *state.State
	var err error
	select {
	case o := <-result:
		applied, err = o.applied, o.err
	case <-intr.hard:
		// Every journal entry is whole once written, so the journal is
		// true whenever the process ends; what was in flight is read
		// again by the next plan (creates have their intents on record).
		if f := prog.inFlight(); len(f) > 0 {
			prog.message("Second interrupt: stopping at once. Still in flight: %s; the next plan reads what they did.", strings.Join(f, ", "))
		} else {
			prog.message("Second interrupt: stopping at once.")
		}
		prog.stop()
		fmt.Fprintf(io.ErrOut, "\nApply interrupted after %s; the journal records everything that finished. Run apply again to continue.\n", seconds(time.Since(start)))
		return silentExit(ExitError)
	}
	prog.stop()
	elapsed := time.Since(start)
	counts := p.Counts()
	added := counts[plan.ActionCreate] + counts[plan.ActionReplace]
	changed := counts[plan.ActionUpdate]
	destroyed := counts[plan.ActionDelete] + counts[plan.ActionReplace]
	if err != nil {
		var aerr *apply.ApplyError
		if errors.As(err, &aerr) {
			if aerr.Interrupted {
				fmt.Fprintf(io.ErrOut, "\nApply interrupted after %s; the state records everything that finished. Run apply again to continue.\n", seconds(elapsed))
				for _, step := range slices.Sorted(maps.Keys(aerr.Stopped)) {
					var ie *apply.InterruptedError
					if errors.As(aerr.Stopped[step], &ie) && ie.Shift != nil {
						fmt.Fprintf(io.ErrOut, "  %s\n", ie)
					}
				}
			}
			if len(aerr.Failed) > 0 {
				return userError("apply failed after %s: %s; the state records everything that finished, so fix the cause and run apply again", seconds(elapsed), aerr.Error())
			}
			return silentExit(ExitError)
		}
		var de *apply.DiagnosticsError
		if errors.As(err, &de) {
			printDiags(w.deps, w.g, w.stack.Files, de.Diags)
			return silentExit(ExitError)
		}
		return userError("%s", strings.TrimSuffix(err.Error(), "."))
	}
	verb := "Apply"
	if p.Destroy {
		verb = "Destroy"
	}
	fmt.Fprintf(io.ErrOut, "\n%s complete in %s! Resources: %d added, %d changed, %d destroyed.\n", verb, seconds(elapsed), added, changed, destroyed)
	switch n := prog.pendingDeletions(); {
	case n == 1:
		fmt.Fprintln(io.ErrOut, "1 deletion is still under way at the provider; nothing needed to wait for it, and the next plan checks that it finished.")
	case n > 1:
		fmt.Fprintf(io.ErrOut, "%d deletions are still under way at the provider; nothing needed to wait for them, and the next plan checks that they finished.\n", n)
	}
	if !p.Destroy && p.TargetStage != "" && len(p.Targets) == 0 {
		fmt.Fprintf(io.ErrOut, "Environment %q is at stage %q.\n", p.Environment, p.TargetStage)
	}
	return w.printOutputs(applied)
}

// printOutputs shows the outputs of the state apply wrote (reading it back
// would decode every resource again just for the outputs).
func (w *workspace) printOutputs(st *state.State) error {
	if st == nil || len(st.Outputs) == 0 || w.g.Output != "text" {
		return nil
	}
	fmt.Fprintln(w.deps.IO.Out, "\nOutputs:")
	for _, name := range sortedOutputNames(st) {
		v, err := outputText(st.Outputs[name])
		if err != nil {
			continue
		}
		fmt.Fprintf(w.deps.IO.Out, "  %s = %s\n", name, v)
	}
	return nil
}
