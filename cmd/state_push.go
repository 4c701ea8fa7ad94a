package cmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stagecraft/stagecraft/state"
)

// StatePushOptions are the inputs of state push.
type StatePushOptions struct {
	Deps   *Deps
	Global *GlobalOptions
	// File is the state file to push; "-" reads stdin.
	File string
	// Force replaces a state of another lineage or a newer serial.
	Force bool
}

func newStatePushCmd(deps *Deps, g *GlobalOptions, runF func(context.Context, *StatePushOptions) error) *cobra.Command {
	opts := &StatePushOptions{Deps: deps, Global: g}
	c := &cobra.Command{
		Use:   "push FILE",
		Short: "Replace the state with a state file",
		Long: `Replace the environment's state with FILE (- reads stdin), such as one
saved by state pull. It refuses a state of another lineage (another
environment's history) and one with a lower serial than the stored state
(it would undo the applies made since), unless --force. The pushed state is
stored with a serial above both, so plans saved before it are stale.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.File = args[0]
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runStatePush(c.Context(), opts)
		},
	}
	c.Flags().BoolVar(&opts.Force, "force", false, "replace a state of another lineage or a higher serial")
	return c
}

func runStatePush(ctx context.Context, opts *StatePushOptions) error {
	data, err := readFileOrStdin(opts.Deps.IO.In, opts.File)
	if err != nil {
		return userError("cannot read %s: %s.", opts.File, err)
	}
	next, err := state.Decode(data)
	if err != nil {
		return userError("%s is not a state file: %s.", opts.File, strings.TrimSuffix(err.Error(), "."))
	}
	w, err := openWorkspace(opts.Deps, opts.Global)
	if err != nil {
		return err
	}
	if next.Environment != w.env.Name {
		return userError("%s is the state of environment %q, not %q; choose the environment with -e.", opts.File, next.Environment, w.env.Name)
	}
	b, err := w.backend()
	if err != nil {
		return err
	}
	unlock, err := w.lock(ctx, b, "state push")
	if err != nil {
		return err
	}
	defer unlock()
	cur, err := b.Read(ctx)
	if err != nil && !opts.Force {
		return userError("cannot read the stored state: %s; use --force to replace it anyway.", strings.TrimSuffix(err.Error(), "."))
	}
	if err := state.CheckPush(cur, next, opts.Force); err != nil {
		return userError("refusing to push %s: %s.", opts.File, err)
	}
	if cur != nil && cur.Serial > next.Serial {
		next.Serial = cur.Serial
	}
	next.Serial++
	if err := state.Replace(ctx, b, next, opts.Force); err != nil {
		return userError("cannot write the state: %s.", strings.TrimSuffix(err.Error(), "."))
	}
	fmt.Fprintf(opts.Deps.IO.Out, "Pushed %s as the state of environment %q (lineage %s, serial %d, %d resources).\n", opts.File, w.env.Name, next.Lineage, next.Serial, len(next.Resources))
	return nil
}
