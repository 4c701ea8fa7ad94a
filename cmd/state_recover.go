package cmd

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/stacks"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/stagecraft/stagecraft/state"
)

// StateRecoverOptions are the inputs of state recover.
type StateRecoverOptions struct {
	Deps   *Deps
	Global *GlobalOptions
	// Stage is the stage the rebuilt state records (--stage); empty for the
	// environment's.
	Stage string
	// Write writes the rebuilt state; without it recover is a dry run.
	Write bool
}

func newStateRecoverCmd(deps *Deps, g *GlobalOptions, runF func(context.Context, *StateRecoverOptions) error) *cobra.Command {
	opts := &StateRecoverOptions{Deps: deps, Global: g}
	c := &cobra.Command{
		Use:   "recover",
		Short: "Rebuild a lost or damaged state from the provider's tags",
		Long: `Rebuild the environment's state from what the provider reports: every
resource tagged with this stack and environment, placed at the address in
its stagecraft:address tag. Without --write it only shows what it found.

With --write it replaces the state: keeping its lineage when the stored
state can still be read, starting a new one when it is lost or damaged. The
applied stage is the environment's (or --stage), and the outputs are
evaluated from what was found, so that a plan right after shows only real
differences. Extra copies at one address are recorded as deposed, for the
next apply to delete.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runStateRecover(c.Context(), opts)
		},
	}
	c.Flags().StringVar(&opts.Stage, "stage", "", "the stage the rebuilt state records (default: the environment's)")
	c.Flags().BoolVar(&opts.Write, "write", false, "write the rebuilt state (default: dry run)")
	return c
}

// foundResource is one resource discovered at the provider.
type foundResource struct {
	// addr is ref.Address parsed.
	addr   addrs.Instance
	ref    providers.Ref
	actual cty.Value
	attrs  []byte
}

func runStateRecover(ctx context.Context, opts *StateRecoverOptions) error {
	w, err := openWorkspace(opts.Deps, opts.Global)
	if err != nil {
		return err
	}
	if err := w.checkStage(opts.Stage); err != nil {
		return err
	}
	b, err := w.backend()
	if err != nil {
		return err
	}
	if opts.Write {
		unlock, err := w.lock(ctx, b, "state recover")
		if err != nil {
			return err
		}
		defer unlock()
	}
	req := w.request(opts.Stage)
	ds, err := w.evaluate(req)
	if err != nil {
		return err
	}
	p, err := w.provider(ctx, ds.ProviderConfig)
	if err != nil {
		return err
	}
	defer func() {
		if c, ok := p.(interface{ Close() error }); ok {
			_ = c.Close()
		}
	}()
	found, err := w.discover(ctx, p)
	if err != nil {
		return err
	}
	rebuilt, extra, err := w.rebuildState(req, ds, found)
	if err != nil {
		return err
	}
	cur, readErr := b.Read(ctx)
	if readErr != nil && state.IsKeyError(readErr) {
		return userError("%s.", strings.TrimSuffix(readErr.Error(), "."))
	}
	w.printRecovered(rebuilt, extra, cur, readErr)
	if !opts.Write {
		fmt.Fprintf(w.deps.IO.Out, "\nThis was a dry run: nothing was written. Run stagecraft state recover --write to make this the state of environment %q.\n", w.env.Name)
		return nil
	}
	switch {
	case readErr == nil && cur != nil:
		rebuilt.Lineage, rebuilt.Serial = cur.Lineage, cur.Serial+1
		err = state.Replace(ctx, b, rebuilt, false)
	case readErr == nil:
		err = b.Write(ctx, rebuilt)
	default: // damaged: start a new lineage over it
		rebuilt.Serial = 1
		err = state.Replace(ctx, b, rebuilt, true)
	}
	if err != nil {
		return userError("cannot write the state: %s.", strings.TrimSuffix(err.Error(), "."))
	}
	fmt.Fprintf(w.deps.IO.Out, "\nWrote the rebuilt state of environment %q (lineage %s, serial %d). Run stagecraft plan to see what still differs.\n", w.env.Name, rebuilt.Lineage, rebuilt.Serial)
	return nil
}

// discover lists every resource the provider holds for this stack and
// environment, kind by kind.
func (w *workspace) discover(ctx context.Context, p providers.Provider) ([]foundResource, error) {
	var found []foundResource
	var blind []string
	has := 0
	for _, kind := range kinds.Names() {
		impl, ok := p.Kind(kind)
		if !ok {
			continue
		}
		has++
		disc, ok := impl.(providers.Discoverer)
		if !ok {
			blind = append(blind, kind)
			continue
		}
		list, err := disc.Discover(ctx, w.stack.Name, w.env.Name)
		if err != nil {
			return nil, userError("cannot list the %s resources of provider %q: %s.", kind, w.env.Provider, strings.TrimSuffix(err.Error(), "."))
		}
		ty := impl.Schema().ImpliedType()
		for _, d := range list {
			addr, err := addrs.Parse(d.Ref.Address)
			if err != nil {
				fmt.Fprintf(w.deps.IO.ErrOut, "Warning: skipping %s %s: its %s tag %q is not an address.\n", kind, d.Ref.ID, providers.TagAddress, d.Ref.Address)
				continue
			}
			attrs, err := state.EncodeValue(d.Actual, ty)
			if err != nil {
				return nil, userError("cannot record %s (%s): %s.", d.Ref.Address, d.Ref.ID, err)
			}
			d.Ref.Kind = kind
			found = append(found, foundResource{addr: addr, ref: d.Ref, actual: d.Actual, attrs: attrs})
		}
	}
	if len(blind) == has {
		return nil, userError("provider %q cannot list its resources by their tags, so the state cannot be rebuilt from them; use stagecraft import ADDRESS ID for each resource instead.", w.env.Provider)
	}
	if len(blind) > 0 {
		fmt.Fprintf(w.deps.IO.ErrOut, "Warning: provider %q cannot list its %s resources; they are missing from the rebuilt state.\n", w.env.Provider, strings.Join(blind, ", "))
	}
	sort.Slice(found, func(i, j int) bool {
		if c := addrs.Compare(found[i].addr, found[j].addr); c != 0 {
			return c < 0
		}
		return found[i].ref.ID < found[j].ref.ID
	})
	return found, nil
}

// rebuildState makes the state the found resources describe: one resource
// per address (further copies deposed), with the dependencies, lifecycle
// and sensitive paths the stack gives them, the stage, and the outputs
// evaluated with the found values.
func (w *workspace) rebuildState(req stacks.Request, ds *stacks.DesiredSet, found []foundResource) (*state.State, []*state.Resource, error) {
	st := state.New(w.stack.Name, w.env.Name)
	st.Stage = ds.Stage
	desired := map[addrs.Instance]*stacks.Resource{}
	for _, r := range ds.Resources {
		desired[r.Address] = r
	}
	known := map[addrs.Instance]cty.Value{}
	var extra []*state.Resource
	for _, f := range found {
		r := &state.Resource{Address: f.addr, Kind: f.ref.Kind, Provider: w.env.Provider, ID: f.ref.ID, Attributes: f.attrs}
		if d, ok := desired[r.Address]; ok && d.Address.Kind == r.Kind {
			r.Dependencies = d.DependsOn
			r.SensitivePaths = markedPaths(d.Config)
			r.PreventDestroy, r.AllowDataLoss = d.Lifecycle.PreventDestroy, d.Lifecycle.AllowDataLoss
		}
		if _, dup := st.Resource(r.Address); dup {
			st.AddDeposed(r)
			extra = append(extra, r)
			continue
		}
		st.Set(r)
		known[r.Address] = f.actual
	}
	req.Known = known
	withKnown, diags := w.stack.Evaluate(req)
	if diags.HasErrors() {
		printDiags(w.deps, w.g, w.stack.Files, diags)
		return nil, nil, silentExit(ExitError)
	}
	for _, o := range withKnown.Outputs {
		if !o.Value.IsWhollyKnown() {
			continue
		}
		plain, pvm := o.Value.UnmarkDeepWithPaths()
		enc, err := state.EncodeOutput(plain, o.Sensitive || len(markedPathsOf(pvm)) > 0)
		if err != nil {
			return nil, nil, userError("output %s: %s.", o.Name, err)
		}
		if st.Outputs == nil {
			st.Outputs = map[string]*state.Output{}
		}
		st.Outputs[o.Name] = enc
	}
	return st, extra, nil
}

// markedPaths lists the paths of v that carry the sensitive mark.
func markedPaths(v cty.Value) []string {
	_, pvm := v.UnmarkDeepWithPaths()
	return markedPathsOf(pvm)
}

func markedPathsOf(pvm []cty.PathValueMarks) []string {
	var out []string
	for _, p := range pvm {
		if _, ok := p.Marks[stacks.Sensitive]; ok {
			out = append(out, state.FormatPath(p.Path))
		}
	}
	sort.Strings(out)
	return out
}

// printRecovered shows what recover found, against the stored state when
// there is one.
func (w *workspace) printRecovered(rebuilt *state.State, extra []*state.Resource, cur *state.State, readErr error) {
	out := w.deps.IO.Out
	switch {
	case readErr != nil:
		fmt.Fprintf(out, "The stored state cannot be read (%s); the rebuilt state starts a new lineage.\n\n", strings.TrimSuffix(readErr.Error(), "."))
	case cur == nil:
		fmt.Fprintf(out, "Environment %q has no stored state.\n\n", w.env.Name)
	}
	n := len(rebuilt.Resources) + len(extra)
	fmt.Fprintf(out, "Found %s of stack %q environment %q at provider %q:\n", plural(n, "resource"), w.stack.Name, w.env.Name, w.env.Provider)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, r := range rebuilt.Resources {
		note := ""
		if cur != nil {
			switch prev, ok := cur.Resource(r.Address); {
			case !ok:
				note = "not in the stored state"
			case prev.ID != r.ID:
				note = "the stored state has id " + prev.ID
			}
		}
		if note == "" {
			fmt.Fprintf(tw, "  %s\t%s\n", r.Address, r.ID)
			continue
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", r.Address, r.ID, note)
	}
	for _, r := range extra {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", r.Address, r.ID, "another copy: recorded as deposed, the next apply deletes it")
	}
	_ = tw.Flush()
	if cur != nil {
		var missing []string
		for _, r := range cur.Resources {
			if _, ok := rebuilt.Resource(r.Address); !ok {
				missing = append(missing, r.Address.String())
			}
		}
		if len(missing) > 0 {
			fmt.Fprintf(out, "The stored state also tracks %s, which the provider does not have; the rebuilt state drops %s.\n", strings.Join(missing, ", "), pronoun(len(missing)))
		}
	}
	fmt.Fprintf(out, "Stage: %s; outputs: %d.\n", rebuilt.Stage, len(rebuilt.Outputs))
}

func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}
