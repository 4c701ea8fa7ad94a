package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/spf13/cobra"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/render"
	"github.com/stagecraft/stagecraft/state"
)

// OutputOptions are the inputs of output.
type OutputOptions struct {
	Deps   *Deps
	Global *GlobalOptions
	Name   string
	JSON   bool
	Raw    bool
}

func newOutputCmd(deps *Deps, g *GlobalOptions, runF func(context.Context, *OutputOptions) error) *cobra.Command {
	opts := &OutputOptions{Deps: deps, Global: g}
	c := &cobra.Command{
		Use:   "output [NAME]",
		Short: "Show the outputs recorded by the last apply",
		Long: `Show the environment's outputs as recorded by the last apply. Sensitive
outputs show as (sensitive), also in -json; -raw NAME prints one output's
value alone, without quotes (for scripts), sensitive or not: asking for it by
name is the consent.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Name = args[0]
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runOutput(c.Context(), opts)
		},
	}
	c.Flags().BoolVar(&opts.JSON, "json", false, "print the outputs as JSON")
	c.Flags().BoolVar(&opts.Raw, "raw", false, "print one output's value alone")
	return c
}

func sortedOutputNames(st *state.State) []string {
	names := make([]string, 0, len(st.Outputs))
	for n := range st.Outputs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// outputText is an output's value as text, or (sensitive): outputs are
// stored with their secrets but never printed with them.
func outputText(o *state.Output) (string, error) {
	if o.Sensitive {
		return "(sensitive)", nil
	}
	v, err := o.Decode()
	if err != nil {
		return "", err
	}
	return render.Value(v), nil
}

// outputJSONValue is an output's value in JSON, null when it is sensitive.
func outputJSONValue(o *state.Output) json.RawMessage {
	if o.Sensitive {
		return json.RawMessage("null")
	}
	return o.Value
}

func runOutput(ctx context.Context, opts *OutputOptions) error {
	w, st, err := readWorkspaceState(ctx, opts.Deps, opts.Global)
	if err != nil {
		return err
	}
	if st == nil || len(st.Outputs) == 0 {
		if opts.Name != "" {
			return userError("there is no output %q: environment %q has no outputs recorded; run apply first", opts.Name, w.env.Name)
		}
		fmt.Fprintf(opts.Deps.IO.ErrOut, "Environment %q has no outputs recorded yet; run apply first.\n", w.env.Name)
		return nil
	}
	out := opts.Deps.IO.Out
	names := sortedOutputNames(st)
	if opts.Name != "" {
		if _, ok := st.Outputs[opts.Name]; !ok {
			return userError("there is no output %q; the outputs are %v", opts.Name, names)
		}
		names = []string{opts.Name}
	}
	if opts.Raw {
		if opts.Name == "" {
			return userError("-raw prints one output; name it, as in stagecraft output -raw url")
		}
		v, err := st.Outputs[opts.Name].Decode()
		if err != nil {
			return userError("output %q: %s", opts.Name, err)
		}
		switch {
		case v.IsNull():
		case v.Type() == cty.String:
			fmt.Fprint(out, v.AsString())
		case v.Type() == cty.Number:
			fmt.Fprint(out, v.AsBigFloat().Text('f', -1))
		case v.Type() == cty.Bool:
			fmt.Fprint(out, v.True())
		default:
			return userError("output %q is a %s; -raw prints strings, numbers and bools, use -json for the rest", opts.Name, v.Type().FriendlyName())
		}
		return nil
	}
	if opts.JSON {
		type jo struct {
			Sensitive bool            `json:"sensitive"`
			Type      json.RawMessage `json:"type"`
			Value     json.RawMessage `json:"value"`
		}
		all := map[string]jo{}
		for _, n := range names {
			o := st.Outputs[n]
			all[n] = jo{Sensitive: o.Sensitive, Type: o.Type, Value: outputJSONValue(o)}
		}
		var body any = all
		if opts.Name != "" {
			body = all[opts.Name]
		}
		return printJSON(out, body)
	}
	for _, n := range names {
		text, err := outputText(st.Outputs[n])
		if err != nil {
			return userError("output %q: %s", n, err)
		}
		if opts.Name != "" {
			fmt.Fprintln(out, text)
		} else {
			fmt.Fprintf(out, "%s = %s\n", n, text)
		}
	}
	return nil
}
