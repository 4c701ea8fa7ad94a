package render

import (
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/stacks/addrs"
)

// changeView is one resource change as people read it: the header
// sentence, the comments under it and the block with its attributes. The
// text plan and each Markdown <details> show the same view.
type changeView struct {
	// header is the sentence after "# " ("cache.sessions will be
	// created").
	header string
	// notes are comments shown under the header (reason, data loss).
	notes []string
	// lines are the resource block.
	lines []line
}

// shown reports whether a change appears among the plan's actions: every
// change but a no-op, and no-ops that adopt a resource.
func shown(c *plan.Change) bool {
	return c.Action != plan.ActionNoOp || c.Adopted
}

// symbolOf is the symbol the resource line of a change starts with.
func symbolOf(c *plan.Change) string {
	switch c.Action {
	case plan.ActionCreate:
		return "+"
	case plan.ActionUpdate:
		return "~"
	case plan.ActionDelete:
		return "-"
	case plan.ActionReplace:
		if c.ReplaceOrder == plan.CreateBeforeDestroy {
			return "+/-"
		}
		return "-/+"
	}
	return " "
}

// actionPhrase is what a header says will happen ("will be created").
func actionPhrase(a plan.Action) string {
	switch a {
	case plan.ActionCreate:
		return "will be created"
	case plan.ActionUpdate:
		return "will be updated in-place"
	case plan.ActionReplace:
		return "must be replaced"
	case plan.ActionDelete:
		return "will be destroyed"
	}
	return "has no changes"
}

// headerOf is the sentence a change's view starts with.
func headerOf(c *plan.Change) string {
	switch {
	case c.Deposed:
		id := c.ID
		if id == "" {
			id = "without an id"
		}
		return c.Address.String() + " (deposed object " + id + ") " + actionPhrase(c.Action)
	case c.Adopted && c.Action == plan.ActionNoOp:
		return c.Address.String() + " was found by its tags without being in the state and is adopted"
	case c.Adopted:
		return c.Address.String() + " was found by its tags without being in the state and is adopted; it " + actionPhrase(c.Action)
	}
	return c.Address.String() + " " + actionPhrase(c.Action)
}

// blockLabel is the resource line's text without its symbol:
// cache "sessions" {. Module path and instance key are in the header's
// address, as Terraform shows them.
func blockLabel(kind string, address addrs.Instance) string {
	if kind == "" {
		kind = address.Kind
	}
	return kind + " " + quote(address.Name) + " {"
}

// orNull gives a missing value (cty.NilVal) a typed null, so one side of a
// create or delete can be read like the other.
func orNull(v, other cty.Value) cty.Value {
	if v != cty.NilVal {
		return v
	}
	if other != cty.NilVal {
		return cty.NullVal(other.Type())
	}
	return cty.NullVal(cty.EmptyObject)
}

// viewChange renders one change. refused tells whether the plan refuses
// it.
func viewChange(c *plan.Change, refused bool) changeView {
	v := changeView{header: headerOf(c)}
	if c.Reason != "" && !(c.Adopted && !c.Deposed && strings.Contains(c.Reason, "adopted")) {
		// An adopted change's header already says it is adopted; the
		// planner's reason for that only repeats it.
		v.notes = append(v.notes, "("+c.Reason+")")
	}
	if c.DataLoss {
		v.notes = append(v.notes, dataLossNote(c))
	}
	if refused {
		v.notes = append(v.notes, "REFUSED: this change needs consent, so the plan cannot be applied as it is")
	}

	before, after := orNull(c.Before, c.After), orNull(c.After, c.Before)
	sens := newSensitivity(c.SensitivePaths, before, after)
	before, _ = before.UnmarkDeep()
	after, _ = after.UnmarkDeep()

	v.lines = append(v.lines, line{level: 0, sym: symbolOf(c), text: blockLabel(c.Kind, c.Address)})
	switch c.Action {
	case plan.ActionDelete:
		compactDelete(&v.lines, newDiffer(sens), before)
	default:
		d := newDiffer(sens)
		d.replace = c.ReplacePaths
		d.showID = true
		d.body(&v.lines, before, after, nil, 1)
	}
	v.lines = append(v.lines, line{level: 0, sym: " ", text: "}"})
	return v
}

// dataLossNote warns that a change destroys data, and says who consented.
func dataLossNote(c *plan.Change) string {
	note := "WARNING: destroys the data " + c.Address.String() + " holds"
	switch c.Consent {
	case plan.ConsentStack:
		return note + " (consent: lifecycle.allow_data_loss)"
	case plan.ConsentFlag:
		return note + " (consent: --allow-data-loss)"
	case "":
		return note + " (no consent given)"
	}
	return note + " (consent: " + string(c.Consent) + ")"
}

// compactDelete shows an object that goes away by its id alone, and counts
// the rest: the address and id say what is destroyed, and the full list
// of its attributes would bury the plan's other changes.
func compactDelete(out *[]line, d *differ, before cty.Value) {
	ty := before.Type()
	if !ty.IsObjectType() || before.IsNull() || !before.IsKnown() {
		return
	}
	attrs, blocks := 0, 0
	for _, name := range memberNames(ty) {
		v := before.GetAttr(name)
		switch {
		case name == "id" && v.IsKnown() && !v.IsNull():
			d.attribute(out, name, v, cty.NullVal(v.Type()), cty.GetAttrPath(name), 1)
		case v.IsNull():
		case isBlockType(v.Type()) && !v.Type().IsObjectType():
			if v.IsKnown() {
				blocks += v.LengthInt()
			}
		case isBlockType(v.Type()):
			blocks++
		default:
			attrs++
		}
	}
	if attrs > 0 {
		*out = append(*out, line{level: 1, sym: " ", text: "# (" + plural(attrs, "attribute") + " hidden)"})
	}
	if blocks > 0 {
		*out = append(*out, line{level: 1, sym: " ", text: "# (" + plural(blocks, "block") + " hidden)"})
	}
}

// viewDrift renders what changed outside Stagecraft: only the drifted
// attributes show as changed, before -> actual. change is the plan's
// change for the same address, if any, whose values' marks say what is
// sensitive when the drift values lost them.
func viewDrift(dr *plan.Drift, kind string, change *plan.Change) changeView {
	before, actual := orNull(dr.Before, dr.Actual), orNull(dr.Actual, dr.Before)
	sens := driftSensitivity(dr, change, before, actual)
	before, _ = before.UnmarkDeep()
	actual, _ = actual.UnmarkDeep()
	d := newDiffer(sens)
	v := changeView{}
	if dr.Gone {
		v.header = dr.Address.String() + " has been deleted"
		v.lines = append(v.lines, line{level: 0, sym: "-", text: blockLabel(kind, dr.Address)})
		compactDelete(&v.lines, d, before)
	} else {
		v.header = dr.Address.String() + " has changed"
		v.lines = append(v.lines, line{level: 0, sym: "~", text: blockLabel(kind, dr.Address)})
		d.relevant = dr.Paths // nil (no paths given): show every difference
		d.showID = true
		d.body(&v.lines, before, actual, nil, 1)
	}
	v.lines = append(v.lines, line{level: 0, sym: " ", text: "}"})
	return v
}

// driftSensitivity says what of a drift to hide: what the drift and the
// change for the same address record as sensitive, and what any of their
// values marks, since the values read back from the provider lost their
// marks.
func driftSensitivity(dr *plan.Drift, change *plan.Change, before, actual cty.Value) *sensitivity {
	sens := newSensitivity(dr.SensitivePaths, before, actual)
	if change != nil {
		sens.marked = append(sens.marked, change.SensitivePaths...)
		sens.add(change.Before)
		sens.add(change.After)
	}
	return sens
}

// kindOf finds a drifted resource's kind: from its change, else from its
// address.
func kindOf(address addrs.Instance, change *plan.Change) string {
	if change != nil && change.Kind != "" {
		return change.Kind
	}
	return address.Kind
}

// outputLines renders the outputs that change, names aligned, sensitive
// ones as (sensitive).
func outputLines(outputs []*plan.OutputChange) []line {
	width := 0
	var changed []*plan.OutputChange
	for _, o := range outputs {
		if o.Action == plan.ActionNoOp {
			continue
		}
		changed = append(changed, o)
		width = max(width, len(o.Name))
	}
	var out []line
	for _, o := range changed {
		before, after := orNull(o.Before, o.After), orNull(o.After, o.Before)
		sens := newSensitivity(nil, before, after)
		if o.Sensitive {
			sens.marked = append(sens.marked, cty.Path{})
		}
		before, _ = before.UnmarkDeep()
		after, _ = after.UnmarkDeep()
		if o.Action == plan.ActionDelete {
			after = cty.NullVal(before.Type())
		}
		d := newDiffer(sens)
		d.attribute(&out, pad(o.Name, width), before, after, nil, 0)
	}
	return out
}
