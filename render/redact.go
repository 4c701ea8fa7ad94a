package render

import (
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/stacks"
)

// withSensitiveMarks returns a copy of p in which every value carries the
// Sensitive mark wherever any value of the same resource (or output) does,
// or where the plan records an attribute as sensitive.
//
// Values read back from a provider or the state carry no marks: a change's
// Before and a drift's values may hold a secret in the clear at a path its
// After marks. The planner's redacted encoding hides only marked values,
// so the JSON plan is made from this copy, the way the text renderers
// decide sensitivity by the union of a change's values.
func withSensitiveMarks(p *plan.Plan) *plan.Plan {
	out := *p
	out.Changes = make([]*plan.Change, len(p.Changes))
	for i, c := range p.Changes {
		cc := *c
		sens := newSensitivity(c.SensitivePaths, c.Before, c.After)
		cc.Before, cc.After = remark(c.Before, sens), remark(c.After, sens)
		out.Changes[i] = &cc
	}
	out.Drift = make([]*plan.Drift, len(p.Drift))
	for i, d := range p.Drift {
		dd := *d
		c, _ := p.Change(d.Address)
		sens := driftSensitivity(d, c, d.Before, d.Actual)
		dd.Before, dd.Actual = remark(d.Before, sens), remark(d.Actual, sens)
		out.Drift[i] = &dd
	}
	out.Outputs = make([]*plan.OutputChange, len(p.Outputs))
	for i, o := range p.Outputs {
		oc := *o
		sens := newSensitivity(nil, o.Before, o.After)
		oc.Before, oc.After = remark(o.Before, sens), remark(o.After, sens)
		out.Outputs[i] = &oc
	}
	return &out
}

// remark marks v as sensitive at the outermost paths sens hides, and
// nowhere else, so that no mark sits inside another.
func remark(v cty.Value, sens *sensitivity) cty.Value {
	if v == cty.NilVal || !sens.any() {
		return v
	}
	plain, _ := v.UnmarkDeep()
	out, err := cty.Transform(plain, func(p cty.Path, v cty.Value) (cty.Value, error) {
		if sens.at(p) && (len(p) == 0 || !sens.at(p[:len(p)-1])) {
			return v.Mark(stacks.Sensitive), nil
		}
		return v, nil
	})
	if err != nil {
		return v
	}
	return out
}
