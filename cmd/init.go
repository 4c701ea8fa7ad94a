package cmd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/modules"
	"github.com/stagecraft/stagecraft/stacks"
	"github.com/stagecraft/stagecraft/state/localfile"
)

// InitOptions are the inputs of init.
type InitOptions struct {
	Deps   *Deps
	Global *GlobalOptions
	// Template names a stack template to write first (--template); empty
	// for none.
	Template string
	// Force writes the template into a directory that has stack files.
	Force bool
}

// templateFile is the file init --template writes.
const templateFile = "main.stack.hcl"

func newInitCmd(deps *Deps, g *GlobalOptions, runF func(context.Context, *InitOptions) error) *cobra.Command {
	opts := &InitOptions{Deps: deps, Global: g}
	c := &cobra.Command{
		Use:   "init [--template NAME]",
		Short: "Prepare a stack directory and check that its providers can be configured",
		Long: `Create the .stagecraft directory (state, provider files; ignored by git) and
check, for every environment (or the one given with -e), that the stack
evaluates and that its provider accepts its settings. Safe to run again.

With --template, first write a new stack to ` + templateFile + ` (creating the
directory if needed): ` + strings.Join(modules.StackTemplateNames(), ", ") + `. It refuses a directory that
already has stack files unless --force is given. An environment of the new
stack whose provider this build of stagecraft does not have is evaluated
but not configured.`,
		Example: `  stagecraft init --template startup -C shop`,
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runInit(c.Context(), opts)
		},
	}
	c.Flags().StringVar(&opts.Template, "template", "", "write a new stack from a template first: "+strings.Join(modules.StackTemplateNames(), ", "))
	c.Flags().BoolVar(&opts.Force, "force", false, "with --template: write "+templateFile+" even though the directory has stack files")
	return c
}

func runInit(ctx context.Context, opts *InitOptions) error {
	deps, g := opts.Deps, opts.Global
	if opts.Force && opts.Template == "" {
		return userError("--force only applies with --template, to write %s into a directory that has stack files.", templateFile)
	}
	if opts.Template != "" {
		if err := writeStackTemplate(opts); err != nil {
			return err
		}
	}
	st, abs, err := loadStack(deps, g)
	if err != nil {
		return err
	}
	data := filepath.Join(abs, dataDirName)
	if err := localfile.MkdirAll(data); err != nil {
		return userError("cannot create %s: %s.", data, err)
	}
	ignore := filepath.Join(data, ".gitignore")
	if _, err := os.Lstat(ignore); os.IsNotExist(err) {
		// State and provider files do not belong in version control.
		if err := os.WriteFile(ignore, []byte("*\n"), localfile.FileMode); err != nil {
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
		if opts.Template != "" && !slices.Contains(deps.Registry.Names(), env.Provider) {
			// The template was just written for every provider; one this
			// build lacks is the reader's next step, not an error.
			fmt.Fprintf(deps.IO.Out, "  environment %q: target stage %q (%s); provider %q is not in this build of stagecraft, so its settings were not checked\n", env.Name, ds.Stage, plural(len(ds.Resources), "resource"), env.Provider)
			continue
		}
		if err := w.checkProvider(ctx, ds.ProviderConfig); err != nil {
			return err
		}
		fmt.Fprintf(deps.IO.Out, "  environment %q: provider %q ready, target stage %q (%s)\n", env.Name, env.Provider, ds.Stage, plural(len(ds.Resources), "resource"))
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

// checkProvider opens the environment's backend and configures its
// provider once. A provider that keeps files on this machine may rewrite
// them when configured (the sim compacts its cloud file), so it is
// configured under the state lock, never beside an apply or destroy.
func (w *workspace) checkProvider(ctx context.Context, config cty.Value) error {
	b, err := w.backend()
	if err != nil {
		return err
	}
	if w.keepsFiles() {
		unlock, err := w.lock(ctx, b, "init")
		if err != nil {
			return err
		}
		defer unlock()
	}
	p, err := w.provider(ctx, config)
	if err != nil {
		return err
	}
	closeProvider(p)
	return nil
}

// writeStackTemplate writes the stack template to the stack directory,
// creating the directory, and refuses to mix it with existing stack files
// unless forced.
func writeStackTemplate(opts *InitOptions) error {
	deps, g := opts.Deps, opts.Global
	src, ok := modules.StackTemplate(opts.Template)
	if !ok {
		stacksList := strings.Join(modules.StackTemplateNames(), ", ")
		if _, isStage := modules.Template(opts.Template); isStage {
			return userError("%q is a stage template: add it to a stack with stagecraft stage add NAME --template %s. The stack templates are %s.", opts.Template, opts.Template, stacksList)
		}
		return userError("there is no template %q; the templates are %s (and, for stagecraft stage add, %s).", opts.Template, stacksList, strings.Join(modules.StageTemplateNames(), ", "))
	}
	abs, err := filepath.Abs(g.Dir)
	if err != nil {
		return userError("cannot resolve the stack directory %q: %s.", g.Dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return userError("cannot create the stack directory %s: %s.", g.Dir, err)
	}
	existing, err := stackFiles(abs)
	if err != nil {
		return userError("cannot read the stack directory %s: %s.", g.Dir, err)
	}
	if len(existing) > 0 && !opts.Force {
		return userError("the directory already has stack files (%s); the template would overwrite or mix with them. Run init --template in an empty directory (-C NEW_DIR), or pass --force to write %s anyway.", strings.Join(existing, ", "), templateFile)
	}
	filled, err := modules.Fill(src, map[string]string{"STACK": stackName(abs)})
	if err != nil {
		panic(fmt.Sprintf("template %s: %s", opts.Template, err)) // fixed at build time
	}
	path := filepath.Join(abs, templateFile)
	if err := os.WriteFile(path, filled, 0o644); err != nil {
		return userError("cannot write %s: %s.", path, err)
	}
	fmt.Fprintf(deps.IO.Out, "Wrote %s from the %s template.\n", templateFile, opts.Template)
	return nil
}

// stackFiles lists the files of dir that stacks.Load reads, by name.
func stackFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.HasPrefix(n, ".") || strings.HasSuffix(n, ".vars.hcl") || strings.HasSuffix(n, ".vars.hcl.json") {
			continue
		}
		if strings.HasSuffix(n, ".hcl") || strings.HasSuffix(n, ".hcl.json") {
			names = append(names, n)
		}
	}
	return names, nil
}

// stackName is the name a new stack takes from its directory: the
// directory's name, with characters other than letters, digits, "_" and
// "-" made dashes.
func stackName(dir string) string {
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			return r
		}
		return '-'
	}, filepath.Base(dir))
	if strings.Trim(name, "-") == "" {
		return "app"
	}
	return name
}
