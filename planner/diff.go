package planner

import (
	"slices"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/providers/schema"
	"github.com/stagecraft/stagecraft/stacks"
)

// attrDiff is the outcome of comparing desired configuration with what
// exists.
type attrDiff struct {
	changed []cty.Path
	replace []cty.Path
	// recomputed, when an update changes what computed attributes are
	// made from (schema.Attribute.RecomputedBy), is the actual value with
	// those attributes unknown: what the resource is known to be until
	// the update is applied. cty.NilVal otherwise.
	recomputed cty.Value
}

// diffValues compares a desired configuration with the actual value of the
// same kind, attribute by attribute, as the schema describes them:
// computed-only attributes are the provider's and never differ; an
// optional+computed attribute left null keeps whatever the provider chose;
// ignored paths are skipped. A change to a force-new attribute (or to a
// value not known until apply in one) forces a replacement.
func diffValues(schema *schema.Schema, desired, actual cty.Value, lc stacks.Lifecycle) attrDiff {
	var d attrDiff
	if lc.IgnoreAllChanges {
		return d
	}
	diffBlock(&schema.Block, desired, actual, nil, lc.IgnoreChanges, &d)
	return d
}

// diffBlock compares one level of the values, which may carry marks (a
// sensitive configuration value): marks are dropped where a value is
// looked into, not by unmarking the whole values first, which would read
// all of them one more time.
func diffBlock(b *schema.Block, desired, actual cty.Value, path cty.Path, ignore []cty.Path, d *attrDiff) {
	desired, _ = desired.Unmark()
	actual, _ = actual.Unmark()
	for _, a := range b.Attributes {
		if a.Computed && !a.Optional && !a.Required {
			continue
		}
		p := appendPath(path, cty.GetAttrStep{Name: a.Name})
		if ignored(p, ignore) {
			continue
		}
		dv := attr(desired, a.Name)
		av := attr(actual, a.Name)
		if a.Computed && dv.IsKnown() && dv.IsNull() {
			continue
		}
		if plan.ValuesEqual(dv, av) {
			continue
		}
		d.changed = append(d.changed, p)
		if a.ForceNew {
			d.replace = append(d.replace, p)
		}
	}
	for _, nb := range b.Blocks {
		p := appendPath(path, cty.GetAttrStep{Name: nb.TypeName})
		if ignored(p, ignore) {
			continue
		}
		dv := attr(desired, nb.TypeName)
		av := attr(actual, nb.TypeName)
		switch nb.Nesting {
		case schema.NestingSingle:
			if dv.IsNull() && av.IsNull() {
				continue
			}
			if !dv.IsKnown() || dv.IsNull() || av.IsNull() {
				d.changed = append(d.changed, p)
				if blockHasForceNew(&nb.Block) {
					d.replace = append(d.replace, p)
				}
				continue
			}
			diffBlock(&nb.Block, dv, av, p, ignore, d)
		case schema.NestingList:
			dv, _ = dv.Unmark()
			av, _ = av.Unmark()
			if !dv.IsKnown() || dv.IsNull() || av.IsNull() || !av.IsKnown() || dv.LengthInt() != av.LengthInt() {
				if plan.ValuesEqual(dv, av) {
					continue
				}
				d.changed = append(d.changed, p)
				if blockHasForceNew(&nb.Block) {
					d.replace = append(d.replace, p)
				}
				continue
			}
			de, ae := dv.AsValueSlice(), av.AsValueSlice()
			for i := range de {
				diffBlock(&nb.Block, de[i], ae[i], appendPath(p, cty.IndexStep{Key: cty.NumberIntVal(int64(i))}), ignore, d)
			}
		}
	}
}

// blockHasForceNew reports whether b or a block inside it has an
// attribute whose change forces a replacement.
func blockHasForceNew(b *schema.Block) bool {
	return anyAttribute(b, func(a *schema.Attribute) bool { return a.ForceNew })
}

// anyAttribute reports whether b or a block nested in it has an attribute
// for which is holds.
func anyAttribute(b *schema.Block, is func(*schema.Attribute) bool) bool {
	for _, a := range b.Attributes {
		if is(a) {
			return true
		}
	}
	for _, nb := range b.Blocks {
		if anyAttribute(&nb.Block, is) {
			return true
		}
	}
	return false
}

// attr reads an attribute of an object value, null when absent. name is
// a schema attribute name, plain ASCII, so it is looked up as it is
// (Type.HasAttribute would normalise it first, on every call).
func attr(obj cty.Value, name string) cty.Value {
	if obj == cty.NilVal || obj.IsNull() || !obj.IsKnown() || !obj.Type().IsObjectType() || !hasAttr(obj.Type(), name) {
		if obj != cty.NilVal && !obj.IsKnown() {
			return cty.DynamicVal
		}
		return cty.NullVal(cty.DynamicPseudoType)
	}
	return obj.GetAttr(name)
}

func hasAttr(ty cty.Type, name string) bool {
	_, ok := ty.AttributeTypes()[name]
	return ok
}

func ignored(p cty.Path, ignore []cty.Path) bool {
	for _, ig := range ignore {
		if len(ig) <= len(p) && p[:len(ig)].Equals(ig) {
			return true
		}
		// An ignored element of a map (env["X"]) ignores only that key;
		// the map as a whole is compared without it elsewhere.
	}
	return false
}

func appendPath(p cty.Path, step cty.PathStep) cty.Path {
	out := make(cty.Path, len(p)+1)
	copy(out, p)
	out[len(p)] = step
	return out
}

// keepIgnored returns desired with every ignore_changes path set to what
// actually exists, so that the plan neither shows nor makes those changes.
func keepIgnored(desired, actual cty.Value, ignore []cty.Path) cty.Value {
	if len(ignore) == 0 || actual == cty.NilVal {
		return desired
	}
	actual, _ = actual.UnmarkDeep()
	out, err := cty.Transform(desired, func(p cty.Path, v cty.Value) (cty.Value, error) {
		for _, ig := range ignore {
			if !p.Equals(ig) {
				continue
			}
			av, err := ig.Apply(actual)
			if err != nil {
				return v, nil
			}
			if av.Type().Equals(v.Type()) {
				return av, nil
			}
		}
		return v, nil
	})
	if err != nil {
		return desired
	}
	return out
}

// recomputedValue returns actual with the computed attributes that an
// update of the changed paths makes the provider compute anew
// (schema.Attribute.RecomputedBy) unknown, and whether there were any.
func recomputedValue(s *schema.Schema, actual cty.Value, changed []cty.Path) (cty.Value, bool) {
	names := map[string]bool{}
	for _, p := range changed {
		if len(p) > 0 {
			if ga, ok := p[0].(cty.GetAttrStep); ok {
				names[ga.Name] = true
			}
		}
	}
	v, marks := actual.Unmark()
	if len(names) == 0 || v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() {
		return actual, false
	}
	m := v.AsValueMap()
	found := false
	for _, a := range s.Block.Attributes {
		cur, ok := m[a.Name]
		if !a.Computed || !ok || !slices.ContainsFunc(a.RecomputedBy, func(n string) bool { return names[n] }) {
			continue
		}
		m[a.Name] = cty.UnknownVal(cur.Type())
		found = true
	}
	if !found {
		return actual, false
	}
	return cty.ObjectVal(m).WithMarks(marks), true
}
