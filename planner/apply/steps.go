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
	// PhaseDependentsGone waits for the deletes of everything that depends
	// on a block as a whole (a barrier the block's deletes wait for).
	PhaseDependentsGone
	// PhaseDependentsMoved waits for the creates and updates of everything
	// that depends on a block as a whole, which move off the instances the
	// block's deletes remove (a barrier).
	PhaseDependentsMoved
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
	case PhaseDependentsGone:
		return k.Address.String() + "[*] (dependents gone)"
	case PhaseDependentsMoved:
		return k.Address.String() + "[*] (dependents moved)"
	}
	return k.Address.String()
}

// Step is one node of the apply graph.
type Step struct {
	Key    StepKey
	Change *plan.Change // nil for a barrier
	Op     Op
	// text is Key.String(), made once: ties in the graph's order go by it.
	text string
}

// String is the step's key as progress and errors show it (StepKey.String),
// so messages that name a node of the graph name the step.
func (s *Step) String() string { return s.text }

// IsBarrier reports whether the step only orders others.
func (s *Step) IsBarrier() bool { return s.Op == OpBarrier }

// Graph is the apply graph: the steps and what each waits for. Its nodes
// are the steps themselves, so a large graph holds each step's key once,
// in the step.
type Graph struct {
	*dag.Graph[*Step]
}

// graphBuilder holds what the passes of BuildGraph share.
type graphBuilder struct {
	changes []*plan.Change
	current []*state.Resource

	g *dag.Graph[*Step]
	// barriers holds the barrier step of each block that has one.
	barriers map[addrs.Instance]*Step
	// up maps an address to the step that brings it up to date, down to
	// the step that removes its old copy.
	up, down map[addrs.Instance]*Step
	// dependents maps an address to the addresses that depend on it.
	dependents map[addrs.Instance][]addrs.Instance
	// upByBlock maps a counted block to the up steps of its instances.
	upByBlock map[addrs.Instance][]*Step
	// gates holds the barriers of connectDowns, by block and phase.
	gates map[StepKey]*Step
	// selfDependents caches selfDependent, by block.
	selfDependents map[addrs.Instance]bool
}

// BuildGraph turns changes into steps and orders them. current is what the
// state tracks (for the dependencies of resources being deleted). Its
// passes run in the order they are listed, each saying why it sits there.
func BuildGraph(changes []*plan.Change, current []*state.Resource) (*Graph, error) {
	b := &graphBuilder{
		changes: changes, current: current,
		barriers: map[addrs.Instance]*Step{}, gates: map[StepKey]*Step{}, selfDependents: map[addrs.Instance]bool{},
		up: map[addrs.Instance]*Step{}, down: map[addrs.Instance]*Step{},
	}
	// Ties go by the steps' text, so orders read the same in every run.
	// The graph keeps this function for its walk; it holds on to nothing
	// of the builder, whose maps are garbage once the graph is built.
	b.g = dag.New(func(x, y *Step) int { return strings.Compare(x.text, y.text) })
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
		var cycle *dag.CycleError[*Step]
		if !errors.As(err, &cycle) {
			return nil, err
		}
		names := make([]string, len(cycle.Nodes))
		for i, s := range cycle.Nodes {
			names[i] = s.text
		}
		return nil, fmt.Errorf("the changes depend on each other in a circle (%s); apply them in two steps with --target", strings.Join(names, ", "))
	}
	return &Graph{Graph: b.g}, nil
}

// add makes s a node and returns it.
func (b *graphBuilder) add(s *Step) *Step {
	s.text = s.Key.String()
	b.g.Add(s)
	return s
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
			b.up[c.Address] = b.add(&Step{Key: cur, Change: c, Op: OpCreate})
		case c.Action == plan.ActionUpdate:
			b.up[c.Address] = b.add(&Step{Key: cur, Change: c, Op: OpUpdate})
		case c.Action == plan.ActionDelete:
			b.down[c.Address] = b.add(&Step{Key: cur, Change: c, Op: OpDelete})
		case c.Action == plan.ActionReplace:
			old := StepKey{Address: cur.Address, Phase: PhaseOld}
			b.up[c.Address] = b.add(&Step{Key: cur, Change: c, Op: OpCreate})
			b.down[c.Address] = b.add(&Step{Key: old, Change: c, Op: OpDestroyOld})
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
		// A load balancer that shifts traffic away from targets depends
		// on them until the shift is done, whatever the state recorded.
		for _, d := range shiftedFrom(c) {
			b.dependents[d] = append(b.dependents[d], c.Address)
		}
	}
	for _, r := range b.current {
		for _, d := range r.Dependencies {
			b.dependents[d] = append(b.dependents[d], r.Address)
		}
	}
}

// shiftedFrom lists the targets a change's traffic shift moves traffic
// away from, in address order.
func shiftedFrom(c *plan.Change) []addrs.Instance {
	if c.Shift == nil {
		return nil
	}
	var out []addrs.Instance
	for _, sp := range c.Shift.Paths {
		for t, w := range sp.From {
			addr, err := addrs.Parse(t)
			if err != nil || w <= 0 || sp.To[t] >= w || slices.Contains(out, addr) {
				continue
			}
			out = append(out, addr)
		}
	}
	slices.SortFunc(out, addrs.Compare)
	return out
}

// groupByBlock: a dependency on a whole block (addrs.Instance.Contains)
// waits for every instance of the block the plan brings up, through one
// barrier node per block, so the edges stay as many as the dependencies
// written.
func (b *graphBuilder) groupByBlock() {
	b.upByBlock = map[addrs.Instance][]*Step{}
	for addr, s := range b.up {
		if !addr.Key.IsNone() {
			b.upByBlock[addr.Block()] = append(b.upByBlock[addr.Block()], s)
		}
	}
}

// barrier returns the barrier step of a block, made on first use.
func (b *graphBuilder) barrier(block addrs.Instance) *Step {
	s, ok := b.barriers[block]
	if !ok {
		s = b.add(&Step{Key: StepKey{Address: block, Phase: PhaseBlock}, Op: OpBarrier})
		b.barriers[block] = s
		for _, u := range b.upByBlock[block] {
			b.g.Connect(s, u)
		}
	}
	return s
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

// connectDowns: a delete waits for the deletes of its dependents, and for
// the creates and updates that move them off it. What depends on a block
// as a whole is waited for through two barriers per block (its
// dependents gone, its dependents moved), so that deleting n instances
// of a block that n instances refer to draws 2n edges, not n².
func (b *graphBuilder) connectDowns() {
	for _, c := range b.changes {
		down, ok := b.down[c.Address]
		if c.Deposed || !ok {
			continue
		}
		deps := b.dependents[c.Address]
		if !c.Address.Key.IsNone() {
			block := c.Address.Block()
			if b.selfDependent(block) {
				deps = append(slices.Clip(deps), b.dependents[block]...)
			} else if len(b.dependents[block]) > 0 {
				b.g.Connect(down, b.gate(block, PhaseDependentsGone))
				if c.Action == plan.ActionDelete || c.ReplaceOrder == plan.CreateBeforeDestroy {
					b.g.Connect(down, b.gate(block, PhaseDependentsMoved))
				}
			}
		}
		ownUp, hasUp := b.up[c.Address]
		for _, dep := range deps {
			if dk, ok := b.down[dep]; ok && dk != down && waitsForDown(dk) {
				b.g.Connect(down, dk)
			}
			if uk, ok := b.up[dep]; ok && (!hasUp || uk != ownUp) && (c.Action == plan.ActionDelete || c.ReplaceOrder == plan.CreateBeforeDestroy) {
				b.g.Connect(down, uk)
			}
		}
	}
}

// waitsForDown reports whether the deletes of what dk's resource depends
// on wait for dk: a delete, or the old copy of a create-before-destroy
// replacement.
func waitsForDown(dk *Step) bool {
	return dk.Op == OpDelete || dk.Change.ReplaceOrder == plan.CreateBeforeDestroy
}

// selfDependent reports whether an instance of block depends on the block
// itself; its deletes then wait for each dependent directly, since a
// barrier would wait for them too.
func (b *graphBuilder) selfDependent(block addrs.Instance) bool {
	self, ok := b.selfDependents[block]
	if !ok {
		for _, dep := range b.dependents[block] {
			if dep.Block() == block {
				self = true
				break
			}
		}
		b.selfDependents[block] = self
	}
	return self
}

// gate returns the barrier of connectDowns for block in phase, made on
// first use: PhaseDependentsGone waits for the deletes of the block's
// dependents, PhaseDependentsMoved for their creates and updates.
func (b *graphBuilder) gate(block addrs.Instance, phase StepPhase) *Step {
	k := StepKey{Address: block, Phase: phase}
	s, ok := b.gates[k]
	if ok {
		return s
	}
	s = b.add(&Step{Key: k, Op: OpBarrier})
	b.gates[k] = s
	for _, dep := range b.dependents[block] {
		if phase == PhaseDependentsGone {
			if dk, ok := b.down[dep]; ok && waitsForDown(dk) {
				b.g.Connect(s, dk)
			}
		} else if uk, ok := b.up[dep]; ok {
			b.g.Connect(s, uk)
		}
	}
	return s
}
