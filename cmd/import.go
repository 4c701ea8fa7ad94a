package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/stacks/addrs"
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
	w, err := openWorkspace(opts.Deps, opts.Global)
	if err != nil {
		return err
	}
	if err := w.checkStage(opts.Stage); err != nil {
		return err
	}
	b, err := w.backend()
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
	// An address that does not parse names no resource of the stage.
	addr, perr := addrs.Parse(opts.Address)
	var deps []addrs.Instance
	kind := ""
	for _, r := range ds.Resources {
		if perr == nil && r.Address == addr {
			kind, deps = r.Address.Kind, r.DependsOn
		}
	}
	if kind == "" {
		return userError("stage %q has no resource %s; import records a resource the stack declares, so write its block first", ds.Stage, opts.Address)
	}
	st, err := b.Read(ctx)
	if err != nil {
		return userError("cannot read the state: %s", err)
	}
	if st == nil {
		st = state.New(w.stack.Name, w.env.Name)
	}
	if r, ok := st.Resource(addr); ok {
		return userError("the state already tracks %s (id %s); remove it with state rm first to import another", opts.Address, r.ID)
	}
	p, err := w.provider(ctx, ds.ProviderConfig)
	if err != nil {
		return err
	}
	impl, ok := p.Kind(kind)
	if !ok {
		return userError("provider %q does not support %s resources", w.env.Provider, kind)
	}
	actual, exists, err := impl.Read(ctx, providers.Ref{Address: opts.Address, Kind: kind, ID: opts.ID, Stack: w.stack.Name, Environment: w.env.Name})
	if err != nil {
		return userError("read %s %s: %s", kind, opts.ID, err)
	}
	if !exists {
		return userError("provider %q has no %s with id %q", w.env.Provider, kind, opts.ID)
	}
	attrs, err := state.EncodeValue(actual, impl.Schema().ImpliedType())
	if err != nil {
		return userError("import %s: %s", opts.Address, err)
	}
	st.Set(&state.Resource{Address: addr, Kind: kind, Provider: w.env.Provider, ID: opts.ID, Attributes: attrs, Dependencies: deps})
	if err := b.Write(ctx, st); err != nil {
		return userError("cannot write the state: %s", err)
	}
	fmt.Fprintf(opts.Deps.IO.Out, "Imported %s (id %s). Run plan to see how it differs from the stack.\n", opts.Address, opts.ID)
	return nil
}
