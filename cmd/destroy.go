package cmd

import (
	"context"

	"github.com/spf13/cobra"
)

func newDestroyCmd(deps *Deps, g *GlobalOptions, runF func(context.Context, *ApplyOptions) error) *cobra.Command {
	opts := &ApplyOptions{Deps: deps, Global: g}
	c := &cobra.Command{
		Use:   "destroy",
		Short: "Remove every resource of the environment",
		Long: `Plan the removal of every resource the environment's state tracks, show it,
ask for confirmation (type yes) and carry it out. Caches and coordinators hold
data: destroying them needs lifecycle { allow_data_loss = true } in the stack
or --allow-data-loss. Equivalent to apply --destroy.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			opts.Flags.Destroy = true
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runApply(c.Context(), opts)
		},
	}
	addPlanFlags(c, &opts.Flags, false)
	c.Flags().BoolVar(&opts.AutoApprove, "auto-approve", false, "destroy without asking for confirmation")
	return c
}
