package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/stagecraft/stagecraft/render"
	"github.com/stagecraft/stagecraft/stacks"
)

// ValidateOptions are the inputs of validate.
type ValidateOptions struct {
	Deps   *Deps
	Global *GlobalOptions
}

func newValidateCmd(deps *Deps, g *GlobalOptions, runF func(context.Context, *ValidateOptions) error) *cobra.Command {
	opts := &ValidateOptions{Deps: deps, Global: g}
	return &cobra.Command{
		Use:   "validate",
		Short: "Check the stack files for every problem in one pass",
		Long: `Check the stack files: syntax, attributes and types against the kind tables,
references, stage inheritance, modules and the architecture rules (odd
coordinator sizes, route weights, group bounds). Every stage is checked on its
own and every environment at its target stage with its provider, and every
environment's backend block for its type and settings. Variables without a
value are treated as unknown. No provider or backend is contacted.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runValidate(c.Context(), opts)
		},
	}
}

func runValidate(_ context.Context, opts *ValidateOptions) error {
	deps, g := opts.Deps, opts.Global
	st, _, err := loadStack(deps, g)
	if err != nil {
		return err
	}
	diags := st.Validate(stacks.ValidateRequest{Vars: g.Vars, Getenv: deps.Getenv, KnownProviders: deps.Registry.Names()})
	for _, env := range st.Environments {
		_, d := checkBackend(env)
		diags = append(diags, d...)
	}
	if g.Output == "json" {
		_ = render.DiagnosticsJSON(deps.IO.Out, diags)
		if diags.HasErrors() {
			return silentExit(ExitError)
		}
		return nil
	}
	printDiags(deps, g, st.Files, diags)
	if diags.HasErrors() {
		return silentExit(ExitError)
	}
	fmt.Fprintf(deps.IO.Out, "Success! The stack %q is valid: %s, %s.\n", st.Name, plural(len(st.Stages), "stage"), plural(len(st.Environments), "environment"))
	return nil
}

// plural renders a count with its noun: "1 stage", "4 stages".
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
