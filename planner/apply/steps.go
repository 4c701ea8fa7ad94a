package apply

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/stagecraft/stagecraft/planner/dag"
	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/stagecraft/stagecraft/state"
)

// Op is what a step does.
type Op int

// The operations of apply steps.
const (
	// OpBarrier does nothing: it waits for every instance of a block, for
	// the steps that depend on the block as a whole.
	OpBarrier Op = iota
	// OpCreate creates a resource, or the new copy of a replaced one.
	OpCreate
	// OpUpdate changes a resource in place.
	OpUpdate
	// OpDelete deletes a resource, or a deposed copy of one.
	OpDelete
	// OpDestroyOld deletes the old copy of a replaced resource.
	OpDestroyOld
)

// String is the operation as messages name it ("create", "destroy-old").
func (o Op) String() string {
	switch o {
	case OpCreate:
		return "create"
	case OpUpdate:
		return "update"
	case OpDelete:
		return "delete"
	case OpDestroyOld:
		return "destroy-old"
	}
	return "barrier"
}

// StepPhase says which part of a resource's change a step carries out.
type StepPhase int

// The parts of a change that are steps of their own.
const (
	// PhaseCurrent brings the resource to what the plan wants: create,
	// update or delete it, or create the new copy of a replacement.
	PhaseCurrent StepPhase = iota
	// PhaseOld deletes the old copy of a replacement.
	PhaseOld
	// PhaseDeposed deletes a copy left behind by an interrupted apply.
	PhaseDeposed
	// PhaseBlock waits for every instance of a block (a barrier).
	PhaseBlock
)

// StepKey names one step of the apply graph.
type StepKey struct {
	// Address is the instance the step works on; for PhaseBlock, the
	// block (an instance without key).
	Address addrs.Instance
	Phase   StepPhase
	// Deposed is the provider id of the deposed copy (PhaseDeposed).
	Deposed string
}

// String is the step as progress and errors show it: cache.a,
// cache.a (old), cache.a (deposed i-1), autoscaling_group.web[*].
func (k StepKey) String() string {
	switch k.Phase {
	case PhaseOld:
		return k.Address.String() + " (old)"
	case PhaseDeposed:
		return k.Address.String() + " (deposed " + k.Deposed + ")"
	case PhaseBlock:
		return k.Address.String() + "[*]"
	}
	return k.Address.String()
}

// Step is one node of the apply graph.
type Step struct {
	Key    StepKey
	Change *plan.Change // nil for a barrier
	Op     Op
}

// IsBarrier reports whether the step only orders others.
func (s *Step) IsBarrier() bool { return s.Op == OpBarrier }

// Graph is the apply graph: the steps and what each waits for.
type Graph struct {
	*dag.Graph[StepKey]
	Steps map[StepKey]*Step
}

// graphBuilder holds what the passes of BuildGraph share.
type graphBuilder struct {
	changes []*plan.Change
	current []*state.Resource

	g     *dag.Graph[StepKey]
	steps map[StepKey]*Step
	text  map[StepKey]string
	// up maps an address to the step that brings it up to date, down to
	// the step that removes its old copy.
	up, down map[addrs.Instance]StepKey
	// dependents maps an address to the addresses that depend on it.
	dependents map[addrs.Instance][]addrs.Instance
	// upByBlock maps a counted block to the up steps of its instances.
	upByBlock map[addrs.Instance][]StepKey
}

// BuildGraph turns changes into steps and orders them. current is what the
// state tracks (for the dependencies of resources being deleted). Its
// passes run in the order they are listed, each saying why it sits there.
func BuildGraph(changes []*plan.Change, current []*state.Resource) (*Graph, error) {
	b := &graphBuilder{
		changes: changes, current: current,
		steps: map[StepKey]*Step{}, text: map[StepKey]string{},
		up: map[addrs.Instance]StepKey{}, down: map[addrs.Instance]StepKey{},
	}
	// Ties go by the steps' text, so orders read the same in every run.
	b.g = dag.New(func(x, y StepKey) int { return strings.Compare(b.text[x], b.text[y]) })
	passes := []func(){
		// Nodes first: one per provider call (a replacement is two), so
		// every later pass only draws edges.
		b.addSteps,
		// A replacement's halves in its own order before any dependency:
		// the new copy first unless the kind needs unique names.
		b.orderReplacements,
		// Who depends on whom, from the plan (new dependencies) and from
		// the state (old ones, of resources the plan deletes).
		b.collectDependents,
		// Block barriers need every up step of the block to exist.
		b.groupByBlock,
		// Creates and updates wait for what they depend on to be up.
		b.connectUps,
		// Deletes wait for their dependents to go or to move off them
		// (a load balancer shifts traffic away before a group goes).
		b.connectDowns,
	}
	for _, pass := range passes {
		pass()
	}
	if _, err := b.g.Order(); err != nil {
		var cycle *dag.CycleError[StepKey]
		if !errors.As(err, &cycle) {
			return nil, err
		}
		names := make([]string, len(cycle.Nodes))
		for i, k := range cycle.Nodes {
			names[i] = k.String()
		}
		return nil, fmt.Errorf("the changes depend on each other in a circle (%s); apply them in two steps with --target", strings.Join(names, ", "))
	}
	return &Graph{Graph: b.g, Steps: b.steps}, nil
}

func (b *graphBuilder) add(s *Step) {
	b.steps[s.Key] = s
	b.text[s.Key] = s.Key.String()
	b.g.Add(s.Key)
}

func (b *graphBuilder) addSteps() {
	for _, c := range b.changes {
		if c.Action == plan.ActionNoOp {
			continue
		}
		cur := StepKey{Address: c.Address}
		switch {
		case c.Deposed:
			k := StepKey{Address: cur.Address, Phase: PhaseDeposed, Deposed: c.ID}
			b.add(&Step{Key: k, Change: c, Op: OpDelete})
		case c.Action == plan.ActionCreate:
			b.add(&Step{Key: cur, Change: c, Op: OpCreate})
			b.up[c.Address] = cur
		case c.Action == plan.ActionUpdate:
			b.add(&Step{Key: cur, Change: c, Op: OpUpdate})
			b.up[c.Address] = cur
		case c.Action == plan.ActionDelete:
			b.add(&Step{Key: cur, Change: c, Op: OpDelete})
			b.down[c.Address] = cur
		case c.Action == plan.ActionReplace:
			old := StepKey{Address: cur.Address, Phase: PhaseOld}
			b.add(&Step{Key: cur, Change: c, Op: OpCreate})
			b.add(&Step{Key: old, Change: c, Op: OpDestroyOld})
			b.up[c.Address], b.down[c.Address] = cur, old
		}
	}
}

func (b *graphBuilder) orderReplacements() {
	for _, c := range b.changes {
		if c.Deposed || c.Action != plan.ActionReplace {
			continue
		}
		up, old := b.up[c.Address], b.down[c.Address]
		if c.ReplaceOrder == plan.DestroyBeforeCreate {
			b.g.Connect(up, old)
		} else {
			b.g.Connect(old, up)
		}
	}
}

func (b *graphBuilder) collectDependents() {
	b.dependents = map[addrs.Instance][]addrs.Instance{}
	for _, c := range b.changes {
		for _, d := range c.DependsOn {
			b.dependents[d] = append(b.dependents[d], c.Address)
		}
	}
	for _, r := range b.current {
		for _, d := range r.Dependencies {
			b.dependents[d] = append(b.dependents[d], r.Address)
		}
	}
}

// groupByBlock: a dependency on a whole block (addrs.Instance.Contains)
// waits for every instance of the block the plan brings up, through one
// barrier node per block, so the edges stay as many as the dependencies
// written.
func (b *graphBuilder) groupByBlock() {
	b.upByBlock = map[addrs.Instance][]StepKey{}
	for addr, key := range b.up {
		if !addr.Key.IsNone() {
			b.upByBlock[addr.Block()] = append(b.upByBlock[addr.Block()], key)
		}
	}
}

// barrier returns the barrier step of a block, made on first use.
func (b *graphBuilder) barrier(block addrs.Instance) StepKey {
	key := StepKey{Address: block, Phase: PhaseBlock}
	if _, ok := b.steps[key]; !ok {
		b.add(&Step{Key: key, Op: OpBarrier})
		for _, k := range b.upByBlock[block] {
			b.g.Connect(key, k)
		}
	}
	return key
}

func (b *graphBuilder) connectUps() {
	for _, c := range b.changes {
		up, ok := b.up[c.Address]
		if c.Deposed || !ok {
			continue
		}
		for _, d := range c.DependsOn {
			if dk, ok := b.up[d]; ok {
				b.g.Connect(up, dk)
			} else if len(b.upByBlock[d]) > 0 {
				b.g.Connect(up, b.barrier(d))
			}
		}
	}
}

func (b *graphBuilder) connectDowns() {
	for _, c := range b.changes {
		down, ok := b.down[c.Address]
		if c.Deposed || !ok {
			continue
		}
		deps := b.dependents[c.Address]
		if !c.Address.Key.IsNone() {
			deps = append(slices.Clip(deps), b.dependents[c.Address.Block()]...)
		}
		ownUp, hasUp := b.up[c.Address]
		for _, dep := range deps {
			if dk, ok := b.down[dep]; ok && dk != down {
				if s := b.steps[dk]; s.Op == OpDelete || s.Change.ReplaceOrder == plan.CreateBeforeDestroy {
					b.g.Connect(down, dk)
				}
			}
			if uk, ok := b.up[dep]; ok && (!hasUp || uk != ownUp) && (c.Action == plan.ActionDelete || c.ReplaceOrder == plan.CreateBeforeDestroy) {
				b.g.Connect(down, uk)
			}
		}
	}
}
