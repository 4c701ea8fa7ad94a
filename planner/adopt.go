package planner

import (
	"context"
	"fmt"
	"sort"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/stagecraft/stagecraft/state"
)

// adopt looks, after an interrupted apply, for resources whose creation
// started but was never recorded. Found through the provider's tags, such a
// resource is adopted into work when the state has nothing at its address;
// any other copy is returned as an orphan for the plan to delete. Either
// way the next apply ends with no duplicate and nothing untracked.
func (p *Planner) adopt(ctx context.Context, work *state.State, intents []state.JournalEntry) (adopted map[addrs.Instance]bool, orphans []*state.Resource, warnings []string, err error) {
	adopted = map[addrs.Instance]bool{}
	pending := map[string]map[addrs.Instance]bool{} // kind -> addresses
	for _, in := range intents {
		if in.Op != state.OpIntent || in.Action == state.ActionDelete {
			continue
		}
		kind := in.Address.Kind
		if in.Resource != nil && in.Resource.Kind != "" {
			kind = in.Resource.Kind
		}
		if pending[kind] == nil {
			pending[kind] = map[addrs.Instance]bool{}
		}
		pending[kind][in.Address] = true
	}
	kinds := make([]string, 0, len(pending))
	for k := range pending {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, kind := range kinds {
		impl, err := p.executor().Kind(kind)
		if err != nil {
			return nil, nil, nil, err
		}
		disc, ok := impl.(providers.Discoverer)
		if !ok {
			for addr := range pending[kind] {
				warnings = append(warnings, fmt.Sprintf("An interrupted apply was creating %s; provider %q cannot list what it created, so check for a leftover copy by hand.", addr, p.ProviderName))
			}
			continue
		}
		found, err := disc.Discover(ctx, p.Stack, p.Environment)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("look for %s resources left by an interrupted apply: %w", kind, err)
		}
		schema := impl.Schema()
		known := map[string]bool{}
		for _, r := range work.Resources {
			known[r.ID] = true
		}
		for _, r := range work.Deposed {
			known[r.ID] = true
		}
		sort.Slice(found, func(i, j int) bool { return found[i].Ref.ID < found[j].Ref.ID })
		for _, f := range found {
			// The address comes from the object's tags.
			addr, err := addrs.Parse(f.Ref.Address)
			if err != nil || !pending[kind][addr] || known[f.Ref.ID] {
				continue
			}
			r, err := p.executor().NewResource(addr, kind, f.Ref.ID, f.Actual, schema)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("adopt %s: %w", f.Ref.Address, err)
			}
			known[f.Ref.ID] = true
			if _, exists := work.Resource(addr); exists {
				orphans = append(orphans, r)
				continue
			}
			work.Set(r)
			adopted[r.Address] = true
		}
	}
	return adopted, orphans, warnings, nil
}
