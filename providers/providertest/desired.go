package providertest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/stagecraft/stagecraft/providers/schema"
)

// Desired builds a desired value of schema's kind from a partial object, the
// way the stack language would evaluate a block that sets only attrs:
// attributes not given get their Default or null (computed ones stay null),
// list blocks not given are empty lists, and single blocks not given are
// null, or filled with their defaults when Implied. Values given for nested
// blocks may themselves be partial: an object for a single block, a list or
// tuple of objects for a list block, each filled the same way. Given values
// are converted to the attribute's type (a tuple to a list, an object to a
// map).
//
// It is meant for tests (the conformance fixtures, the planner's tests) and
// panics when attrs names something the schema does not have or holds a
// value that does not convert: a mistake in the test itself.
func Desired(schema *schema.Schema, attrs map[string]cty.Value) cty.Value {
	return fillBlock(&schema.Block, schema.Kind, attrs)
}

func fillBlock(b *schema.Block, where string, attrs map[string]cty.Value) cty.Value {
	var unknown []string
	for name := range attrs {
		_, isAttr := b.Attribute(name)
		_, isBlock := b.NestedBlock(name)
		if !isAttr && !isBlock {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		panic(fmt.Sprintf("providertest.Desired: %s has no attribute or block named %s", where, strings.Join(unknown, ", ")))
	}
	vals := make(map[string]cty.Value, len(b.Attributes)+len(b.Blocks))
	for _, a := range b.Attributes {
		v, given := attrs[a.Name]
		switch {
		case given:
			cv, err := convert.Convert(v, a.Type)
			if err != nil {
				panic(fmt.Sprintf("providertest.Desired: %s.%s: %s", where, a.Name, err))
			}
			vals[a.Name] = cv
		case a.Default != cty.NilVal:
			vals[a.Name] = a.Default
		default:
			vals[a.Name] = cty.NullVal(a.Type)
		}
	}
	for _, nb := range b.Blocks {
		vals[nb.TypeName] = fillNested(nb, where+"."+nb.TypeName, attrs)
	}
	return cty.ObjectVal(vals)
}

func fillNested(nb *schema.NestedBlock, where string, attrs map[string]cty.Value) cty.Value {
	ety := nb.ImpliedType()
	v, given := attrs[nb.TypeName]
	if nb.Nesting == schema.NestingList {
		switch {
		case !given:
			return cty.ListValEmpty(ety)
		case v.IsNull():
			return cty.NullVal(cty.List(ety))
		case !v.IsKnown():
			return cty.UnknownVal(cty.List(ety))
		}
		ty := v.Type()
		if !ty.IsListType() && !ty.IsTupleType() && !ty.IsSetType() {
			panic(fmt.Sprintf("providertest.Desired: %s: want a list of objects, got %s", where, ty.FriendlyName()))
		}
		if v.LengthInt() == 0 {
			return cty.ListValEmpty(ety)
		}
		elems := make([]cty.Value, 0, v.LengthInt())
		for i, e := range v.AsValueSlice() {
			elems = append(elems, fillElement(nb, fmt.Sprintf("%s[%d]", where, i), e))
		}
		return cty.ListVal(elems)
	}
	switch {
	case !given && nb.Implied:
		return fillBlock(&nb.Block, where, nil)
	case !given || v.IsNull():
		return cty.NullVal(ety)
	}
	return fillElement(nb, where, v)
}

// fillElement fills one block written as a partial object.
func fillElement(nb *schema.NestedBlock, where string, v cty.Value) cty.Value {
	ety := nb.ImpliedType()
	switch {
	case v.IsNull():
		return cty.NullVal(ety)
	case !v.IsKnown():
		return cty.UnknownVal(ety)
	case !v.Type().IsObjectType() && !v.Type().IsMapType():
		panic(fmt.Sprintf("providertest.Desired: %s: want an object, got %s", where, v.Type().FriendlyName()))
	}
	return fillBlock(&nb.Block, where, v.AsValueMap())
}
