// Package cmd is the stagecraft command line: one file per command, each
// parsing flags into an options struct and calling a run function that
// does the work against in-memory streams, so every command is testable
// without a process.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stagecraft/stagecraft/stacks"
)

// GlobalOptions are the flags every command takes.
type GlobalOptions struct {
	// Dir is the stack directory (-C).
	Dir string
	// Env names the environment (-e); empty means the only one.
	Env string
	// Vars are -var and -var-file in command-line order.
	Vars        []stacks.VarInput
	Parallelism int
	NoColor     bool
	// Output is text, json or markdown (-o).
	Output string
}

// varFlag collects -var and -var-file into one ordered list.
type varFlag struct {
	vars *[]stacks.VarInput
	file bool
}

func (f *varFlag) String() string { return "" }
func (f *varFlag) Type() string {
	if f.file {
		return "FILE"
	}
	return "NAME=VALUE"
}
func (f *varFlag) Set(s string) error {
	if f.file {
		*f.vars = append(*f.vars, stacks.VarInput{File: s})
		return nil
	}
	name, value, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return fmt.Errorf("-var takes NAME=VALUE, such as -var app_port=9090; got %q", s)
	}
	*f.vars = append(*f.vars, stacks.VarInput{Name: name, Value: value})
	return nil
}

const rootLong = `Stagecraft moves a live system from one architecture stage to the next:
one app server, a load balancer in front of several, a cache, a
coordination cluster, several autoscaled services. Stages are written in
HCL stack files; plan shows what a move changes, apply carries it out.

Exit codes:
  0  success (plan: no changes, unless --detailed-exitcode says otherwise)
  1  error
  2  plan --detailed-exitcode: the plan has changes
  3  fmt -check: files need formatting`

// NewRootCmd builds the command tree.
func NewRootCmd(deps *Deps) *cobra.Command {
	return newRootCmd(deps, &profileOptions{})
}

// newRootCmd builds the command tree; the hidden profile flags land in
// prof, which Execute stops when the command returns.
func newRootCmd(deps *Deps, prof *profileOptions) *cobra.Command {
	g := &GlobalOptions{}
	root := &cobra.Command{
		Use:           "stagecraft",
		Short:         "Move a live system between architecture stages",
		Long:          rootLong,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       versionString(deps.Version),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	pf := root.PersistentFlags()
	pf.StringVarP(&g.Dir, "chdir", "C", ".", "the stack directory")
	pf.StringVarP(&g.Env, "env", "e", "", "the environment (default: the only one)")
	pf.Var(&varFlag{vars: &g.Vars}, "var", "set a variable (repeatable; later ones win)")
	pf.Var(&varFlag{vars: &g.Vars, file: true}, "var-file", "read variables from a file (HCL, or JSON ending in .json)")
	pf.IntVar(&g.Parallelism, "parallelism", 10, "how many provider operations run at once")
	pf.BoolVar(&g.NoColor, "no-color", false, "never colour the output")
	pf.StringVarP(&g.Output, "output", "o", "text", "output format: text, json or markdown")
	addProfileFlags(pf, prof)
	root.PersistentPreRunE = func(c *cobra.Command, _ []string) error {
		switch g.Output {
		case "text", "json", "markdown":
		default:
			return userError("-o takes text, json or markdown, not %q.", g.Output)
		}
		if g.Parallelism < 1 {
			return userError("--parallelism must be at least 1.")
		}
		if c.Hidden {
			return nil // the local provider's own processes are not profiled
		}
		return prof.start(deps.Getenv)
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return userError("%s; run '%s --help' for the flags.", strings.TrimSuffix(err.Error(), "."), c.CommandPath())
	})

	root.AddCommand(
		newInitCmd(deps, g, nil),
		newValidateCmd(deps, g, nil),
		newFmtCmd(deps, g, nil),
		newPlanCmd(deps, g, nil),
		newApplyCmd(deps, g, nil),
		newDestroyCmd(deps, g, nil),
		newShowCmd(deps, g, nil),
		newStagesCmd(deps, g, nil),
		newStageCmd(deps, g),
		newGraphCmd(deps, g, nil),
		newOutputCmd(deps, g, nil),
		newStateCmd(deps, g),
		newMigrateStateCmd(deps, g, nil),
		newImportCmd(deps, g, nil),
		newVersionCmd(deps, nil),
		newCICmd(deps, g),
	)
	root.AddCommand(deps.Hidden...)
	explainArgs(root)
	return root
}

// singleDashFlags are the long flags people type with one dash, as
// Terraform spells them (-var, -out). They are rewritten to two dashes
// before parsing.
var singleDashFlags = []string{"var", "var-file", "out", "check", "diff", "recursive", "json", "raw", "target", "destroy", "refresh", "detailed-exitcode", "auto-approve", "parallelism", "no-color", "stage", "allow-data-loss", "lock-timeout"}

// normalizeArgs turns -var=x into --var=x for the flags above.
func normalizeArgs(args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && len(a) > 2 {
			name, _, _ := strings.Cut(a[1:], "=")
			for _, f := range singleDashFlags {
				if name == f {
					a = "-" + a
					break
				}
			}
		}
		out = append(out, a)
	}
	return out
}

// Execute runs the command line and returns the process exit code. It
// prints every error as one sentence on stderr.
func Execute(ctx context.Context, deps *Deps, args []string) int {
	prof := &profileOptions{}
	root := newRootCmd(deps, prof)
	root.SetArgs(normalizeArgs(args))
	root.SetIn(deps.IO.In)
	root.SetOut(deps.IO.Out)
	root.SetErr(deps.IO.ErrOut)
	err := root.ExecuteContext(ctx)
	if perr := prof.stop(); perr != nil {
		fmt.Fprintf(deps.IO.ErrOut, "Warning: %s\n", perr)
	}
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintf(deps.IO.ErrOut, "Error: %s\n", ee.msg)
		}
		return ee.code
	}
	msg := err.Error()
	if strings.HasPrefix(msg, "unknown command") {
		msg = strings.TrimSuffix(strings.Split(msg, "\n")[0], ".") + "; run 'stagecraft --help' for the commands."
	}
	fmt.Fprintf(deps.IO.ErrOut, "Error: %s\n", msg)
	return ExitError
}
