package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/stagecraft/stagecraft/planner"
	"github.com/stagecraft/stagecraft/state"
)

// ImportOptions are the inputs of import.
type ImportOptions struct {
	Deps    *Deps
	Global  *GlobalOptions
	Address string
	ID      string
	Stage   string
}

func newImportCmd(deps *Deps, g *GlobalOptions, runF func(context.Context, *ImportOptions) error) *cobra.Command {
	opts := &ImportOptions{Deps: deps, Global: g}
	c := &cobra.Command{
		Use:   "import ADDRESS ID",
		Short: "Start tracking a resource that already exists",
		Long: `Read an existing resource by its provider id and record it in the state at
ADDRESS, which must be a resource of the environment's target stage (or
--stage). Nothing is changed at the provider; the next plan shows how the
resource differs from the stack.`,
		Args: cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Address, opts.ID = args[0], args[1]
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runImport(c.Context(), opts)
		},
	}
	c.Flags().StringVar(&opts.Stage, "stage", "", "look the address up in this stage instead of the environment's target")
	return c
}

func runImport(ctx context.Context, opts *ImportOptions) error {
	w, b, err := openWorkspaceAtStage(opts.Deps, opts.Global, opts.Stage)
	if err != nil {
		return err
	}
	unlock, err := w.lock(ctx, b, "import")
	if err != nil {
		return err
	}
	defer unlock()
	ds, err := w.evaluate(w.request(opts.Stage))
	if err != nil {
		return err
	}
	st, err := readState(ctx, b)
	if err != nil {
		return err
	}
	if st == nil {
		st = state.New(w.stack.Name, w.env.Name)
	}
	r, err := planner.Importable(ds, st, opts.Address)
	if err != nil {
		return userError("%s", err)
	}
	p, err := w.provider(ctx, ds.ProviderConfig)
	if err != nil {
		return err
	}
	res, err := w.planner(p, w.request(opts.Stage)).Import(ctx, r, opts.ID)
	if err != nil {
		return userError("%s", err)
	}
	st.Set(res)
	if err := b.Write(ctx, st); err != nil {
		return userError("cannot write the state: %s", err)
	}
	fmt.Fprintf(opts.Deps.IO.Out, "Imported %s (id %s). Run plan to see how it differs from the stack.\n", opts.Address, opts.ID)
	return nil
}
