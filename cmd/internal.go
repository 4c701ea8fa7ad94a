package cmd

import (
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/stagecraft/stagecraft/providers/local"
)

// newInternalCmds are the hidden commands the local provider runs the
// binary with: its supervisor, and one etcd member per process. People do
// not run them.
func newInternalCmds() []*cobra.Command {
	var dir string
	supervise := &cobra.Command{
		Use:    local.SupervisorArg,
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(c.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			return local.RunSupervisor(ctx, dir)
		},
	}
	supervise.Flags().StringVar(&dir, "dir", "", "the environment's directory")
	member := &cobra.Command{
		Use:                local.EtcdMemberArg,
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(c *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(c.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			return local.RunEtcdMember(ctx, args)
		},
	}
	return []*cobra.Command{supervise, member}
}
