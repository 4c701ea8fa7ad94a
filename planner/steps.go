package planner

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/stagecraft/stagecraft/planner/dag"
	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/stacks"
	"github.com/stagecraft/stagecraft/state"
)

// step is one node of the apply graph.
type step struct {
	key    string
	change *plan.Change
	op     string // "create", "update", "delete", "destroy-old", or opBarrier
}

// opBarrier is a step that does nothing: it waits for every instance of a
// block, for the steps that depend on the block as a whole.
const opBarrier = "barrier"

// isBarrier reports whether the step only orders others.
func (s *step) isBarrier() bool { return s.op == opBarrier }

// stepGraph turns changes into steps and orders them. current is what the
// state tracks (for the dependencies of resources being deleted).
//   - a create or update waits for the creates, updates and replacements
//     of what it depends on;
//   - a delete waits for the deletes of what depends on it, and for the
//     updates that move dependents off it (a load balancer shifts its
//     traffic away from a group before the group goes);
//   - create-before-destroy: the old copy goes after the new one exists and
//     its dependents have moved; destroy-before-create: the other way.
func stepGraph(changes []*plan.Change, current []*state.Resource) (*dag.Graph[string], map[string]*step, error) {
	g := dag.New(strings.Compare)
	steps := map[string]*step{}
	add := func(s *step) {
		steps[s.key] = s
		g.Add(s.key)
	}
	upKey := map[string]string{}   // address -> step that brings it up to date
	downKey := map[string]string{} // address -> step that removes the old copy
	for _, c := range changes {
		switch {
		case c.Action == plan.ActionNoOp:
		case c.Deposed:
			add(&step{key: c.Address + " (deposed " + c.ID + ")", change: c, op: "delete"})
		case c.Action == plan.ActionCreate || c.Action == plan.ActionUpdate:
			add(&step{key: c.Address, change: c, op: string(c.Action)})
			upKey[c.Address] = c.Address
		case c.Action == plan.ActionDelete:
			add(&step{key: c.Address, change: c, op: "delete"})
			downKey[c.Address] = c.Address
		case c.Action == plan.ActionReplace:
			add(&step{key: c.Address, change: c, op: "create"})
			add(&step{key: c.Address + " (old)", change: c, op: "destroy-old"})
			upKey[c.Address] = c.Address
			downKey[c.Address] = c.Address + " (old)"
			if c.ReplaceOrder == plan.DestroyBeforeCreate {
				g.Connect(c.Address, c.Address+" (old)")
			} else {
				g.Connect(c.Address+" (old)", c.Address)
			}
		}
	}
	// dependents maps an address to the addresses that depend on it, in
	// the plan (new dependencies) and in the state (old ones).
	dependents := map[string][]string{}
	for _, c := range changes {
		for _, d := range c.DependsOn {
			dependents[d] = append(dependents[d], c.Address)
		}
	}
	for _, r := range current {
		for _, d := range r.Dependencies {
			dependents[d.String()] = append(dependents[d.String()], r.Address.String())
		}
	}
	// A dependency on a whole block (stacks/dependency.go) waits for every
	// instance of the block the plan brings up, through one barrier node
	// per block, so the edges stay as many as the dependencies written.
	upByBlock := map[string][]string{}
	for addr, key := range upKey {
		if block, keyed := stacks.BlockAddress(addr); keyed {
			upByBlock[block] = append(upByBlock[block], key)
		}
	}
	barrier := func(block string) string {
		key := block + "[*]"
		if _, ok := steps[key]; !ok {
			add(&step{key: key, op: opBarrier})
			for _, k := range upByBlock[block] {
				g.Connect(key, k)
			}
		}
		return key
	}
	for _, c := range changes {
		if c.Deposed {
			continue
		}
		if up, ok := upKey[c.Address]; ok {
			for _, d := range c.DependsOn {
				if dk, ok := upKey[d]; ok {
					g.Connect(up, dk)
				} else if len(upByBlock[d]) > 0 {
					g.Connect(up, barrier(d))
				}
			}
		}
		if down, ok := downKey[c.Address]; ok {
			deps := dependents[c.Address]
			if block, keyed := stacks.BlockAddress(c.Address); keyed {
				deps = append(slices.Clip(deps), dependents[block]...)
			}
			for _, dep := range deps {
				if dk, ok := downKey[dep]; ok && dk != down {
					if steps[dk].op == "delete" || steps[dk].change.ReplaceOrder == plan.CreateBeforeDestroy {
						g.Connect(down, dk)
					}
				}
				if uk, ok := upKey[dep]; ok && uk != upKey[c.Address] && (c.Action == plan.ActionDelete || c.ReplaceOrder == plan.CreateBeforeDestroy) {
					g.Connect(down, uk)
				}
			}
		}
	}
	if _, err := g.Order(); err != nil {
		var cycle *dag.CycleError[string]
		if !errors.As(err, &cycle) {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("the changes depend on each other in a circle (%s); apply them in two steps with --target", strings.Join(cycle.Nodes, ", "))
	}
	return g, steps, nil
}
