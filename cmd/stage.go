package cmd

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/spf13/cobra"

	"github.com/stagecraft/stagecraft/modules"
	"github.com/stagecraft/stagecraft/stacks"
	"github.com/stagecraft/stagecraft/stacks/edit"
)

// StageAddOptions are the inputs of stage add.
type StageAddOptions struct {
	Deps   *Deps
	Global *GlobalOptions
	// Name is the new stage's name.
	Name string
	// Template names the stage template (modules/templates/NAME.hcl).
	Template string
	// Service names the new service of the split-service template.
	Service string
	// File is the stack file to append to; empty means the file that holds
	// the last stage.
	File string
}

// defaultService is the service split-service splits out without --service.
const defaultService = "orders"

func newStageCmd(deps *Deps, g *GlobalOptions) *cobra.Command {
	c := &cobra.Command{
		Use:   "stage",
		Short: "Grow the stage ladder",
		Long: `Work on the stack's stages. stage add appends a new stage, extending the last
one, from a template.`,
	}
	c.AddCommand(newStageAddCmd(deps, g, nil))
	return c
}

func newStageAddCmd(deps *Deps, g *GlobalOptions, runF func(context.Context, *StageAddOptions) error) *cobra.Command {
	opts := &StageAddOptions{Deps: deps, Global: g}
	c := &cobra.Command{
		Use:   "add NAME --template TEMPLATE",
		Short: "Append a stage extending the last one, from a template",
		Long: `Append a stage named NAME to the stack, extending its last stage, from a
template: ` + strings.Join(modules.StageTemplateNames(), ", ") + `.

The stage is appended to the file that holds the last stage (or --file);
everything already in that file is kept byte for byte. What the template
merges over inherited blocks keeps what the parent has: a group's env keeps
the parent's entries, a load balancer's routes keep the parent's routes. A
new service (split-service) starts as a copy of the main group's settings.
The stack is validated afterwards; problems are reported, and the file is
kept as written.`,
		Example: `  stagecraft stage add cached --template cache
  stagecraft stage add payments --template split-service --service payments`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runStageAdd(c.Context(), opts)
		},
	}
	f := c.Flags()
	f.StringVar(&opts.Template, "template", "", "the stage template: "+strings.Join(modules.StageTemplateNames(), ", "))
	f.StringVar(&opts.Service, "service", "", `the new service's name (split-service; default "`+defaultService+`")`)
	f.StringVar(&opts.File, "file", "", "the stack file to append to (default: the file that holds the last stage)")
	return c
}

func runStageAdd(_ context.Context, opts *StageAddOptions) error {
	deps, g := opts.Deps, opts.Global
	src, err := stageTemplate(opts)
	if err != nil {
		return err
	}
	if !hclsyntax.ValidIdentifier(opts.Name) {
		return userError("%q is not a valid stage name: a name starts with a letter or underscore and has only letters, digits, underscores and dashes.", opts.Name)
	}
	st, abs, err := loadStack(deps, g)
	if err != nil {
		return err
	}
	if _, ok := st.Stage(opts.Name); ok {
		return userError("there is already a stage %q; the stages are %s. Choose another name.", opts.Name, strings.Join(st.StageNames(), ", "))
	}
	if len(st.Stages) == 0 {
		return userError("the stack has no stage to extend; write a first stage block (or start a new stack with stagecraft init --template startup).")
	}
	parent := st.Stages[len(st.Stages)-1]
	file, err := stageFile(abs, parent, opts.File)
	if err != nil {
		return err
	}

	r, err := edit.Render(st, edit.Request{Name: opts.Name, Parent: parent.Name, Template: opts.Template, Source: src, Service: opts.Service})
	if err != nil {
		return err
	}
	if err := edit.Append(filepath.Join(abs, file), r.Block); err != nil {
		return err
	}

	out := deps.IO.Out
	fmt.Fprintf(out, "Added stage %q to %s, extending %q (template %s):\n", opts.Name, file, parent.Name, opts.Template)
	for _, c := range r.Changes {
		fmt.Fprintf(out, "  %s\n", c)
	}

	// The file is written: from here on, problems are reported with the
	// file kept, so the user fixes them where they are.
	after, diags := stacks.Load(g.Dir)
	if after != nil && !diags.HasErrors() {
		// Provider names are init's and validate's business: a stage add
		// reports what the stack's language says about the new stage.
		diags = append(diags, after.Validate(stacks.ValidateRequest{Vars: g.Vars, Getenv: deps.Getenv})...)
	}
	files := map[string]*hcl.File{}
	if after != nil {
		files = after.Files
	}
	printDiags(deps, g, files, diags)
	if diags.HasErrors() {
		return userError("the stage was added to %s, but the stack now has the problems shown above; the file is kept as written: fix them, or delete the stage %q block.", file, opts.Name)
	}
	if names := after.StageNames(); names[len(names)-1] != opts.Name {
		fmt.Fprintf(out, "Note: stages are ordered by file name, so %q is not the last stage of the ladder (%s).\n", opts.Name, strings.Join(names, ", "))
	}
	fmt.Fprintf(out, "\nNext: stagecraft plan%s --stage %s\n", envHint(after, g), opts.Name)
	return nil
}

// stageTemplate checks the template flags and returns the template.
func stageTemplate(opts *StageAddOptions) ([]byte, error) {
	names := strings.Join(modules.StageTemplateNames(), ", ")
	if opts.Template == "" {
		return nil, userError("stage add needs --template: one of %s.", names)
	}
	src, ok := modules.Template(opts.Template)
	if !ok {
		if _, isStack := modules.StackTemplate(opts.Template); isStack {
			return nil, userError("%q is a stack template, for a new stack: stagecraft init --template %s. The stage templates are %s.", opts.Template, opts.Template, names)
		}
		return nil, userError("there is no stage template %q; the templates are %s.", opts.Template, names)
	}
	uses := false
	for _, p := range modules.Placeholders(src) {
		uses = uses || p == "SERVICE"
	}
	switch {
	case opts.Service != "" && !uses:
		return nil, userError("--service only applies to --template split-service.")
	case uses && opts.Service == "":
		opts.Service = defaultService
	}
	if uses && !hclsyntax.ValidIdentifier(opts.Service) {
		return nil, userError("%q is not a valid service name: a name starts with a letter or underscore and has only letters, digits, underscores and dashes.", opts.Service)
	}
	return src, nil
}

// stageFile picks the file to append to, relative to the stack directory:
// the one given, or the one holding the last stage.
func stageFile(abs string, last *stacks.Stage, given string) (string, error) {
	name := filepath.Base(last.DeclRange.Filename)
	if given != "" {
		name = filepath.Clean(given)
		if filepath.IsAbs(name) {
			if rel, err := filepath.Rel(abs, name); err == nil {
				name = rel
			}
		}
		if strings.ContainsRune(name, filepath.Separator) || strings.HasPrefix(name, ".") {
			return "", userError("--file names a stack file in the stack directory, such as stages.hcl; %q is not one (subdirectories and hidden files are not read).", given)
		}
		if !strings.HasSuffix(name, ".hcl") || strings.HasSuffix(name, ".vars.hcl") {
			return "", userError("--file must name an HCL stack file ending in .hcl (not .vars.hcl); got %q.", given)
		}
		return name, nil
	}
	if !strings.HasSuffix(name, ".hcl") {
		return "", userError("the last stage, %q, is in %s, which is not in HCL syntax; choose an .hcl file to append to with --file.", last.Name, name)
	}
	return name, nil
}
