package planner

import (
	"context"
	"fmt"

	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/stagecraft/stagecraft/state"
)

// ExistingError is a plan refused because the state is empty or lost while
// the provider holds resources tagged with this stack and environment:
// creating the stack again would make a second copy of each.
type ExistingError struct {
	// Found is how many such resources the provider listed.
	Found int
}

// Error says how many exist and what to do.
func (e *ExistingError) Error() string {
	what := fmt.Sprintf("%d resources", e.Found)
	verb := "exist"
	if e.Found == 1 {
		what, verb = "1 resource", "exists"
	}
	return fmt.Sprintf("%s of this environment already %s; run `stagecraft state recover --write` (or plan with --adopt to adopt them)", what, verb)
}

// adoptExisting looks, before a plan with no resource in its state creates
// anything, for resources the provider holds for this stack and
// environment that work does not track (a lost or deleted state, not an
// interrupted apply: known holds the ids adopt already took). Finding any
// is an *ExistingError unless adopt is set; then each is adopted into work
// at the address in its tags, and a further copy at a taken address is
// returned as an orphan for the plan to delete. It lists through the same
// discovery as state recover (Planner.discover), and kinds the provider
// cannot list are skipped.
func (p *Planner) adoptExisting(ctx context.Context, work *state.State, known map[string]bool, adopt bool) (adopted map[addrs.Instance]bool, orphans []*state.Resource, warnings []string, err error) {
	rec := &RebuiltState{}
	listed, _, err := p.discover(ctx, rec)
	if err != nil {
		return nil, nil, nil, err
	}
	var fresh []found
	for _, f := range listed {
		if !known[f.ref.ID] {
			fresh = append(fresh, f)
		}
	}
	if len(fresh) == 0 {
		return nil, nil, nil, nil
	}
	if !adopt {
		return nil, nil, nil, &ExistingError{Found: len(fresh)}
	}
	adopted = map[addrs.Instance]bool{}
	for _, f := range fresh {
		r, err := p.executor().NewResource(f.addr, f.ref.Kind, f.ref.ID, f.actual, f.impl.Schema())
		if err != nil {
			return nil, nil, nil, fmt.Errorf("adopt %s (%s): %w", f.ref.Address, f.ref.ID, err)
		}
		if _, taken := work.Resource(r.Address); taken {
			orphans = append(orphans, r)
			continue
		}
		work.Set(r)
		adopted[r.Address] = true
	}
	return adopted, orphans, rec.Warnings, nil
}
