package cmd

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/stagecraft/stagecraft/providers"
)

// Deps is what main builds and passes in: nothing here reaches for global
// state, so tests run commands with their own streams and providers.
type Deps struct {
	IO       *IOStreams
	Registry *providers.Registry
	// Getenv reads environment variables (STAGECRAFT_VAR_*, NO_COLOR).
	Getenv func(string) string
	// Signals delivers interrupts (Ctrl-C) to commands that apply; nil
	// in tests that do not send any.
	Signals <-chan os.Signal
	// Executable is the path of the running binary, for providers that
	// start helper processes.
	Executable string
	// Version describes the build.
	Version BuildInfo
	// Hidden are commands people do not run: the binary runs itself with
	// them (the local provider's supervisor and etcd members). main builds
	// them, so that cmd depends on no provider.
	Hidden []*cobra.Command
}

// BuildInfo is stamped at release time through -ldflags.
type BuildInfo struct {
	Version string
	Commit  string
	Date    string
}
