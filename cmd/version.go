package cmd

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// VersionOptions are the inputs of version.
type VersionOptions struct {
	Deps *Deps
}

func newVersionCmd(deps *Deps, runF func(context.Context, *VersionOptions) error) *cobra.Command {
	opts := &VersionOptions{Deps: deps}
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and the versions of the modules built in",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runVersion(c.Context(), opts)
		},
	}
}

func versionString(b BuildInfo) string {
	v := b.Version
	if v == "" {
		v = "dev"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
	}
	s := "stagecraft " + v
	var extra []string
	if b.Commit != "" {
		extra = append(extra, "commit "+b.Commit)
	}
	if b.Date != "" {
		extra = append(extra, "built "+b.Date)
	}
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, ", ") + ")"
	}
	return s
}

func runVersion(_ context.Context, opts *VersionOptions) error {
	out := opts.Deps.IO.Out
	fmt.Fprintln(out, versionString(opts.Deps.Version))
	fmt.Fprintf(out, "%s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	fmt.Fprintln(out, "modules:")
	for _, d := range bi.Deps {
		v := d.Version
		if d.Replace != nil {
			v += " => " + d.Replace.Path + " " + d.Replace.Version
		}
		fmt.Fprintf(out, "  %s %s\n", d.Path, v)
	}
	return nil
}
