package planner

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/planner/apply"
	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/schema"
	"github.com/stagecraft/stagecraft/stacks"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/stagecraft/stagecraft/state"
)

// PlanOptions are the inputs of one plan.
type PlanOptions struct {
	// State is the environment's state (nil before the first apply), and
	// Intents the unfinished operations a crashed apply left in the
	// journal.
	State   *state.State
	Intents []state.JournalEntry
	// SkipRefresh trusts the state instead of reading every resource from
	// the provider first (--refresh=false).
	SkipRefresh bool
	// Destroy plans the removal of everything.
	Destroy bool
	// Targets limits the plan to these addresses and what they depend on.
	Targets []addrs.Target
	// AllowDataLoss consents, for this run, to deleting or replacing
	// resources that hold data.
	AllowDataLoss bool
	// StackHash is recorded so that a saved plan goes stale when the files
	// change.
	StackHash string
	// Phases, when set, is told as refreshing (PhaseRefreshing) and
	// planning (PhasePlanning) begin.
	Phases apply.PhaseFunc
	// Adopt takes over, instead of refusing to plan, the resources the
	// provider holds for this environment when the state has none
	// (--adopt; see adoptExisting).
	Adopt bool
}

// The parts of a plan that PlanOptions.Phases is told of.
const (
	PhaseRefreshing = "refreshing"
	PhasePlanning   = "planning"
)

// maxReplanRounds bounds re-evaluation while replacements make more
// references unknown; each round can only add replacements, so the depth of
// the dependency graph bounds it in practice.
const maxReplanRounds = 64

// Plan refreshes what exists, evaluates the stack and diffs the two.
func (p *Planner) Plan(ctx context.Context, opts PlanOptions) (*plan.Plan, error) {
	st := opts.State
	pl := &plan.Plan{Stack: p.Stack, Environment: p.Environment, Provider: p.ProviderName, Destroy: opts.Destroy, StackHash: opts.StackHash}
	if st == nil {
		st = state.New(p.Stack, p.Environment)
	} else {
		pl.Lineage, pl.Serial, pl.AppliedStage = st.Lineage, st.Serial, st.Stage
	}
	work := st.Clone()

	// Adopt resources an interrupted apply created without recording them.
	adopted, orphans, warnings, err := p.adopt(ctx, work, opts.Intents)
	if err != nil {
		return nil, err
	}
	pl.Warnings = warnings

	// With nothing in the state, look for what a lost state left running
	// before planning to create it all again.
	if !opts.Destroy && len(st.Resources) == 0 && len(st.Deposed) == 0 {
		known := map[string]bool{}
		for _, r := range append(append(append([]*state.Resource{}, work.Resources...), work.Deposed...), orphans...) {
			known[r.ID] = true
		}
		found, extra, warned, err := p.adoptExisting(ctx, work, known, opts.Adopt)
		if err != nil {
			return nil, err
		}
		for a := range found {
			adopted[a] = true
		}
		orphans = append(orphans, extra...)
		pl.Warnings = append(pl.Warnings, warned...)
	}

	if opts.Phases != nil {
		opts.Phases(PhaseRefreshing, len(work.Resources))
	}
	current, err := p.refresh(ctx, work.Resources, !opts.SkipRefresh)
	if err != nil {
		return nil, err
	}
	rfs := make(map[addrs.Instance]*refreshed, len(current))
	for _, rf := range current {
		rfs[rf.res.Address] = rf
	}
	deposedRecords, pendingRecords := splitPending(work.Deposed)
	deposed, err := p.refresh(ctx, append(deposedRecords, orphans...), !opts.SkipRefresh)
	if err != nil {
		return nil, err
	}
	pendingChanges, stillPending, err := p.checkPending(ctx, pendingRecords, !opts.SkipRefresh)
	if err != nil {
		return nil, err
	}
	pl.PendingDeletions = stillPending

	known := map[addrs.Instance]cty.Value{}
	for addr, rf := range rfs {
		if !rf.gone {
			known[addr] = rf.actual
		}
	}
	if opts.Phases != nil {
		opts.Phases(PhasePlanning, -1)
	}
	ds, diffs, err := p.evaluateForPlan(known, rfs, opts.Destroy)
	if err != nil {
		return nil, err
	}
	pl.TargetStage = ds.Stage
	if opts.Destroy {
		pl.TargetStage = ""
	}

	desired := map[addrs.Instance]*stacks.Resource{}
	for _, r := range ds.Resources {
		desired[r.Address] = r
	}
	if !opts.Destroy {
		for _, r := range ds.Resources {
			c, err := p.changeFor(r, rfs[r.Address], diffs)
			if err != nil {
				return nil, err
			}
			pl.Changes = append(pl.Changes, c)
		}
	}
	for _, rf := range current {
		if _, ok := desired[rf.res.Address]; ok && !opts.Destroy {
			continue
		}
		pl.Changes = append(pl.Changes, p.deleteChange(rf, ""))
	}
	for i, rf := range deposed {
		c := p.deleteChange(rf, "an old copy left behind by an interrupted apply")
		c.Adopted = i >= len(deposedRecords)
		pl.Changes = append(pl.Changes, c)
	}
	pl.Changes = append(pl.Changes, pendingChanges...)
	if err := p.explainDeleting(ctx, pl.Changes, rfs); err != nil {
		return nil, err
	}
	for _, c := range pl.Changes {
		if adopted[c.Address] && !c.Deposed {
			c.Adopted = true
		}
	}
	for _, rf := range current {
		if rf.gone || opts.SkipRefresh {
			continue
		}
		if d := driftOf(rf); d != nil {
			pl.Drift = append(pl.Drift, d)
		}
	}
	sortChanges(pl.Changes)
	recordSensitivePaths(pl)
	sort.Slice(pl.Drift, func(i, j int) bool { return addrs.Less(pl.Drift[i].Address, pl.Drift[j].Address) })

	if len(opts.Targets) > 0 {
		if t, ok := unmatchedTarget(pl.Changes, opts.Targets); ok {
			return nil, fmt.Errorf("the target %s matches nothing in the stack's stage %q or in the state; check the address (stagecraft state list shows what the state holds)", t, ds.Stage)
		}
		pl.Changes = limitToTargets(pl.Changes, opts.Targets)
		for _, t := range opts.Targets {
			pl.Targets = append(pl.Targets, t.String())
		}
		pl.TargetStage = pl.AppliedStage
	}
	p.checkConsent(pl, opts.AllowDataLoss)
	pl.Outputs = planOutputs(st, ds, opts.Destroy)
	pl.Steps = describeSteps(pl.Changes, st.Resources)
	pl.Warnings = append(pl.Warnings, apply.HaltedShifts(st)...)
	return pl, nil
}

// evaluateForPlan evaluates the stack, and again while replacements make
// references to the replaced resources unknown, and updates the computed
// attributes that they recompute (a coordinator's endpoints when its
// members change), until nothing changes: what refers to such a value is
// then planned as an update known after apply, carried out in the same
// apply. It returns the diffs it made of the final evaluation's resources,
// by address, for changeFor to use.
func (p *Planner) evaluateForPlan(known map[addrs.Instance]cty.Value, rfs map[addrs.Instance]*refreshed, destroy bool) (*stacks.DesiredSet, map[addrs.Instance]attrDiff, error) {
	recomputed := map[addrs.Instance]bool{}
	for round := 0; ; round++ {
		ds, diags := p.Evaluate(known, nil)
		if diags.HasErrors() {
			return nil, nil, &apply.DiagnosticsError{Diags: diags}
		}
		if destroy || round == maxReplanRounds {
			return ds, nil, nil
		}
		dropped := false
		diffs := make(map[addrs.Instance]attrDiff, len(ds.Resources))
		for _, r := range ds.Resources {
			rf, ok := rfs[r.Address]
			if !ok || rf.gone {
				continue
			}
			if _, stillKnown := known[r.Address]; !stillKnown {
				continue
			}
			if rf.res.Status == state.StatusTainted {
				delete(known, r.Address)
				dropped = true
				continue
			}
			d := diffValues(rf.schema, keepIgnored(r.Config, rf.actual, r.Lifecycle.IgnoreChanges), rf.actual, r.Lifecycle)
			diffs[r.Address] = d
			if len(d.replace) > 0 {
				delete(known, r.Address)
				dropped = true
			} else if v, ok := recomputedValue(rf.schema, rf.actual, d.changed); ok {
				d.recomputed = v
				diffs[r.Address] = d
				if !recomputed[r.Address] {
					recomputed[r.Address] = true
					known[r.Address] = v
					dropped = true
				}
			}
		}
		if !dropped {
			return ds, diffs, nil
		}
	}
}

// changeFor plans one desired resource against what exists.
// diffs holds the diffs evaluateForPlan made already.
func (p *Planner) changeFor(r *stacks.Resource, rf *refreshed, diffs map[addrs.Instance]attrDiff) (*plan.Change, error) {
	impl, err := p.executor().Kind(r.Address.Kind)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.Address, err)
	}
	sch := impl.Schema()
	c := &plan.Change{Address: r.Address, Kind: r.Address.Kind, DependsOn: r.DependsOn,
		PreventDestroy: r.Lifecycle.PreventDestroy, AllowDataLoss: r.Lifecycle.AllowDataLoss}
	if rf == nil || rf.gone {
		c.Action = plan.ActionCreate
		c.Before = cty.NullVal(p.executor().ImpliedType(sch))
		c.After = schema.WithComputed(&sch.Block, r.Config, cty.NilVal)
		if rf != nil {
			c.Reason = "it no longer exists at the provider (deleted outside Stagecraft), so it is created again"
			c.ID = rf.res.ID
		}
		return c, nil
	}
	c.ID = rf.res.ID
	c.Before = rf.actual
	after := keepIgnored(r.Config, rf.actual, r.Lifecycle.IgnoreChanges)
	d, ok := diffs[r.Address]
	if !ok {
		d = diffValues(sch, after, rf.actual, r.Lifecycle)
	}
	c.ChangedPaths = d.changed
	switch {
	case rf.res.Status == state.StatusTainted:
		c.Action = plan.ActionReplace
		c.Reason = "a previous create failed half-way, so it is replaced"
	case len(d.replace) > 0:
		c.Action = plan.ActionReplace
		c.ReplacePaths = d.replace
	case len(d.changed) > 0:
		c.Action = plan.ActionUpdate
		if sch.Routing != nil {
			c.Shift = detectShift(sch.Routing, rf.actual, after, r.Settings)
			withGateSignals(c.Shift, impl, after)
		}
	case rf.incomplete != "":
		c.Action = plan.ActionUpdate
		c.Reason = rf.incomplete
	default:
		c.Action = plan.ActionNoOp
	}
	if c.Action == plan.ActionReplace {
		c.ReplaceOrder = plan.CreateBeforeDestroy
		if sch.UniqueNames {
			c.ReplaceOrder = plan.DestroyBeforeCreate
		}
		c.After = schema.WithComputed(&sch.Block, after, cty.NilVal)
	} else if d.recomputed != cty.NilVal {
		c.After = schema.WithComputed(&sch.Block, after, d.recomputed)
	} else {
		c.After = schema.WithComputed(&sch.Block, after, rf.actual)
	}
	return c, nil
}

func (p *Planner) deleteChange(rf *refreshed, reason string) *plan.Change {
	c := &plan.Change{Address: rf.res.Address, Kind: rf.res.Kind, Action: plan.ActionDelete, ID: rf.res.ID,
		Deposed: reason != "", Reason: reason,
		PreventDestroy: rf.res.PreventDestroy, AllowDataLoss: rf.res.AllowDataLoss}
	c.Before = rf.actual
	if rf.gone {
		c.Before = rf.prior
		c.Reason = "it no longer exists at the provider; it is only removed from the state"
	}
	c.After = cty.NullVal(p.executor().ImpliedType(rf.schema))
	c.DependsOn = rf.res.Dependencies
	return c
}

// driftOf compares what was last applied with what exists now.
func driftOf(rf *refreshed) *plan.Drift {
	d := diffValues(driftSchema(rf.schema), rf.prior, rf.actual, stacks.Lifecycle{})
	if len(d.changed) == 0 {
		return nil
	}
	return &plan.Drift{Address: rf.res.Address, Kind: rf.res.Kind, Paths: d.changed, Before: rf.prior, Actual: rf.actual}
}

// driftSchema treats optional+computed attributes as the provider's: their
// values move on their own (autoscaling changes desired), which is not
// drift.
func driftSchema(s *schema.Schema) *schema.Schema {
	out := *s
	out.Block = driftBlock(s.Block)
	return &out
}

func driftBlock(b schema.Block) schema.Block {
	out := schema.Block{}
	for _, a := range b.Attributes {
		if a.Optional && a.Computed {
			c := *a
			c.Optional = false
			a = &c
		}
		out.Attributes = append(out.Attributes, a)
	}
	for _, nb := range b.Blocks {
		c := *nb
		c.Block = driftBlock(nb.Block)
		out.Blocks = append(out.Blocks, &c)
	}
	return out
}

// checkConsent refuses deletions and replacements that destroy data
// without consent, and those of resources with prevent_destroy.
func (p *Planner) checkConsent(pl *plan.Plan, allowFlag bool) {
	for _, c := range pl.Changes {
		if c.Action != plan.ActionDelete && c.Action != plan.ActionReplace {
			continue
		}
		if c.Deposed {
			continue
		}
		gone := c.Action == plan.ActionDelete && strings.HasPrefix(c.Reason, "it no longer exists")
		if gone {
			continue
		}
		verb := "delete"
		if c.Action == plan.ActionReplace {
			verb = "replace"
		}
		if c.PreventDestroy {
			pl.Refused = append(pl.Refused, &plan.Refusal{Address: c.Address, Action: c.Action,
				Reason: fmt.Sprintf("The plan may not %s %s: it has lifecycle { prevent_destroy = true }. Remove that setting first if you mean to.", verb, c.Address)})
			continue
		}
		sch, ok := kinds.Schema(c.Kind)
		if !ok || !sch.DataBearing {
			continue
		}
		c.DataLoss = true
		switch {
		case c.AllowDataLoss:
			c.Consent = plan.ConsentStack
		case allowFlag:
			c.Consent = plan.ConsentFlag
		default:
			why := ""
			if len(c.ReplacePaths) > 0 {
				why = " because " + pathList(c.ReplacePaths) + " changed"
			}
			pl.Refused = append(pl.Refused, &plan.Refusal{Address: c.Address, Action: c.Action,
				Reason: fmt.Sprintf("The plan would %s %s%s, destroying the data it holds. To consent, set lifecycle { allow_data_loss = true } on it, or run again with --allow-data-loss.", verb, c.Address, why)})
		}
	}
}

// unmatchedTarget returns the first target that names none of the
// changes: most likely a typing mistake, which would otherwise plan
// nothing without a word.
func unmatchedTarget(changes []*plan.Change, targets []addrs.Target) (addrs.Target, bool) {
	for _, t := range targets {
		matched := false
		for _, c := range changes {
			if t.Contains(c.Address) {
				matched = true
				break
			}
		}
		if !matched {
			return t, true
		}
	}
	return addrs.Target{}, false
}

// limitToTargets keeps the changes of the targeted addresses and of
// everything they depend on; a deletion is kept only when targeted itself.
func limitToTargets(changes []*plan.Change, targets []addrs.Target) []*plan.Change {
	byAddr := map[addrs.Instance]*plan.Change{}
	byBlock := map[addrs.Instance][]addrs.Instance{} // block address -> its instances' (addrs.Instance.Contains)
	for _, c := range changes {
		if !c.Deposed {
			byAddr[c.Address] = c
			if !c.Address.Key.IsNone() {
				byBlock[c.Address.Block()] = append(byBlock[c.Address.Block()], c.Address)
			}
		}
	}
	keep := map[addrs.Instance]bool{}
	var visit func(addr addrs.Instance)
	visit = func(addr addrs.Instance) {
		if keep[addr] {
			return
		}
		keep[addr] = true
		if c, ok := byAddr[addr]; ok && c.Action != plan.ActionDelete {
			for _, d := range c.DependsOn {
				visit(d)
				for _, inst := range byBlock[d] {
					visit(inst)
				}
			}
		}
	}
	for _, c := range changes {
		for _, t := range targets {
			if t.Contains(c.Address) {
				visit(c.Address)
			}
		}
	}
	var out []*plan.Change
	for _, c := range changes {
		// Adopted resources are recorded whatever the targets: the next
		// state write would otherwise forget them again.
		if keep[c.Address] || c.Adopted {
			out = append(out, c)
		}
	}
	return out
}

func sortChanges(cs []*plan.Change) {
	sort.SliceStable(cs, func(i, j int) bool {
		if c := addrs.Compare(cs[i].Address, cs[j].Address); c != 0 {
			return c < 0
		}
		return !cs[i].Deposed && cs[j].Deposed
	})
}

// pathList renders attribute paths for messages: "engine and members".
func pathList(ps []cty.Path) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = plan.PathString(p)
	}
	switch len(names) {
	case 1:
		return names[0]
	case 2:
		return names[0] + " and " + names[1]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
