package cmd

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/render"
	"github.com/stagecraft/stagecraft/stacks"
	"github.com/stagecraft/stagecraft/state"
)

// ShowOptions are the inputs of show.
type ShowOptions struct {
	Deps     *Deps
	Global   *GlobalOptions
	PlanFile string
}

func newShowCmd(deps *Deps, g *GlobalOptions, runF func(context.Context, *ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{Deps: deps, Global: g}
	return &cobra.Command{
		Use:   "show [PLANFILE]",
		Short: "Show the state, or a saved plan",
		Long: `Without an argument, show what the environment's state records: the applied
stage, every resource with its attributes, and the outputs. With a plan file
saved by plan -out, show that plan (-o json and -o markdown work for both).
Sensitive values show as (sensitive).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.PlanFile = args[0]
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runShow(c.Context(), opts)
		},
	}
}

func runShow(ctx context.Context, opts *ShowOptions) error {
	if opts.PlanFile != "" {
		pf, err := readPlanFile(opts.Deps, opts.PlanFile)
		if err != nil {
			return err
		}
		w := &workspace{deps: opts.Deps, g: opts.Global}
		return w.renderPlan(pf.Plan)
	}
	w, st, err := readWorkspaceState(ctx, opts.Deps, opts.Global)
	if err != nil {
		return err
	}
	if st == nil {
		st = state.New(w.stack.Name, w.env.Name)
	}
	if opts.Global.Output == "json" {
		return showStateJSON(opts.Deps.IO.Out, st)
	}
	return showStateText(opts.Deps.IO.Out, st)
}

// stateValue decodes a state resource with its kind's type and marks its
// sensitive paths.
func stateValue(r *state.Resource) (cty.Value, error) {
	schema, ok := kinds.Schema(r.Kind)
	if !ok {
		return cty.NilVal, fmt.Errorf("unknown kind %q", r.Kind)
	}
	v, err := r.Value(schema.ForProvider(r.Provider).ImpliedType())
	if err != nil {
		return cty.NilVal, err
	}
	if len(r.SensitivePaths) == 0 {
		return v, nil
	}
	sens := map[string]bool{}
	for _, p := range r.SensitivePaths {
		sens[p] = true
	}
	return cty.Transform(v, func(p cty.Path, v cty.Value) (cty.Value, error) {
		if sens[state.FormatPath(p)] {
			return v.Mark(stacks.Sensitive), nil
		}
		return v, nil
	})
}

func showStateText(out io.Writer, st *state.State) error {
	if len(st.Resources) == 0 {
		fmt.Fprintf(out, "Environment %q has nothing applied yet.\n", st.Environment)
		return nil
	}
	fmt.Fprintf(out, "Environment %q is at stage %q (state serial %d).\n\n", st.Environment, st.Stage, st.Serial)
	for _, r := range st.Resources {
		v, err := stateValue(r)
		if err != nil {
			return userError("%s: %s", r.Address, err)
		}
		status := ""
		if r.Status != "" {
			status = " (" + r.Status + ")"
		}
		fmt.Fprintf(out, "# %s%s:\n%s\n\n", r.Address, status, render.Value(v))
	}
	for _, r := range st.Deposed {
		if r.Pending != nil {
			fmt.Fprintf(out, "# %s (object %s, deletion pending at %s since %s; the next plan checks that it is gone)\n\n", r.Address, r.ID, r.Pending.At, r.Pending.Since.UTC().Format("Jan 2 15:04 UTC"))
			continue
		}
		fmt.Fprintf(out, "# %s (deposed object %s, deleted by the next apply)\n\n", r.Address, r.ID)
	}
	if len(st.Outputs) > 0 {
		fmt.Fprintln(out, "Outputs:")
		for _, n := range sortedOutputNames(st) {
			text, err := outputText(st.Outputs[n])
			if err != nil {
				return userError("output %q: %s", n, err)
			}
			fmt.Fprintf(out, "  %s = %s\n", n, text)
		}
	}
	return nil
}

func showStateJSON(out io.Writer, st *state.State) error {
	type jr struct {
		Address    string             `json:"address"`
		Kind       string             `json:"kind"`
		Provider   string             `json:"provider"`
		ID         string             `json:"id"`
		Status     string             `json:"status,omitempty"`
		Deposed    bool               `json:"deposed,omitempty"`
		Attributes *plan.EncodedValue `json:"attributes"`
	}
	doc := map[string]any{"format_version": 1, "stack": st.Stack, "environment": st.Environment, "stage": st.Stage, "serial": st.Serial}
	var rs []jr
	add := func(r *state.Resource, deposed bool) error {
		v, err := stateValue(r)
		if err != nil {
			return userError("%s: %s", r.Address, err)
		}
		enc, err := plan.EncodeValue(v, true)
		if err != nil {
			return userError("%s: %s", r.Address, err)
		}
		rs = append(rs, jr{Address: r.Address.String(), Kind: r.Kind, Provider: r.Provider, ID: r.ID, Status: r.Status, Deposed: deposed, Attributes: enc})
		return nil
	}
	for _, r := range st.Resources {
		if err := add(r, false); err != nil {
			return err
		}
	}
	for _, r := range st.Deposed {
		if err := add(r, true); err != nil {
			return err
		}
	}
	doc["resources"] = rs
	outs := map[string]any{}
	for n, o := range st.Outputs {
		outs[n] = map[string]any{"sensitive": o.Sensitive, "value": outputJSONValue(o)}
	}
	doc["outputs"] = outs
	return printJSON(out, doc)
}
