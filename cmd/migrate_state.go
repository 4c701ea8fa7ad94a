package cmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stagecraft/stagecraft/state"
)

// The two ends migrate-state moves a state between.
const (
	backendLocal      = "local"   // the files under .stagecraft/state
	backendConfigured = "backend" // the environment's backend block
)

// MigrateStateOptions are the inputs of migrate-state.
type MigrateStateOptions struct {
	Deps   *Deps
	Global *GlobalOptions
	// From and To are backendLocal or backendConfigured.
	From, To string
	// Force replaces a destination state of another lineage or a newer
	// serial.
	Force bool
}

func newMigrateStateCmd(deps *Deps, g *GlobalOptions, runF func(context.Context, *MigrateStateOptions) error) *cobra.Command {
	opts := &MigrateStateOptions{Deps: deps, Global: g}
	c := &cobra.Command{
		Use:   "migrate-state",
		Short: "Move the state between the local files and the configured backend",
		Long: `Copy the environment's state from one backend to another, keeping its
lineage and serial, so saved plans and history stay valid. By default it
copies the local state (.stagecraft/state) to the backend the environment
block configures: the step after adding backend "s3" { ... } to it.
--from backend --to local goes the other way.

Both backends are locked while it runs. It refuses a state an interrupted
apply left unfinished (run apply first), and a destination that already
holds a state of another lineage or a newer one, unless --force. The
source is left as it was; delete it once the new backend works.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runMigrateState(c.Context(), opts)
		},
	}
	c.Flags().StringVar(&opts.From, "from", backendLocal, "where the state is: local or backend")
	c.Flags().StringVar(&opts.To, "to", backendConfigured, "where it goes: local or backend")
	c.Flags().BoolVar(&opts.Force, "force", false, "replace a destination state of another lineage or a newer serial")
	return c
}

func runMigrateState(ctx context.Context, opts *MigrateStateOptions) error {
	for _, v := range []string{opts.From, opts.To} {
		if v != backendLocal && v != backendConfigured {
			return userError("--from and --to take local or backend, not %q.", v)
		}
	}
	if opts.From == opts.To {
		return userError("--from and --to are both %s; there is nothing to migrate.", opts.From)
	}
	w, err := openWorkspace(opts.Deps, opts.Global)
	if err != nil {
		return err
	}
	if b := w.env.Backend; b == nil || b.Type == "local" {
		return userError("environment %q has no backend block, so its state is already local; add one, such as backend \"s3\" { bucket = \"...\"  key = \"...\" }, then migrate.", w.env.Name)
	}
	open := func(which string) (state.Backend, string, error) {
		if which == backendLocal {
			b, err := w.openBackend(ctx, nil)
			return b, "the local state", err
		}
		b, err := w.openBackend(ctx, w.env.Backend)
		return b, fmt.Sprintf("the %s backend", w.env.Backend.Type), err
	}
	src, srcName, err := open(opts.From)
	if err != nil {
		return err
	}
	dst, dstName, err := open(opts.To)
	if err != nil {
		return err
	}
	for _, b := range []state.Backend{src, dst} {
		unlock, err := w.lock(ctx, b, "migrate-state")
		if err != nil {
			return err
		}
		defer unlock()
	}
	rec, err := src.Recover(ctx)
	if err != nil {
		return userError("cannot read %s: %s.", srcName, strings.TrimSuffix(err.Error(), "."))
	}
	if rec == nil || rec.State == nil {
		return userError("environment %q has no state in %s; there is nothing to migrate.", w.env.Name, srcName)
	}
	if len(rec.PendingIntents) > 0 || rec.Replayed > 0 {
		return userError("an apply of environment %q was interrupted and its journal is in %s; run stagecraft apply to finish it, then migrate.", w.env.Name, srcName)
	}
	st := rec.State
	cur, err := dst.Read(ctx)
	if err != nil && (!opts.Force || state.IsKeyError(err)) {
		return userError("cannot read %s: %s.", dstName, strings.TrimSuffix(err.Error(), "."))
	}
	if cur != nil && !opts.Force {
		switch {
		case cur.Lineage != st.Lineage:
			return userError("%s already holds another state of environment %q (lineage %s, not %s); use --force to replace it.", dstName, w.env.Name, cur.Lineage, st.Lineage)
		case cur.Serial >= st.Serial:
			return userError("%s already holds this state at serial %d (the source is at %d); nothing to migrate, or use --force to replace it.", dstName, cur.Serial, st.Serial)
		}
	}
	if err := state.Replace(ctx, dst, st, opts.Force); err != nil {
		return userError("cannot write %s: %s.", dstName, strings.TrimSuffix(err.Error(), "."))
	}
	fmt.Fprintf(w.deps.IO.Out, "Migrated the state of environment %q from %s to %s (lineage %s, serial %d, %s). %s is unchanged; delete it once %s works.\n",
		w.env.Name, srcName, dstName, st.Lineage, st.Serial, plural(len(st.Resources), "resource"), capitalize(srcName), dstName)
	return nil
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
