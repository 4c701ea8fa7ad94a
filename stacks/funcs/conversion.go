package funcs

import (
	"strconv"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
)

// makeToFunc builds one of the explicit conversion functions (tostring,
// tonumber, tobool, tolist, toset, tomap) the way Terraform's MakeToFunc
// does. The argument is taken as it is, whatever its type, so that the
// function rather than cty's implicit conversion words the error: the user
// asked for this conversion explicitly.
func makeToFunc(want cty.Type) function.Function {
	return function.New(&function.Spec{
		Description: "Converts its argument to " + want.FriendlyNameForConstraint() + ".",
		Params: []function.Parameter{
			{
				Name:             "v",
				Type:             cty.DynamicPseudoType,
				AllowNull:        true,
				AllowMarked:      true,
				AllowDynamicType: true,
			},
		},
		Type: func(args []cty.Value) (cty.Type, error) {
			got := args[0].Type()
			if got.Equals(want) {
				return want, nil
			}
			// The unsafe conversion may still fail for some values (the
			// string "yes" to a bool); Impl reports those.
			if convert.GetConversionUnsafe(got, want) == nil {
				switch {
				case got.IsTupleType() && want.IsTupleType():
					return cty.NilType, function.NewArgErrorf(0, "cannot convert this tuple: %s", convert.MismatchMessage(got, want))
				case got.IsObjectType() && want.IsObjectType():
					return cty.NilType, function.NewArgErrorf(0, "cannot convert this object: %s", convert.MismatchMessage(got, want))
				default:
					return cty.NilType, function.NewArgErrorf(0, "cannot convert a %s to %s", got.FriendlyName(), want.FriendlyNameForConstraint())
				}
			}
			return want, nil
		},
		Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
			ret, err := convert.Convert(args[0], retType)
			if err == nil {
				return ret, nil
			}
			val, marks := args[0].UnmarkDeep()
			got := val.Type()
			switch {
			case len(marks) > 0:
				// A marked value may be sensitive: say nothing about it.
				return cty.UnknownVal(retType), function.NewArgErrorf(0, "cannot convert this %s to %s; its value is not shown because it may be sensitive", got.FriendlyName(), want.FriendlyNameForConstraint())
			case got == cty.String && want == cty.Bool && !val.IsNull():
				return cty.UnknownVal(retType), function.NewArgErrorf(0, `cannot convert %s to bool; only the strings "true" and "false" convert`, strconv.Quote(val.AsString()))
			case got == cty.String && want == cty.Number && !val.IsNull():
				return cty.UnknownVal(retType), function.NewArgErrorf(0, "cannot convert %s to number; the string must be a decimal number such as \"12\" or \"1.5\"", strconv.Quote(val.AsString()))
			default:
				return cty.UnknownVal(retType), function.NewArgErrorf(0, "cannot convert this %s to %s: %s", got.FriendlyName(), want.FriendlyNameForConstraint(), err)
			}
		},
	})
}
