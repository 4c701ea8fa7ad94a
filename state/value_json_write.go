package state

import (
	"bytes"
	"encoding/json"
	"math/big"
	"slices"
	"strconv"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// marshalValue writes the JSON of v, of type ty, byte for byte as
// ctyjson.Marshal does, in one pass over the value with no intermediate
// values: recording a resource during apply is mostly this. Values it
// does not handle itself (a type that needs converting or has dynamic
// parts, unknown or marked values, infinities, capsules) go to ctyjson,
// which also words the errors.
func marshalValue(v cty.Value, ty cty.Type) ([]byte, error) {
	if ty.HasDynamicTypes() || !v.Type().Equals(ty) {
		return ctyjson.Marshal(v, ty)
	}
	var b bytes.Buffer
	if !appendJSON(&b, v, ty) {
		return ctyjson.Marshal(v, ty)
	}
	return b.Bytes(), nil
}

// appendJSON writes v of type ty (v's own type) to b and reports false
// when v holds something marshalValue leaves to ctyjson.
func appendJSON(b *bytes.Buffer, v cty.Value, ty cty.Type) bool {
	if v.IsMarked() || !v.IsKnown() {
		return false
	}
	if v.IsNull() {
		b.WriteString("null")
		return true
	}
	switch {
	case ty == cty.String:
		appendJSONString(b, v.AsString())
	case ty == cty.Number:
		f := v.AsBigFloat()
		if f.IsInf() {
			return false
		}
		if i, acc := f.Int64(); acc == big.Exact && (i != 0 || !f.Signbit()) {
			b.WriteString(strconv.FormatInt(i, 10))
		} else {
			b.WriteString(f.Text('f', -1))
		}
	case ty == cty.Bool:
		if v.True() {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case ty.IsListType(), ty.IsSetType(), ty.IsTupleType():
		var etys []cty.Type
		if ty.IsTupleType() {
			etys = ty.TupleElementTypes()
		}
		b.WriteByte('[')
		i := 0
		for it := v.ElementIterator(); it.Next(); i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			_, e := it.Element()
			var ety cty.Type
			if etys != nil {
				ety = etys[i]
			} else {
				ety = ty.ElementType()
			}
			if !appendJSON(b, e, ety) {
				return false
			}
		}
		b.WriteByte(']')
	case ty.IsMapType():
		b.WriteByte('{')
		i := 0
		for it := v.ElementIterator(); it.Next(); i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			k, e := it.Element()
			appendJSONString(b, k.AsString())
			b.WriteByte(':')
			if !appendJSON(b, e, ty.ElementType()) {
				return false
			}
		}
		b.WriteByte('}')
	case ty.IsObjectType():
		atys := ty.AttributeTypes()
		names := make([]string, 0, len(atys))
		for name := range atys {
			names = append(names, name)
		}
		slices.Sort(names)
		b.WriteByte('{')
		for i, name := range names {
			if i > 0 {
				b.WriteByte(',')
			}
			appendJSONString(b, name)
			b.WriteByte(':')
			if !appendJSON(b, v.GetAttr(name), atys[name]) {
				return false
			}
		}
		b.WriteByte('}')
	default:
		return false
	}
	return true
}

// appendJSONString writes s as encoding/json does: plain printable ASCII
// as it is, anything else through json.Marshal (which escapes HTML
// characters, control characters and invalid UTF-8 in its own way).
func appendJSONString(b *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			enc, _ := json.Marshal(s)
			b.Write(enc)
			return
		}
	}
	b.WriteByte('"')
	b.WriteString(s)
	b.WriteByte('"')
}
