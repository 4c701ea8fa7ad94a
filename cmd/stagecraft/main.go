// Command stagecraft moves a live system between architecture stages.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/stagecraft/stagecraft/cmd"
	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/sim"
)

// Stamped by the release build (-ldflags -X).
var (
	version = ""
	commit  = ""
	date    = ""
)

func main() {
	registry := providers.NewRegistry()
	registry.Register(sim.Name, sim.New)

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	exe, _ := os.Executable()
	deps := &cmd.Deps{
		IO: &cmd.IOStreams{
			In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
			InTTY: isTerminal(os.Stdin), OutTTY: isTerminal(os.Stdout), ErrOutTTY: isTerminal(os.Stderr),
			NoColor: os.Getenv("NO_COLOR") != "",
		},
		Registry:   registry,
		Getenv:     os.Getenv,
		Signals:    sigs,
		Executable: exe,
		Version:    cmd.BuildInfo{Version: version, Commit: commit, Date: date},
	}
	os.Exit(cmd.Execute(context.Background(), deps, os.Args[1:]))
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
