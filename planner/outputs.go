package planner

import (
	"sort"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/stacks"
	"github.com/stagecraft/stagecraft/stacks/marks"
	"github.com/stagecraft/stagecraft/state"
)

// planOutputs compares the outputs recorded in state with the ones the
// desired set evaluates to.
func planOutputs(st *state.State, ds *stacks.DesiredSet, destroy bool) []*plan.OutputChange {
	var out []*plan.OutputChange
	seen := map[string]bool{}
	if !destroy {
		for _, o := range ds.Outputs {
			seen[o.Name] = true
			oc := &plan.OutputChange{Name: o.Name, After: o.Value, Sensitive: o.Sensitive || marks.HasSensitive(o.Value), Before: cty.NullVal(cty.DynamicPseudoType), Action: plan.ActionCreate}
			if prev, ok := st.Outputs[o.Name]; ok {
				if v, err := prev.Decode(); err == nil {
					oc.Before = v
					oc.Action = plan.ActionUpdate
					after, _ := o.Value.UnmarkDeep()
					before, _ := v.UnmarkDeep()
					if plan.ValuesEqual(after, before) {
						oc.Action = plan.ActionNoOp
					}
				}
			}
			out = append(out, oc)
		}
	}
	for name, prev := range st.Outputs {
		if seen[name] {
			continue
		}
		v, _ := prev.Decode()
		out = append(out, &plan.OutputChange{Name: name, Action: plan.ActionDelete, Before: v, After: cty.NullVal(cty.DynamicPseudoType), Sensitive: prev.Sensitive})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
