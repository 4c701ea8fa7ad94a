package funcs

import (
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestConversionFunctions(t *testing.T) {
	t.Parallel()
	runExprCases(t, conversionCases())
}

func conversionCases() map[string]exprCase {
	secret := map[string]cty.Value{"secret": cty.StringVal("hunter2").Mark("sensitive")}
	return map[string]exprCase{
		"tostring number":  {expr: `tostring(42)`, want: cty.StringVal("42")},
		"tostring bool":    {expr: `tostring(true)`, want: cty.StringVal("true")},
		"tostring null":    {expr: `tostring(null)`, want: cty.NullVal(cty.String)},
		"tostring a tuple": {expr: `tostring(["a"])`, wantErr: "cannot convert a tuple to string"},
		"tonumber":         {expr: `tonumber("42")`, want: cty.NumberIntVal(42)},
		"tonumber a word":  {expr: `tonumber("forty-two")`, wantErr: `cannot convert "forty-two" to number`},
		"tonumber a secret": {
			expr:    `tonumber(secret)`,
			vars:    secret,
			wantErr: "cannot convert this string to number; its value is not shown because it may be sensitive",
		},
		"tobool":        {expr: `tobool("true")`, want: cty.True},
		"tobool a word": {expr: `tobool("yes")`, wantErr: `cannot convert "yes" to bool; only the strings "true" and "false" convert`},
		"tolist": {
			expr: `tolist(["a", "b"])`,
			want: cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")}),
		},
		"tolist mixed types": {
			expr: `tolist(["a", 1])`,
			want: cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("1")}),
		},
		"tolist a string": {expr: `tolist("a")`, wantErr: "cannot convert a string to list of any single type"},
		"toset": {
			expr: `toset(["a", "b", "a"])`,
			want: cty.SetVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")}),
		},
		"tomap": {
			expr: `tomap({a = 1, b = 2})`,
			want: cty.MapVal(map[string]cty.Value{"a": cty.NumberIntVal(1), "b": cty.NumberIntVal(2)}),
		},
		"tomap mismatched attributes": {expr: `tomap({a = "x", b = ["y"]})`, wantErr: "cannot convert"},
	}
}
