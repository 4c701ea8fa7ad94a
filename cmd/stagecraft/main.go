// Command stagecraft moves a live system between architecture stages.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/stagecraft/stagecraft/cmd"
	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/aws"
	"github.com/stagecraft/stagecraft/providers/local"
	"github.com/stagecraft/stagecraft/providers/local/cluster"
	"github.com/stagecraft/stagecraft/providers/sim"
)

// Stamped by the release build (-ldflags -X).
var (
	version = ""
	commit  = ""
	date    = ""
)

func main() {
	exe, _ := os.Executable()
	registry := providers.NewRegistry()
	registry.Register(sim.Name, sim.New)
	registry.Register(aws.Name, aws.New)
	registry.Register(local.Name, func() providers.Provider { return local.New(local.SupervisorCommand(exe)) })

	sigs := make(chan os.Signal, 4)
	if !isInternal(os.Args) {
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	}
	streams := cmd.NewIOStreams(os.Stdin, os.Stdout, os.Stderr)
	streams.NoColor = os.Getenv("NO_COLOR") != ""
	deps := &cmd.Deps{
		IO:         streams,
		Registry:   registry,
		Getenv:     os.Getenv,
		Signals:    sigs,
		Executable: exe,
		Version:    cmd.BuildInfo{Version: version, Commit: commit, Date: date},
		Hidden:     hiddenCommands(),
	}
	os.Exit(cmd.Execute(context.Background(), deps, os.Args[1:]))
}

// hiddenCommands are the commands the local provider runs this binary
// with: its supervisor, and one etcd member per process. People do not run
// them. Each stops on SIGTERM or SIGINT.
func hiddenCommands() []*cobra.Command {
	var dir, socket string
	supervise := &cobra.Command{
		Use:    local.SupervisorArg,
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(c.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			return local.RunSupervisor(ctx, dir, socket)
		},
	}
	supervise.Flags().StringVar(&dir, "dir", "", "the environment's directory")
	supervise.Flags().StringVar(&socket, "socket", "", "the unix socket to listen on")
	member := &cobra.Command{
		Use:                cluster.EtcdMemberArg,
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(c *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(c.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			return cluster.RunEtcdMember(ctx, args)
		},
	}
	return []*cobra.Command{supervise, member}
}

// isInternal reports whether the binary runs one of the local provider's
// hidden commands, which handle their own signals.
func isInternal(args []string) bool {
	return len(args) > 1 && (args[1] == local.SupervisorArg || args[1] == cluster.EtcdMemberArg)
}
