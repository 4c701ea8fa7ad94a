package schema

import "github.com/zclconf/go-cty/cty"

// Unmarked returns v without its marks (sensitivity), deep. Most values
// carry none, and looking is far cheaper than rebuilding the value, which
// cty's UnmarkDeep does whatever it finds; plans and refreshes of thousands
// of resources do this for every one.
func Unmarked(v cty.Value) cty.Value {
	if v == cty.NilVal || !hasMarks(v) {
		return v
	}
	u, _ := v.UnmarkDeep()
	return u
}

// hasMarks reports whether v or anything inside it is marked. Unlike
// cty's ContainsMarked it builds no paths on the way.
func hasMarks(v cty.Value) bool {
	if v.IsMarked() {
		return true
	}
	if v.IsNull() || !v.IsKnown() {
		return false
	}
	ty := v.Type()
	switch {
	case ty.IsObjectType():
		for name := range ty.AttributeTypes() {
			if hasMarks(v.GetAttr(name)) {
				return true
			}
		}
	case ty.IsListType(), ty.IsSetType(), ty.IsMapType(), ty.IsTupleType():
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if hasMarks(e) {
				return true
			}
		}
	}
	return false
}
