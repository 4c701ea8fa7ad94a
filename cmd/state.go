package cmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stagecraft/stagecraft/render"
	"github.com/stagecraft/stagecraft/stacks"
	"github.com/stagecraft/stagecraft/stacks/addrs"
)

// StateOptions are the inputs of the state subcommands.
type StateOptions struct {
	Deps   *Deps
	Global *GlobalOptions
	Args   []string
}

func newStateCmd(deps *Deps, g *GlobalOptions) *cobra.Command {
	c := &cobra.Command{
		Use:   "state",
		Short: "Inspect and repair the environment's state",
		Long: `The state records what Stagecraft made for an environment: every resource's
provider id and attributes, the applied stage and the outputs.`,
	}
	sub := func(use, short, long string, args cobra.PositionalArgs, run func(context.Context, *StateOptions) error) *cobra.Command {
		opts := &StateOptions{Deps: deps, Global: g}
		return &cobra.Command{Use: use, Short: short, Long: long, Args: args,
			RunE: func(c *cobra.Command, a []string) error {
				opts.Args = a
				return run(c.Context(), opts)
			}}
	}
	c.AddCommand(
		sub("list [ADDRESS...]", "List the resources the state tracks",
			"List the addresses the state tracks; with addresses, only those within them (module.web lists everything in it).",
			cobra.ArbitraryArgs, runStateList),
		sub("show ADDRESS", "Show one resource's recorded attributes",
			"Show the attributes the state records for one resource. Sensitive values show as (sensitive).",
			cobra.ExactArgs(1), runStateShow),
		sub("rm ADDRESS...", "Stop tracking resources (they keep running)",
			`Remove resources from the state without touching them at the provider: they
keep running, and Stagecraft forgets them. The next plan creates them again
if the stack still has them; use import to track an existing one instead.`,
			cobra.MinimumNArgs(1), runStateRm),
		sub("unlock LOCK_ID", "Remove a stuck state lock",
			`Remove the state lock left by a process that is gone (killed, or its machine
lost). The lock error names the holder and the id. Only do this when that
process is really gone: two applies at once can corrupt the environment.`,
			cobra.ExactArgs(1), runStateUnlock),
		newStateHistoryCmd(deps, g, nil), newStatePullCmd(deps, g, nil), newStatePushCmd(deps, g, nil), newStateRecoverCmd(deps, g, nil),
	)
	return c
}

func runStateList(ctx context.Context, opts *StateOptions) error {
	_, st, err := readWorkspaceState(ctx, opts.Deps, opts.Global)
	if err != nil {
		return err
	}
	if st == nil {
		return nil
	}
	var filters []addrs.Target
	for _, a := range opts.Args {
		addr, err := stacks.ParseTarget(a)
		if err != nil {
			return userError("%s.", err)
		}
		filters = append(filters, addr)
	}
	for _, r := range st.Resources {
		if len(filters) > 0 {
			match := false
			for _, f := range filters {
				match = match || f.Contains(r.Address)
			}
			if !match {
				continue
			}
		}
		fmt.Fprintln(opts.Deps.IO.Out, r.Address)
	}
	return nil
}

func runStateShow(ctx context.Context, opts *StateOptions) error {
	w, st, err := readWorkspaceState(ctx, opts.Deps, opts.Global)
	if err != nil {
		return err
	}
	addr := opts.Args[0]
	// An address that does not parse names nothing the state has.
	if a, perr := addrs.Parse(addr); st != nil && perr == nil {
		if r, ok := st.Resource(a); ok {
			v, err := stateValue(r)
			if err != nil {
				return userError("%s: %s", addr, err)
			}
			fmt.Fprintf(opts.Deps.IO.Out, "# %s (id %s):\n%s\n", r.Address, r.ID, render.Value(v))
			return nil
		}
	}
	return userError("the state of environment %q has no %s; stagecraft state list shows what it has", w.env.Name, addr)
}

func runStateRm(ctx context.Context, opts *StateOptions) error {
	w, b, err := openWorkspaceBackend(opts.Deps, opts.Global)
	if err != nil {
		return err
	}
	unlock, err := w.lock(ctx, b, "state rm")
	if err != nil {
		return err
	}
	defer unlock()
	st, err := readState(ctx, b)
	if err != nil {
		return err
	}
	if st == nil {
		return userError("environment %q has no state yet; there is nothing to remove", w.env.Name)
	}
	var removed []string
	for _, a := range opts.Args {
		addr, err := stacks.ParseTarget(a)
		if err != nil {
			return userError("%s.", err)
		}
		var hit []addrs.Instance
		for _, r := range st.Resources {
			if addr.Contains(r.Address) {
				hit = append(hit, r.Address)
			}
		}
		if len(hit) == 0 {
			return userError("the state has no %s; nothing was removed", a)
		}
		for _, h := range hit {
			st.Remove(h)
		}
		removed = append(removed, addrs.Strings(hit)...)
	}
	if err := b.Write(ctx, st); err != nil {
		return userError("cannot write the state: %s", err)
	}
	fmt.Fprintf(opts.Deps.IO.Out, "Removed %d from the state: %s. They still exist at the provider.\n", len(removed), strings.Join(removed, ", "))
	return nil
}

func runStateUnlock(ctx context.Context, opts *StateOptions) error {
	w, b, err := openWorkspaceBackend(opts.Deps, opts.Global)
	if err != nil {
		return err
	}
	if err := b.ForceUnlock(ctx, opts.Args[0]); err != nil {
		return userError("%s", strings.TrimSuffix(err.Error(), "."))
	}
	fmt.Fprintf(opts.Deps.IO.Out, "Unlocked the state of environment %q.\n", w.env.Name)
	return nil
}
