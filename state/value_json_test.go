package state

import (
	"testing"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/providertest"
)

// TestUnmarshalValueMatchesCty decodes what cty's json package writes and
// compares with what it reads back, for every kind's full value and for
// the shapes the kinds use, plus the errors.
func TestUnmarshalValueMatchesCty(t *testing.T) {
	t.Parallel()
	objTy := cty.Object(map[string]cty.Type{"s": cty.String, "n": cty.Number, "b": cty.Bool,
		"l": cty.List(cty.String), "m": cty.Map(cty.Number), "set": cty.Set(cty.String),
		"t": cty.Tuple([]cty.Type{cty.String, cty.Number}), "o": cty.Object(map[string]cty.Type{"x": cty.String})})
	values := map[string]cty.Value{
		"object of everything": cty.ObjectVal(map[string]cty.Value{
			"s": cty.StringVal("a\"b"), "n": cty.MustParseNumberVal("12345678901234567890.5"), "b": cty.True,
			"l": cty.ListVal([]cty.Value{cty.StringVal("x"), cty.StringVal("y")}), "m": cty.MapVal(map[string]cty.Value{"k": cty.NumberIntVal(-3)}),
			"set": cty.SetVal([]cty.Value{cty.StringVal("p"), cty.StringVal("q")}), "t": cty.TupleVal([]cty.Value{cty.StringVal("z"), cty.NumberIntVal(1)}),
			"o": cty.ObjectVal(map[string]cty.Value{"x": cty.NullVal(cty.String)}),
		}),
		"empty collections": cty.ObjectVal(map[string]cty.Value{
			"s": cty.NullVal(cty.String), "n": cty.NullVal(cty.Number), "b": cty.False,
			"l": cty.ListValEmpty(cty.String), "m": cty.MapValEmpty(cty.Number), "set": cty.SetValEmpty(cty.String),
			"t": cty.NullVal(cty.Tuple([]cty.Type{cty.String, cty.Number})), "o": cty.NullVal(cty.Object(map[string]cty.Type{"x": cty.String})),
		}),
		"null object": cty.NullVal(objTy),
	}
	for _, kind := range kinds.Names() {
		s, _ := kinds.Schema(kind)
		schema := s.ForProvider("sim")
		values["kind "+kind] = providertest.Desired(schema, nil)
	}
	for name, v := range values {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := ctyjson.Marshal(v, v.Type())
			if err != nil {
				t.Fatal(err)
			}
			want, err := ctyjson.Unmarshal(data, v.Type())
			if err != nil {
				t.Fatal(err)
			}
			got, err := unmarshalValue(data, v.Type())
			if err != nil {
				t.Fatalf("unmarshalValue(%s): %v", data, err)
			}
			if !got.RawEquals(want) {
				t.Errorf("unmarshalValue(%s) = %#v, want %#v", data, got, want)
			}
		})
	}
	lenient := map[string]struct {
		json string
		ty   cty.Type
	}{
		"number for string": {`1.5`, cty.String},
		"bool for string":   {`true`, cty.String},
		"string for number": {`"8080"`, cty.Number},
		"string for bool":   {`"false"`, cty.Bool},
	}
	for name, tc := range lenient {
		t.Run("lenient "+name, func(t *testing.T) {
			t.Parallel()
			want, err := ctyjson.Unmarshal([]byte(tc.json), tc.ty)
			if err != nil {
				t.Fatalf("cty's decoder refuses %s: %v", tc.json, err)
			}
			got, err := unmarshalValue([]byte(tc.json), tc.ty)
			if err != nil || !got.RawEquals(want) {
				t.Errorf("unmarshalValue(%s) = %#v, %v; want %#v as cty's decoder reads it", tc.json, got, err, want)
			}
		})
	}
	bad := map[string]struct {
		json string
		ty   cty.Type
	}{
		"string for number": {`"x"`, cty.Number},
		"extra attribute":   {`{"s":"a","zz":1}`, objTy},
		"array for object":  {`[1]`, objTy},
		"short tuple":       {`["a"]`, cty.Tuple([]cty.Type{cty.String, cty.Number})},
		"not json":          {`{`, cty.String},
		"object for string": {`{"a":1}`, cty.String},
		"word for number":   {`"many"`, cty.Number},
	}
	for name, tc := range bad {
		t.Run("bad "+name, func(t *testing.T) {
			t.Parallel()
			if _, err := unmarshalValue([]byte(tc.json), tc.ty); err == nil {
				t.Errorf("unmarshalValue(%s) took it; cty's decoder refuses it", tc.json)
			}
			if _, err := ctyjson.Unmarshal([]byte(tc.json), tc.ty); err == nil {
				t.Errorf("cty's decoder took %s: the case does not test a refusal", tc.json)
			}
		})
	}
}
