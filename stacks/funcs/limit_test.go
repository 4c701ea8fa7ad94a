package funcs

import (
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"
)

// TestFunctionResultLimits checks that the functions that can build a
// result far larger than their arguments refuse to, before building it:
// each case would otherwise allocate gigabytes or terabytes.
func TestFunctionResultLimits(t *testing.T) {
	t.Parallel()
	thousand := make([]cty.Value, 1000)
	for i := range thousand {
		thousand[i] = cty.NumberIntVal(int64(i))
	}
	vars := map[string]cty.Value{
		"l":   cty.ListVal(thousand),
		"big": cty.StringVal(strings.Repeat("x", 8192)),
	}
	cases := map[string]exprCase{
		"setproduct bomb":     {expr: `setproduct(range(300), range(300), range(300))`, wantErr: "setproduct: the result would have 27000000 elements, more than 1000000, the limit for a collection built by a function"},
		"range":               {expr: `range(1025)`, wantErr: "more than 1024 values"},
		"flatten":             {expr: `flatten([for i in range(1001) : l])`, vars: vars, wantErr: "flatten: the result would have"},
		"concat":              {expr: `concat([for i in range(1001) : l]...)`, vars: vars, wantErr: "concat: the result would have 1001000 elements"},
		"join":                {expr: `join(",", [for i in range(1000) : big])`, vars: vars, wantErr: "join: the result would be"},
		"format width":        {expr: `format("%100000000d", 1)`, wantErr: "format: the result would be"},
		"format many verbs":   {expr: `format(join("", [for i in range(1000) : "%s"]), big)`, vars: vars, wantErr: "format: the result would be"},
		"formatlist":          {expr: `formatlist("%s", [for i in range(1000) : big])`, vars: vars, wantErr: "formatlist: the result would be"},
		"replace empty":       {expr: `replace(big, "", big)`, vars: vars, wantErr: "replace: the result would be 67125248 bytes long, more than 4 MiB"},
		"replace regexp":      {expr: `replace(big, "/x/", "$0$0$0")`, vars: vars, wantErr: "replace: the result would be"},
		"indent":              {expr: `indent(100000000, "a\nb")`, wantErr: "indent: the result would be"},
		"jsonencode":          {expr: `jsonencode([for i in range(1000) : big])`, vars: vars, wantErr: "jsonencode: the result would be"},
		"setproduct in limit": {expr: `length(setproduct(range(100), range(100)))`, want: cty.NumberIntVal(10000)},
		"join in limit":       {expr: `length(join(",", [for i in range(100) : big]))`, vars: vars, want: cty.NumberIntVal(100*8192 + 99)},
		"replace in limit":    {expr: `replace("a-b-c", "-", "+")`, want: cty.StringVal("a+b+c")},
		"format in limit":     {expr: `format("%5d|%-3s|", 42, "ab")`, want: cty.StringVal("   42|ab |")},
	}
	start := time.Now()
	runExprCases(t, cases)
	t.Cleanup(func() {
		if d := time.Since(start); d > time.Minute {
			t.Errorf("the limit cases took %s: a limit is checked after building the result", d)
		}
	})
}
