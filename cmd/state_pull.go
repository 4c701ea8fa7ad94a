package cmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stagecraft/stagecraft/state"
)

// StatePullOptions are the inputs of state pull.
type StatePullOptions struct {
	Deps   *Deps
	Global *GlobalOptions
	// Version is a stored version's id (state history); empty for the
	// current state.
	Version string
}

func newStatePullCmd(deps *Deps, g *GlobalOptions, runF func(context.Context, *StatePullOptions) error) *cobra.Command {
	opts := &StatePullOptions{Deps: deps, Global: g}
	c := &cobra.Command{
		Use:   "pull",
		Short: "Print the state as JSON",
		Long: `Print the environment's state file to stdout, as stored (decrypted when a
key is set) with an interrupted apply's journal replayed on top. With
--version, print one of the versions state history lists. The output holds
every attribute, secrets included: keep it safe.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runStatePull(c.Context(), opts)
		},
	}
	c.Flags().StringVar(&opts.Version, "version", "", "print this stored version (see state history)")
	return c
}

func runStatePull(ctx context.Context, opts *StatePullOptions) error {
	w, b, err := openWorkspaceBackend(opts.Deps, opts.Global)
	if err != nil {
		return err
	}
	var st *state.State
	if opts.Version != "" {
		ob, ok := b.(*state.ObjectBackend)
		if !ok {
			return userError("environment %q keeps its state in local files, which keep no versions; --version needs the s3 backend.", w.env.Name)
		}
		st, err = ob.Version(ctx, opts.Version)
	} else {
		st, err = b.Read(ctx)
	}
	if err != nil {
		return userError("cannot read the state: %s.", strings.TrimSuffix(err.Error(), "."))
	}
	if st == nil {
		return userError("environment %q has no state yet; there is nothing to pull.", w.env.Name)
	}
	data, err := state.Encode(st)
	if err != nil {
		return err
	}
	_, err = fmt.Fprint(opts.Deps.IO.Out, string(data))
	return err
}
