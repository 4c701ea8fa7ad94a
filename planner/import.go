package planner

import (
	"context"
	"fmt"

	"github.com/stagecraft/stagecraft/stacks"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/stagecraft/stagecraft/state"
)

// Importable returns the resource of the stage ds at address, which import
// may take over: the stack declares it and the state st does not track it
// yet. Its errors are sentences saying what to do instead.
func Importable(ds *stacks.DesiredSet, st *state.State, address string) (*stacks.Resource, error) {
	// An address that does not parse names no resource of the stage.
	addr, perr := addrs.Parse(address)
	found, ok := ds.Resource(addr)
	if perr != nil || !ok {
		return nil, fmt.Errorf("stage %q has no resource %s; import records a resource the stack declares, so write its block first", ds.Stage, address)
	}
	if r, ok := st.Resource(addr); ok {
		return nil, fmt.Errorf("the state already tracks %s (id %s); remove it with state rm first to import another", address, r.ID)
	}
	return found, nil
}

// Import reads the object with the provider's id through the provider and
// returns the record the state keeps of it as r, the resource Importable
// found.
func (p *Planner) Import(ctx context.Context, r *stacks.Resource, id string) (*state.Resource, error) {
	kind := r.Address.Kind
	impl, ok := p.Provider.Kind(kind)
	if !ok {
		return nil, fmt.Errorf("provider %q does not support %s resources", p.ProviderName, kind)
	}
	actual, exists, err := impl.Read(ctx, p.executor().Ref(r.Address, kind, id))
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %s", kind, id, err)
	}
	if !exists {
		return nil, fmt.Errorf("provider %q has no %s with id %q", p.ProviderName, kind, id)
	}
	res, err := p.executor().NewResource(r.Address, kind, id, actual, impl.Schema())
	if err != nil {
		return nil, fmt.Errorf("import %s: %s", r.Address, err)
	}
	res.Dependencies = r.DependsOn
	return res, nil
}
