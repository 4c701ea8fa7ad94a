package funcs

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// lengthFunc is Terraform's length: the number of elements of a collection
// or structural value, or the number of characters (grapheme clusters) of a
// string. stdlib's length knows only collections.
var lengthFunc = function.New(&function.Spec{
	Description: "Returns the number of elements of a list, set, map, tuple or object, or the number of characters of a string.",
	Params: []function.Parameter{
		{
			Name:             "value",
			Type:             cty.DynamicPseudoType,
			AllowDynamicType: true,
			AllowUnknown:     true,
			AllowMarked:      true,
		},
	},
	Type: func(args []cty.Value) (cty.Type, error) {
		ty := args[0].Type()
		switch {
		case ty == cty.String, ty == cty.DynamicPseudoType,
			ty.IsListType(), ty.IsSetType(), ty.IsMapType(),
			ty.IsTupleType(), ty.IsObjectType():
			return cty.Number, nil
		default:
			return cty.NilType, function.NewArgErrorf(0, "length needs a string, a collection or an object, not a %s", ty.FriendlyName())
		}
	},
	RefineResult: refineNotNull,
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		val, marks := args[0].Unmark()
		ty := val.Type()
		switch {
		case ty == cty.DynamicPseudoType:
			return cty.UnknownVal(cty.Number).WithMarks(marks), nil
		case ty.IsTupleType():
			return cty.NumberIntVal(int64(len(ty.TupleElementTypes()))).WithMarks(marks), nil
		case ty.IsObjectType():
			return cty.NumberIntVal(int64(len(ty.AttributeTypes()))).WithMarks(marks), nil
		case ty == cty.String:
			n, err := stdlib.Strlen(val)
			if err != nil {
				return cty.UnknownVal(cty.Number), err
			}
			return n.WithMarks(marks), nil
		default:
			return val.Length().WithMarks(marks), nil
		}
	},
})

// indexFunc is Terraform's index: the position of the first element of a
// list that equals the given value. (stdlib's function of that name returns
// the element at a position instead.)
var indexFunc = function.New(&function.Spec{
	Description: "Returns the position of the first element of a list that equals the given value.",
	Params: []function.Parameter{
		{Name: "list", Type: cty.DynamicPseudoType},
		{Name: "value", Type: cty.DynamicPseudoType},
	},
	Type: func(args []cty.Value) (cty.Type, error) {
		if ty := args[0].Type(); !ty.IsListType() && !ty.IsTupleType() {
			return cty.NilType, function.NewArgErrorf(0, "index searches a list or tuple, not a %s", ty.FriendlyName())
		}
		return cty.Number, nil
	},
	RefineResult: refineNotNull,
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		if args[0].LengthInt() == 0 {
			return cty.UnknownVal(cty.Number), function.NewArgErrorf(0, "the list is empty, so it cannot contain the value")
		}
		for it := args[0].ElementIterator(); it.Next(); {
			i, v := it.Element()
			eq, err := stdlib.Equal(v, args[1])
			if err != nil {
				return cty.UnknownVal(cty.Number), err
			}
			if !eq.IsKnown() {
				return cty.UnknownVal(cty.Number), nil
			}
			if eq.True() {
				return i, nil
			}
		}
		return cty.UnknownVal(cty.Number), function.NewArgErrorf(1, "the list does not contain this value")
	},
})

// coalesceFunc is Terraform's coalesce: the first argument that is neither
// null nor an empty string. (stdlib's coalesce returns an empty string.)
var coalesceFunc = function.New(&function.Spec{
	Description: "Returns the first argument that is neither null nor an empty string.",
	VarParam: &function.Parameter{
		Name:             "vals",
		Type:             cty.DynamicPseudoType,
		AllowUnknown:     true,
		AllowDynamicType: true,
		AllowNull:        true,
	},
	Type: func(args []cty.Value) (cty.Type, error) {
		types := make([]cty.Type, len(args))
		for i, v := range args {
			types[i] = v.Type()
		}
		ty, _ := convert.UnifyUnsafe(types)
		if ty == cty.NilType {
			return cty.NilType, errors.New("all arguments of coalesce must have the same type, or types that convert to one")
		}
		return ty, nil
	},
	RefineResult: refineNotNull,
	Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
		for _, v := range args {
			// The Type function has checked that every argument converts.
			v, err := convert.Convert(v, retType)
			if err != nil {
				return cty.UnknownVal(retType), err
			}
			if !v.IsKnown() {
				return cty.UnknownVal(retType), nil
			}
			if v.IsNull() || (retType == cty.String && v.RawEquals(cty.StringVal(""))) {
				continue
			}
			return v, nil
		}
		return cty.UnknownVal(retType), errors.New("every argument of coalesce is null or an empty string, so there is nothing to return")
	},
})

// sumFunc is Terraform's sum: the total of a list, set or tuple of numbers.
var sumFunc = function.New(&function.Spec{
	Description: "Returns the total of a list, set or tuple of numbers.",
	Params: []function.Parameter{
		{Name: "list", Type: cty.DynamicPseudoType},
	},
	Type: func(args []cty.Value) (cty.Type, error) {
		if ty := args[0].Type(); !ty.IsListType() && !ty.IsSetType() && !ty.IsTupleType() {
			return cty.NilType, function.NewArgErrorf(0, "sum adds up a list, set or tuple of numbers, not a %s", ty.FriendlyName())
		}
		return cty.Number, nil
	},
	RefineResult: refineNotNull,
	Impl: func(args []cty.Value, _ cty.Type) (ret cty.Value, err error) {
		list := args[0]
		if list.LengthInt() == 0 {
			return cty.UnknownVal(cty.Number), function.NewArgErrorf(0, "the list is empty, so it has no sum")
		}
		if !list.IsWhollyKnown() {
			return cty.UnknownVal(cty.Number), nil
		}
		// big.Float panics when it adds opposite infinities.
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(big.ErrNaN); !ok {
					panic(r)
				}
				ret, err = cty.UnknownVal(cty.Number), function.NewArgErrorf(0, "the list holds both positive and negative infinity, whose sum is not a number")
			}
		}()
		total := cty.Zero
		i := 0
		for it := list.ElementIterator(); it.Next(); i++ {
			_, v := it.Element()
			if v.IsNull() {
				return cty.UnknownVal(cty.Number), function.NewArgErrorf(0, "%s is null; sum adds up numbers only", describeElement(list.Type(), i))
			}
			n, err := convert.Convert(v, cty.Number)
			if err != nil {
				return cty.UnknownVal(cty.Number), function.NewArgErrorf(0, "%s is a %s; sum adds up numbers only", describeElement(list.Type(), i), v.Type().FriendlyName())
			}
			total = total.Add(n)
		}
		return total, nil
	},
})

// oneFunc is Terraform's one: the only element of a collection with one
// element, or null for an empty one. It turns an optional thing, written as a
// list of zero or one elements, into a value or null.
var oneFunc = function.New(&function.Spec{
	Description: "Returns the only element of a list, set or tuple with one element, or null when it has none.",
	Params: []function.Parameter{
		{Name: "list", Type: cty.DynamicPseudoType},
	},
	Type: func(args []cty.Value) (cty.Type, error) {
		ty := args[0].Type()
		switch {
		case ty.IsListType() || ty.IsSetType():
			return ty.ElementType(), nil
		case ty.IsTupleType():
			switch etys := ty.TupleElementTypes(); len(etys) {
			case 0:
				return cty.DynamicPseudoType, nil
			case 1:
				return etys[0], nil
			default:
				return cty.NilType, function.NewArgErrorf(0, "one needs a list with zero or one elements, but this one has %d", len(etys))
			}
		default:
			return cty.NilType, function.NewArgErrorf(0, "one needs a list, set or tuple with zero or one elements, not a %s", ty.FriendlyName())
		}
	},
	Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
		list := args[0]
		n := list.Length()
		if !n.IsKnown() {
			return cty.UnknownVal(retType), nil
		}
		switch l := list.LengthInt(); l {
		case 0:
			return cty.NullVal(retType), nil
		case 1:
			it := list.ElementIterator()
			it.Next()
			_, v := it.Element()
			return v, nil
		default:
			return cty.UnknownVal(retType), function.NewArgErrorf(0, "one needs a list with zero or one elements, but this one has %d", l)
		}
	},
})

// allTrueFunc is Terraform's alltrue: true when every element is true,
// including when there are none.
var allTrueFunc = function.New(&function.Spec{
	Description: "Reports whether every element of a list of booleans is true; true for an empty list.",
	Params: []function.Parameter{
		{Name: "list", Type: cty.List(cty.Bool)},
	},
	Type:         function.StaticReturnType(cty.Bool),
	RefineResult: refineNotNull,
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		result := cty.True
		for it := args[0].ElementIterator(); it.Next(); {
			_, v := it.Element()
			if !v.IsKnown() {
				result = cty.UnknownVal(cty.Bool)
				continue
			}
			if v.IsNull() || v.False() {
				return cty.False, nil
			}
		}
		return result, nil
	},
})

// anyTrueFunc is Terraform's anytrue: true when at least one element is
// true, so false for an empty list.
var anyTrueFunc = function.New(&function.Spec{
	Description: "Reports whether at least one element of a list of booleans is true; false for an empty list.",
	Params: []function.Parameter{
		{Name: "list", Type: cty.List(cty.Bool)},
	},
	Type:         function.StaticReturnType(cty.Bool),
	RefineResult: refineNotNull,
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		result := cty.False
		for it := args[0].ElementIterator(); it.Next(); {
			_, v := it.Element()
			if !v.IsKnown() {
				result = cty.UnknownVal(cty.Bool)
				continue
			}
			if !v.IsNull() && v.True() {
				return cty.True, nil
			}
		}
		return result, nil
	},
})

// describeElement names the i-th element of a list or tuple for an error
// message; a set's elements have no order, so it names none of them.
func describeElement(ty cty.Type, i int) string {
	if ty.IsSetType() {
		return "an element of the set"
	}
	return fmt.Sprintf("element %d of the list", i)
}
