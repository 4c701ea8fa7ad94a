package funcs

import (
	"encoding/base64"
	"net/url"
	"unicode/utf8"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/stagecraft/stagecraft/stacks/limits"
)

// base64EncodeFunc is Terraform's base64encode: the standard Base64 encoding
// (with padding) of a string's UTF-8 bytes.
var base64EncodeFunc = function.New(&function.Spec{
	Description: "Encodes a string's UTF-8 bytes as standard Base64.",
	Params: []function.Parameter{
		{Name: "str", Type: cty.String},
	},
	Type:         function.StaticReturnType(cty.String),
	RefineResult: refineNotNull,
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.StringVal(base64.StdEncoding.EncodeToString([]byte(args[0].AsString()))), nil
	},
})

// base64DecodeFunc is Terraform's base64decode. Stack strings are Unicode,
// so the decoded bytes must be valid UTF-8.
var base64DecodeFunc = function.New(&function.Spec{
	Description: "Decodes a standard Base64 string whose bytes are UTF-8 text.",
	Params: []function.Parameter{
		{Name: "str", Type: cty.String},
	},
	Type:         function.StaticReturnType(cty.String),
	RefineResult: refineNotNull,
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		decoded, err := base64.StdEncoding.DecodeString(args[0].AsString())
		if err != nil {
			// The error gives the offset of the first bad byte, not the input,
			// which may be a secret.
			return cty.UnknownVal(cty.String), function.NewArgErrorf(0, "the string is not valid standard Base64: %s", err)
		}
		if !utf8.Valid(decoded) {
			return cty.UnknownVal(cty.String), function.NewArgErrorf(0, "the decoded bytes are not valid UTF-8 text, and stack strings can hold only text")
		}
		return cty.StringVal(string(decoded)), nil
	},
})

// urlEncodeFunc is Terraform's urlencode: the string escaped for use in a
// URL query, with spaces as "+".
var urlEncodeFunc = function.New(&function.Spec{
	Description: "Escapes a string for use in a URL query.",
	Params: []function.Parameter{
		{Name: "str", Type: cty.String},
	},
	Type:         function.StaticReturnType(cty.String),
	RefineResult: refineNotNull,
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.StringVal(url.QueryEscape(args[0].AsString())), nil
	},
})

// jsonDecodeFunc is stdlib's jsondecode, refusing JSON that nests deeper
// than limits.MaxDepth before the recursive decoder sees it.
var jsonDecodeFunc = function.New(&function.Spec{
	Description: stdlib.JSONDecodeFunc.Description(),
	Params:      stdlib.JSONDecodeFunc.Params(),
	Type: func(args []cty.Value) (cty.Type, error) {
		if err := jsonDepth(args[0]); err != nil {
			return cty.NilType, err
		}
		return stdlib.JSONDecodeFunc.ReturnTypeForValues(args)
	},
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		if err := jsonDepth(args[0]); err != nil {
			return cty.NilVal, err
		}
		return stdlib.JSONDecodeFunc.Call(args)
	},
})

func jsonDepth(arg cty.Value) error {
	if !arg.IsKnown() || arg.IsNull() {
		return nil
	}
	if err := limits.JSONDepth([]byte(arg.AsString())); err != nil {
		return function.NewArgErrorf(0, "jsondecode: %s", err)
	}
	return nil
}
