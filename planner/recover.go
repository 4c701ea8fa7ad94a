package planner

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/planner/apply"
	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/stacks"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/stagecraft/stagecraft/stacks/marks"
	"github.com/stagecraft/stagecraft/state"
)

// RebuiltState is a state rebuilt from what the provider reports (state
// recover).
type RebuiltState struct {
	// State holds one resource per address, the stage and the outputs.
	State *state.State
	// Extra are further copies found at an address already taken; State
	// records them as deposed, for the next apply to delete.
	Extra []*state.Resource
	// Warnings are sentences about what could not be recovered.
	Warnings []string
}

// found is one resource the provider listed by its tags.
type found struct {
	addr   addrs.Instance
	ref    providers.Ref
	actual cty.Value
	impl   providers.ResourceKind
}

// RebuildState rebuilds the environment's state from every resource the
// provider lists as this stack's and environment's, placed at the address
// in its tags: with the dependencies, lifecycle and sensitive paths the
// stage ds gives them, ds's stage, and the outputs evaluated with what was
// found, so that a plan right after shows only real differences.
func (p *Planner) RebuildState(ctx context.Context, ds *stacks.DesiredSet) (*RebuiltState, error) {
	rec := &RebuiltState{State: state.New(p.Stack, p.Environment)}
	rec.State.Stage = ds.Stage
	desired := map[addrs.Instance]*stacks.Resource{}
	for _, r := range ds.Resources {
		desired[r.Address] = r
	}
	found, blind, err := p.discover(ctx, rec)
	if err != nil {
		return nil, err
	}
	if found == nil && blind == nil {
		return nil, fmt.Errorf("provider %q cannot list its resources by their tags, so the state cannot be rebuilt from them; use stagecraft import ADDRESS ID for each resource instead", p.ProviderName)
	}
	if len(blind) > 0 {
		rec.Warnings = append(rec.Warnings, fmt.Sprintf("provider %q cannot list its %s resources; they are missing from the rebuilt state.", p.ProviderName, strings.Join(blind, ", ")))
	}
	known := map[addrs.Instance]cty.Value{}
	for _, f := range found {
		r, err := p.executor().NewResource(f.addr, f.ref.Kind, f.ref.ID, f.actual, f.impl.Schema())
		if err != nil {
			return nil, fmt.Errorf("cannot record %s (%s): %s", f.ref.Address, f.ref.ID, err)
		}
		if d, ok := desired[r.Address]; ok && d.Address.Kind == r.Kind {
			apply.WithStack(r, d)
		}
		if _, dup := rec.State.Resource(r.Address); dup {
			rec.State.AddDeposed(r)
			rec.Extra = append(rec.Extra, r)
			continue
		}
		rec.State.Set(r)
		known[r.Address] = f.actual
	}
	withKnown, diags := p.Evaluate(known, nil)
	if diags.HasErrors() {
		return nil, &apply.DiagnosticsError{Diags: diags}
	}
	for _, o := range withKnown.Outputs {
		if !o.Value.IsWhollyKnown() {
			continue
		}
		plain, _ := o.Value.UnmarkDeep()
		enc, err := state.EncodeOutput(plain, o.Sensitive || marks.HasSensitive(o.Value))
		if err != nil {
			return nil, fmt.Errorf("output %s: %s", o.Name, err)
		}
		if rec.State.Outputs == nil {
			rec.State.Outputs = map[string]*state.Output{}
		}
		rec.State.Outputs[o.Name] = enc
	}
	return rec, nil
}

// discover lists every resource the provider holds for this stack and
// environment, kind by kind, in address order, with the kinds that cannot
// list theirs (blind). When no kind can, both are nil. Resources whose
// address tag does not parse are skipped with a warning in rec.
func (p *Planner) discover(ctx context.Context, rec *RebuiltState) (out []found, blind []string, err error) {
	has := 0
	for _, kind := range kinds.Names() {
		impl, ok := p.Provider.Kind(kind)
		if !ok {
			continue
		}
		has++
		disc, ok := impl.(providers.Discoverer)
		if !ok {
			blind = append(blind, kind)
			continue
		}
		list, err := disc.Discover(ctx, p.Stack, p.Environment)
		if err != nil {
			return nil, nil, fmt.Errorf("cannot list the %s resources of provider %q: %s", kind, p.ProviderName, strings.TrimSuffix(err.Error(), "."))
		}
		for _, d := range list {
			addr, err := addrs.Parse(d.Ref.Address)
			if err != nil {
				rec.Warnings = append(rec.Warnings, fmt.Sprintf("skipping %s %s: its %s tag %q is not an address.", kind, d.Ref.ID, providers.TagAddress, d.Ref.Address))
				continue
			}
			d.Ref.Kind = kind
			out = append(out, found{addr: addr, ref: d.Ref, actual: d.Actual, impl: impl})
		}
	}
	if len(blind) == has {
		return nil, nil, nil
	}
	if blind == nil {
		blind = []string{}
	}
	sort.Slice(out, func(i, j int) bool {
		if c := addrs.Compare(out[i].addr, out[j].addr); c != 0 {
			return c < 0
		}
		return out[i].ref.ID < out[j].ref.ID
	})
	return out, blind, nil
}
