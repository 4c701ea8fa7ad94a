package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// unmarshalValue decodes the JSON of a value of type ty, the format cty's
// json package writes. It reads the document in one pass of encoding/json
// and builds the value from that, which is several times faster than
// ctyjson.Unmarshal's token stream; reading a large state is mostly this.
// Types with dynamic parts, whose JSON carries its own types, go to
// ctyjson.
func unmarshalValue(data []byte, ty cty.Type) (cty.Value, error) {
	if ty.HasDynamicTypes() {
		return ctyjson.Unmarshal(data, ty)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return cty.NilVal, err
	}
	if dec.More() {
		return cty.NilVal, fmt.Errorf("extra data after the value")
	}
	return valueFromJSON(doc, ty, nil)
}

func valueFromJSON(doc any, ty cty.Type, path cty.Path) (cty.Value, error) {
	if doc == nil {
		return cty.NullVal(ty), nil
	}
	bad := func(want string) (cty.Value, error) {
		return cty.NilVal, path.NewErrorf("%s required, found %s", want, jsonKind(doc))
	}
	switch {
	// Primitives convert as cty's decoder does: a number or bool where a
	// string belongs, a numeric string where a number does.
	case ty == cty.String:
		switch x := doc.(type) {
		case string:
			return cty.StringVal(x), nil
		case json.Number:
			return cty.StringVal(string(x)), nil
		case bool:
			return cty.StringVal(strconv.FormatBool(x)), nil
		}
		return bad("string")
	case ty == cty.Number:
		var text string
		switch x := doc.(type) {
		case json.Number:
			text = string(x)
		case string:
			text = x
		default:
			return bad("number")
		}
		v, err := cty.ParseNumberVal(text)
		if err != nil {
			return cty.NilVal, path.NewError(err)
		}
		return v, nil
	case ty == cty.Bool:
		switch x := doc.(type) {
		case bool:
			return cty.BoolVal(x), nil
		case string:
			if b, err := strconv.ParseBool(x); err == nil && (x == "true" || x == "false") {
				return cty.BoolVal(b), nil
			}
		}
		return bad("bool")
	case ty.IsListType(), ty.IsSetType():
		arr, ok := doc.([]any)
		if !ok {
			return bad("array")
		}
		ety := ty.ElementType()
		if len(arr) == 0 {
			if ty.IsListType() {
				return cty.ListValEmpty(ety), nil
			}
			return cty.SetValEmpty(ety), nil
		}
		elems := make([]cty.Value, len(arr))
		for i, e := range arr {
			v, err := valueFromJSON(e, ety, path.IndexInt(i))
			if err != nil {
				return cty.NilVal, err
			}
			elems[i] = v
		}
		if ty.IsListType() {
			return cty.ListVal(elems), nil
		}
		return cty.SetVal(elems), nil
	case ty.IsTupleType():
		arr, ok := doc.([]any)
		if !ok {
			return bad("array")
		}
		etys := ty.TupleElementTypes()
		if len(arr) != len(etys) {
			return cty.NilVal, path.NewErrorf("%d elements required, found %d", len(etys), len(arr))
		}
		if len(arr) == 0 {
			return cty.EmptyTupleVal, nil
		}
		elems := make([]cty.Value, len(arr))
		for i, e := range arr {
			v, err := valueFromJSON(e, etys[i], path.IndexInt(i))
			if err != nil {
				return cty.NilVal, err
			}
			elems[i] = v
		}
		return cty.TupleVal(elems), nil
	case ty.IsMapType():
		obj, ok := doc.(map[string]any)
		if !ok {
			return bad("object")
		}
		ety := ty.ElementType()
		if len(obj) == 0 {
			return cty.MapValEmpty(ety), nil
		}
		vals := make(map[string]cty.Value, len(obj))
		for k, e := range obj {
			v, err := valueFromJSON(e, ety, path.Index(cty.StringVal(k)))
			if err != nil {
				return cty.NilVal, err
			}
			vals[k] = v
		}
		return cty.MapVal(vals), nil
	case ty.IsObjectType():
		obj, ok := doc.(map[string]any)
		if !ok {
			return bad("object")
		}
		atys := ty.AttributeTypes()
		for k := range obj {
			if _, ok := atys[k]; !ok {
				return cty.NilVal, path.NewErrorf("unsupported attribute %q", k)
			}
		}
		if len(atys) == 0 {
			return cty.EmptyObjectVal, nil
		}
		vals := make(map[string]cty.Value, len(atys))
		for name, aty := range atys {
			v, err := valueFromJSON(obj[name], aty, path.GetAttr(name))
			if err != nil {
				return cty.NilVal, err
			}
			vals[name] = v
		}
		return cty.ObjectVal(vals), nil
	}
	return cty.NilVal, path.NewErrorf("cannot decode a value of type %s", ty.FriendlyName())
}

// jsonKind names what a decoded JSON value is, for errors.
func jsonKind(doc any) string {
	switch doc.(type) {
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "bool"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "null"
}
