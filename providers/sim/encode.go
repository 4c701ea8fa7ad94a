package sim

import (
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/zclconf/go-cty/cty"
)

// The journal's lines are written and read by hand rather than through
// encoding/json and cty/json: encoding dominated the cost of a create with
// a path (cty/json prints every number through big.Float's shortest
// decimal search, and encoding/json re-validates an embedded value), and
// cty/json's decoder allocated about 35 KB per line on replay. The format is
// plain JSON, the same cty/json would write, so the file stays readable by
// any tool.

// appendValue appends v, which is known and unmarked, as JSON.
func appendValue(b []byte, v cty.Value) []byte {
	if v.IsNull() {
		return append(b, "null"...)
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		return appendString(b, v.AsString())
	case ty == cty.Number:
		bf := v.AsBigFloat()
		if i, acc := bf.Int64(); acc == big.Exact {
			return strconv.AppendInt(b, i, 10)
		}
		return bf.Append(b, 'f', -1)
	case ty == cty.Bool:
		return strconv.AppendBool(b, v.True())
	case ty.IsObjectType():
		names := make([]string, 0, len(ty.AttributeTypes()))
		for name := range ty.AttributeTypes() {
			names = append(names, name)
		}
		slices.Sort(names)
		b = append(b, '{')
		for i, name := range names {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, name)
			b = append(b, ':')
			b = appendValue(b, v.GetAttr(name))
		}
		return append(b, '}')
	case ty.IsMapType():
		b = append(b, '{')
		first := true
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendString(b, k.AsString())
			b = append(b, ':')
			b = appendValue(b, ev)
		}
		return append(b, '}')
	default: // list, set, tuple
		b = append(b, '[')
		first := true
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendValue(b, ev)
		}
		return append(b, ']')
	}
}

// appendString appends s as a JSON string: directly when it is printable
// ASCII without quotes or backslashes (ids, addresses, most values), and
// through encoding/json otherwise.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, err := json.Marshal(s)
			if err != nil {
				panic(err) // a string always encodes
			}
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendTags appends a tag map as a JSON object with sorted keys.
func appendTags(b []byte, tags map[string]string) []byte {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, tags[k])
	}
	return append(b, '}')
}

// decodeValue turns JSON decoded with UseNumber into a value of type ty.
// It is the reverse of appendValue, written for the same reason:
// cty/json's decoder made replaying a 5,000-resource journal allocate
// 35 KB per line.
func decodeValue(x any, ty cty.Type) (cty.Value, error) {
	if x == nil {
		return cty.NullVal(ty), nil
	}
	mismatch := func() (cty.Value, error) {
		return cty.NilVal, fmt.Errorf("%T where %s belongs", x, ty.FriendlyName())
	}
	switch {
	case ty == cty.String:
		s, ok := x.(string)
		if !ok {
			return mismatch()
		}
		return cty.StringVal(s), nil
	case ty == cty.Number:
		n, ok := x.(json.Number)
		if !ok {
			return mismatch()
		}
		return cty.ParseNumberVal(string(n))
	case ty == cty.Bool:
		b, ok := x.(bool)
		if !ok {
			return mismatch()
		}
		return cty.BoolVal(b), nil
	case ty.IsObjectType():
		m, ok := x.(map[string]any)
		if !ok {
			return mismatch()
		}
		atys := ty.AttributeTypes()
		for name := range m {
			if _, ok := atys[name]; !ok {
				return cty.NilVal, fmt.Errorf("unexpected attribute %q", name)
			}
		}
		attrs := make(map[string]cty.Value, len(atys))
		for name, aty := range atys {
			v, err := decodeValue(m[name], aty)
			if err != nil {
				return cty.NilVal, fmt.Errorf("%s: %w", name, err)
			}
			attrs[name] = v
		}
		return cty.ObjectVal(attrs), nil
	case ty.IsMapType():
		m, ok := x.(map[string]any)
		if !ok {
			return mismatch()
		}
		if len(m) == 0 {
			return cty.MapValEmpty(ty.ElementType()), nil
		}
		elems := make(map[string]cty.Value, len(m))
		for k, e := range m {
			v, err := decodeValue(e, ty.ElementType())
			if err != nil {
				return cty.NilVal, fmt.Errorf("[%q]: %w", k, err)
			}
			elems[k] = v
		}
		return cty.MapVal(elems), nil
	case ty.IsListType() || ty.IsSetType():
		s, ok := x.([]any)
		if !ok {
			return mismatch()
		}
		if len(s) == 0 {
			if ty.IsSetType() {
				return cty.SetValEmpty(ty.ElementType()), nil
			}
			return cty.ListValEmpty(ty.ElementType()), nil
		}
		elems := make([]cty.Value, len(s))
		for i, e := range s {
			v, err := decodeValue(e, ty.ElementType())
			if err != nil {
				return cty.NilVal, fmt.Errorf("[%d]: %w", i, err)
			}
			elems[i] = v
		}
		if ty.IsSetType() {
			return cty.SetVal(elems), nil
		}
		return cty.ListVal(elems), nil
	case ty.IsTupleType():
		s, ok := x.([]any)
		etys := ty.TupleElementTypes()
		if !ok || len(s) != len(etys) {
			return mismatch()
		}
		elems := make([]cty.Value, len(s))
		for i, e := range s {
			v, err := decodeValue(e, etys[i])
			if err != nil {
				return cty.NilVal, fmt.Errorf("[%d]: %w", i, err)
			}
			elems[i] = v
		}
		return cty.TupleVal(elems), nil
	}
	return mismatch()
}
