package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/render"
)

// GraphOptions are the inputs of graph.
type GraphOptions struct {
	Deps   *Deps
	Global *GlobalOptions
	Stage  string
	Format string
}

func newGraphCmd(deps *Deps, g *GlobalOptions, runF func(context.Context, *GraphOptions) error) *cobra.Command {
	opts := &GraphOptions{Deps: deps, Global: g}
	c := &cobra.Command{
		Use:   "graph",
		Short: "Draw the architecture of a stage as a Mermaid or Graphviz graph",
		Long: `Print the resources of the environment's target stage (or --stage) and their
dependencies as a Mermaid flowchart (paste it into Markdown) or a Graphviz dot
graph (pipe it to dot -Tsvg). No provider is contacted.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runGraph(c.Context(), opts)
		},
	}
	c.Flags().StringVar(&opts.Stage, "stage", "", "draw this stage instead of the environment's target")
	c.Flags().StringVar(&opts.Format, "format", "mermaid", "mermaid or dot")
	return c
}

func runGraph(_ context.Context, opts *GraphOptions) error {
	if opts.Format != "mermaid" && opts.Format != "dot" {
		return userError("--format takes mermaid or dot, not %q", opts.Format)
	}
	w, err := openWorkspace(opts.Deps, opts.Global)
	if err != nil {
		return err
	}
	if err := w.checkStage(opts.Stage); err != nil {
		return err
	}
	ds, err := w.evaluate(w.request(opts.Stage))
	if err != nil {
		return err
	}
	// The architecture as a plan with nothing to change.
	p := &plan.Plan{Stack: ds.Stack, Environment: ds.Environment, Provider: ds.Provider, TargetStage: ds.Stage, AppliedStage: ds.Stage}
	for _, r := range ds.Resources {
		p.Changes = append(p.Changes, &plan.Change{Address: r.Address, Kind: r.Address.Kind, Action: plan.ActionNoOp, DependsOn: r.DependsOn, After: r.Config})
	}
	if opts.Format == "dot" {
		fmt.Fprint(opts.Deps.IO.Out, render.Dot(p))
	} else {
		fmt.Fprint(opts.Deps.IO.Out, render.Mermaid(p))
	}
	return nil
}
