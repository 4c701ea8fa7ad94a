package apply

import (
	"fmt"
	"testing"

	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/stagecraft/stagecraft/state"
)

// layeredChanges returns the changes of n groups in 10 counted blocks, the
// instances of each block depending on the block before as a whole (what
// `l1[count.index].id` records), all with action, and the state they
// apply to when they are deletes.
func layeredChanges(n int, action plan.Action) ([]*plan.Change, []*state.Resource) {
	per := n / 10
	var changes []*plan.Change
	var current []*state.Resource
	for l := range 10 {
		block := addrs.RootModule.Resource("autoscaling_group", fmt.Sprint("l", l))
		var deps []addrs.Instance
		if l > 0 {
			deps = []addrs.Instance{addrs.RootModule.Resource("autoscaling_group", fmt.Sprint("l", l-1)).Instance(addrs.NoKey)}
		}
		for i := range per {
			addr := block.Instance(addrs.IntKey(i))
			c := &plan.Change{Address: addr, Kind: "autoscaling_group", Action: action}
			if action == plan.ActionDelete {
				c.ID = fmt.Sprint("asg-", l*per+i)
				current = append(current, &state.Resource{Address: addr, Kind: "autoscaling_group", ID: c.ID, Dependencies: deps})
			} else {
				c.DependsOn = deps
			}
			changes = append(changes, c)
		}
	}
	return changes, current
}

// TestBuildGraphDeletesWaitForDependents: through the barriers, every
// delete of a block's instance waits for the deletes of every instance
// that depends on the block.
func TestBuildGraphDeletesWaitForDependents(t *testing.T) {
	t.Parallel()
	changes, current := layeredChanges(30, plan.ActionDelete)
	g, err := BuildGraph(changes, current)
	if err != nil {
		t.Fatal(err)
	}
	order, err := g.Order()
	if err != nil {
		t.Fatal(err)
	}
	at := map[string]int{}
	for i, s := range order {
		at[s.String()] = i
	}
	for l := range 9 {
		for i := range 3 {
			for j := range 3 {
				a, b := fmt.Sprintf("autoscaling_group.l%d[%d]", l, i), fmt.Sprintf("autoscaling_group.l%d[%d]", l+1, j)
				if at[a] <= at[b] {
					t.Fatalf("%s is deleted before %s, which depends on its block:\n%v", a, b, order)
				}
			}
		}
	}
}

// BenchmarkBuildGraph grows linearly with the changes: deletes wait for
// the dependents of their block through barriers, not one edge per pair.
func BenchmarkBuildGraph(b *testing.B) {
	for _, action := range []plan.Action{plan.ActionCreate, plan.ActionDelete} {
		for _, n := range []int{10_000, 100_000} {
			b.Run(fmt.Sprintf("action=%s/n=%d", action, n), func(b *testing.B) {
				changes, current := layeredChanges(n, action)
				for b.Loop() {
					if _, err := BuildGraph(changes, current); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
