package cmd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/stagecraft/stagecraft/planner/apply"
	"github.com/stagecraft/stagecraft/state"
)

// StateRecoverOptions are the inputs of state recover.
type StateRecoverOptions struct {
	Deps   *Deps
	Global *GlobalOptions
	// Stage is the stage the rebuilt state records (--stage); empty for the
	// environment's.
	Stage string
	// Write writes the rebuilt state; without it recover is a dry run.
	Write bool
}

func newStateRecoverCmd(deps *Deps, g *GlobalOptions, runF func(context.Context, *StateRecoverOptions) error) *cobra.Command {
	opts := &StateRecoverOptions{Deps: deps, Global: g}
	c := &cobra.Command{
		Use:   "recover",
		Short: "Rebuild a lost or damaged state from the provider's tags",
		Long: `Rebuild the environment's state from what the provider reports: every
resource tagged with this stack and environment, placed at the address in
its stagecraft:address tag. Without --write it only shows what it found.

With --write it replaces the state: keeping its lineage when the stored
state can still be read, starting a new one when it is lost or damaged. The
applied stage is the environment's (or --stage), and the outputs are
evaluated from what was found, so that a plan right after shows only real
differences. Extra copies at one address are recorded as deposed, for the
next apply to delete.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runStateRecover(c.Context(), opts)
		},
	}
	c.Flags().StringVar(&opts.Stage, "stage", "", "the stage the rebuilt state records (default: the environment's)")
	c.Flags().BoolVar(&opts.Write, "write", false, "write the rebuilt state (default: dry run)")
	return c
}

func runStateRecover(ctx context.Context, opts *StateRecoverOptions) error {
	w, b, err := openWorkspaceAtStage(opts.Deps, opts.Global, opts.Stage)
	if err != nil {
		return err
	}
	if opts.Write || w.keepsFiles() {
		unlock, err := w.lock(ctx, b, "state recover")
		if err != nil {
			return err
		}
		defer unlock()
	}
	req := w.request(opts.Stage)
	ds, err := w.evaluate(req)
	if err != nil {
		return err
	}
	p, err := w.provider(ctx, ds.ProviderConfig)
	if err != nil {
		return err
	}
	defer closeProvider(p)
	rec, err := w.planner(p, req).RebuildState(ctx, ds)
	if de := (*apply.DiagnosticsError)(nil); errors.As(err, &de) {
		return w.planError(err)
	}
	if err != nil {
		return userError("%s.", strings.TrimSuffix(err.Error(), "."))
	}
	for _, warning := range rec.Warnings {
		fmt.Fprintf(w.deps.IO.ErrOut, "Warning: %s\n", warning)
	}
	rebuilt, extra := rec.State, rec.Extra
	cur, readErr := b.Read(ctx)
	if readErr != nil && state.IsKeyError(readErr) {
		return userError("%s.", strings.TrimSuffix(readErr.Error(), "."))
	}
	w.printRecovered(rebuilt, extra, cur, readErr)
	if !opts.Write {
		fmt.Fprintf(w.deps.IO.Out, "\nThis was a dry run: nothing was written. Run stagecraft state recover --write to make this the state of environment %q.\n", w.env.Name)
		return nil
	}
	switch {
	case readErr == nil && cur != nil:
		rebuilt.Lineage, rebuilt.Serial = cur.Lineage, cur.Serial+1
		err = state.Replace(ctx, b, rebuilt, false)
	case readErr == nil:
		err = b.Write(ctx, rebuilt)
	default: // damaged: start a new lineage over it
		rebuilt.Serial = 1
		err = state.Replace(ctx, b, rebuilt, true)
	}
	if err != nil {
		return userError("cannot write the state: %s.", strings.TrimSuffix(err.Error(), "."))
	}
	fmt.Fprintf(w.deps.IO.Out, "\nWrote the rebuilt state of environment %q (lineage %s, serial %d). Run stagecraft plan to see what still differs.\n", w.env.Name, rebuilt.Lineage, rebuilt.Serial)
	return nil
}

// printRecovered shows what recover found, against the stored state when
// there is one.
func (w *workspace) printRecovered(rebuilt *state.State, extra []*state.Resource, cur *state.State, readErr error) {
	out := w.deps.IO.Out
	switch {
	case readErr != nil:
		fmt.Fprintf(out, "The stored state cannot be read (%s); the rebuilt state starts a new lineage.\n\n", strings.TrimSuffix(readErr.Error(), "."))
	case cur == nil:
		fmt.Fprintf(out, "Environment %q has no stored state.\n\n", w.env.Name)
	}
	n := len(rebuilt.Resources) + len(extra)
	fmt.Fprintf(out, "Found %s of stack %q environment %q at provider %q:\n", plural(n, "resource"), w.stack.Name, w.env.Name, w.env.Provider)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, r := range rebuilt.Resources {
		note := ""
		if cur != nil {
			switch prev, ok := cur.Resource(r.Address); {
			case !ok:
				note = "not in the stored state"
			case prev.ID != r.ID:
				note = "the stored state has id " + prev.ID
			}
		}
		if note == "" {
			fmt.Fprintf(tw, "  %s\t%s\n", r.Address, r.ID)
			continue
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", r.Address, r.ID, note)
	}
	for _, r := range extra {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", r.Address, r.ID, "another copy: recorded as deposed, the next apply deletes it")
	}
	_ = tw.Flush()
	if cur != nil {
		var missing []string
		for _, r := range cur.Resources {
			if _, ok := rebuilt.Resource(r.Address); !ok {
				missing = append(missing, r.Address.String())
			}
		}
		if len(missing) > 0 {
			fmt.Fprintf(out, "The stored state also tracks %s, which the provider does not have; the rebuilt state drops %s.\n", strings.Join(missing, ", "), pronoun(len(missing)))
		}
	}
	fmt.Fprintf(out, "Stage: %s; outputs: %d.\n", rebuilt.Stage, len(rebuilt.Outputs))
}

func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}
