package planner

import (
	"context"
	"fmt"

	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/stagecraft/stagecraft/state"
)

// splitPending separates the deposed objects whose deletion an earlier
// apply left pending from the other deposed copies.
func splitPending(deposed []*state.Resource) (others, pending []*state.Resource) {
	for _, r := range deposed {
		if r.Status == state.StatusPendingDeletion {
			pending = append(pending, r)
		} else {
			others = append(others, r)
		}
	}
	return others, pending
}

// checkPending asks the provider how each pending deletion is going. One
// still on its way out is listed in the plan (there is nothing to do but
// wait); one that is gone gets a delete change, which removes what it
// left behind (a cache's subnet group) and its record; one the provider
// no longer deletes (its status is not a deleting one) is deleted again.
// With read false the records are trusted: every one is still pending.
func (p *Planner) checkPending(ctx context.Context, records []*state.Resource, read bool) ([]*plan.Change, []*plan.PendingDeletion, error) {
	var changes []*plan.Change
	var pending []*plan.PendingDeletion
	for _, r := range records {
		sch, prior, err := p.executor().DecodeResource(r)
		if err != nil {
			return nil, nil, err
		}
		pd := &plan.PendingDeletion{Address: r.Address, Kind: r.Kind, ID: r.ID}
		if r.Pending != nil {
			pd.Since, pd.At, pd.Status = r.Pending.Since, r.Pending.At, r.Pending.Status
		}
		if pd.At == "" {
			pd.At = "the provider"
		}
		if !read {
			pending = append(pending, pd)
			continue
		}
		status, deleting, gone, err := p.deletionStatus(ctx, r)
		if err != nil {
			return nil, nil, fmt.Errorf("refresh %s (pending deletion %s): %w", r.Address, r.ID, err)
		}
		if deleting {
			pd.Status = status
			pending = append(pending, pd)
			continue
		}
		c := p.deleteChange(&refreshed{res: r, schema: sch, prior: prior, actual: prior}, "pending")
		if gone {
			c.Reason = fmt.Sprintf("%s finished deleting it; apply removes what it left behind and its record", pd.At)
		} else {
			c.Reason = fmt.Sprintf("its deletion at %s did not finish (status: %s), so it is deleted again", pd.At, status)
		}
		changes = append(changes, c)
	}
	return changes, pending, nil
}

// deletionStatus reads how the deletion of r is going: through the
// kind's DeletionWatcher, or, for a kind without one, through Read
// (whatever exists is not being deleted).
func (p *Planner) deletionStatus(ctx context.Context, r *state.Resource) (status string, deleting, gone bool, err error) {
	impl, err := p.executor().Kind(r.Kind)
	if err != nil {
		return "", false, false, err
	}
	ref := p.executor().Ref(r.Address, r.Kind, r.ID)
	if w, ok := impl.(providers.DeletionWatcher); ok {
		return w.DeletionStatus(ctx, ref)
	}
	_, exists, err := impl.Read(ctx, ref)
	if exists {
		status = "exists"
	}
	return status, false, !exists, err
}

// explainDeleting says, on the delete of a resource the refresh found
// gone, when the provider is in fact still deleting it (a cache AWS lists
// as "deleting", which Read counts as gone): apply then records the
// deletion as pending instead of only dropping the record, unless a later
// step needs it gone.
func (p *Planner) explainDeleting(ctx context.Context, changes []*plan.Change, rfs map[addrs.Instance]*refreshed) error {
	for _, c := range changes {
		rf := rfs[c.Address]
		if c.Action != plan.ActionDelete || c.Deposed || rf == nil || !rf.gone {
			continue
		}
		impl, err := p.executor().Kind(c.Kind)
		if err != nil {
			return err
		}
		w, ok := impl.(providers.DeletionWatcher)
		if !ok {
			continue
		}
		status, deleting, _, err := w.DeletionStatus(ctx, p.executor().Ref(c.Address, c.Kind, c.ID))
		if err != nil {
			return fmt.Errorf("refresh %s: %w", c.Address, err)
		}
		if deleting {
			c.Reason = fmt.Sprintf("it no longer exists at the provider as a working %s: its deletion there is under way (status: %s), so apply records it as a pending deletion unless a later step needs it gone", c.Kind, status)
		}
	}
	return nil
}
