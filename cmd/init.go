package cmd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/stagecraft/stagecraft/stacks"
)

// InitOptions are the inputs of init.
type InitOptions struct {
	Deps   *Deps
	Global *GlobalOptions
}

func newInitCmd(deps *Deps, g *GlobalOptions, runF func(context.Context, *InitOptions) error) *cobra.Command {
	opts := &InitOptions{Deps: deps, Global: g}
	return &cobra.Command{
		Use:   "init",
		Short: "Prepare a stack directory and check that its providers can be configured",
		Long: `Create the .stagecraft directory (state, provider files; ignored by git) and
check, for every environment (or the one given with -e), that the stack
evaluates and that its provider accepts its settings. Safe to run again.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runInit(c.Context(), opts)
		},
	}
}

func runInit(ctx context.Context, opts *InitOptions) error {
	deps, g := opts.Deps, opts.Global
	st, abs, err := loadStack(deps, g)
	if err != nil {
		return err
	}
	data := filepath.Join(abs, dataDirName)
	if err := os.MkdirAll(data, 0o755); err != nil {
		return userError("cannot create %s: %s.", data, err)
	}
	ignore := filepath.Join(data, ".gitignore")
	if _, err := os.Stat(ignore); os.IsNotExist(err) {
		// State and provider files do not belong in version control.
		if err := os.WriteFile(ignore, []byte("*\n"), 0o644); err != nil {
			return userError("cannot write %s: %s.", ignore, err)
		}
	}
	envs := st.Environments
	if g.Env != "" {
		e, ok := st.Environment(g.Env)
		if !ok {
			return userError("there is no environment %q; the environments are %v.", g.Env, st.EnvironmentNames())
		}
		envs = []*stacks.Environment{e}
	}
	fmt.Fprintf(deps.IO.Out, "Initialized stack %q in %s.\n", st.Name, abs)
	for _, env := range envs {
		w := &workspace{deps: deps, g: g, dir: abs, stack: st, env: env}
		ds, err := w.evaluate(w.request(""))
		if err != nil {
			return err
		}
		p, err := w.provider(ctx, ds.ProviderConfig)
		if err != nil {
			return err
		}
		if c, ok := p.(interface{ Close() error }); ok {
			_ = c.Close()
		}
		if _, err := w.backend(); err != nil {
			return err
		}
		fmt.Fprintf(deps.IO.Out, "  environment %q: provider %q ready, target stage %q (%d resources)\n", env.Name, env.Provider, ds.Stage, len(ds.Resources))
	}
	if len(envs) == 0 {
		fmt.Fprintln(deps.IO.Out, "The stack has no environment yet; add an environment block to plan and apply it.")
		return nil
	}
	fmt.Fprintf(deps.IO.Out, "\nNext: stagecraft plan%s\n", envHint(st, g))
	return nil
}

func envHint(st *stacks.Stack, g *GlobalOptions) string {
	s := ""
	if g.Dir != "." && g.Dir != "" {
		s += " -C " + g.Dir
	}
	if len(st.Environments) > 1 {
		env := g.Env
		if env == "" {
			env = st.Environments[0].Name
		}
		s += " -e " + env
	}
	return s
}
