package plan

import (
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/stacks/marks"
)

// TestValuesEqual checks the comparison the planner's diff and the
// rendered diff share: marks at any depth do not matter, unknowns are
// never equal, and nulls equal only nulls.
func TestValuesEqual(t *testing.T) {
	t.Parallel()
	secret := cty.StringVal("hunter2").Mark(marks.Sensitive)
	obj := func(v cty.Value) cty.Value {
		return cty.ObjectVal(map[string]cty.Value{"env": cty.MapVal(map[string]cty.Value{"PASSWORD": v})})
	}
	tests := map[string]struct {
		a, b cty.Value
		want bool
	}{
		"same":                     {cty.StringVal("a"), cty.StringVal("a"), true},
		"different":                {cty.StringVal("a"), cty.StringVal("b"), false},
		"marked at the top":        {secret, cty.StringVal("hunter2"), true},
		"marked deep inside":       {obj(secret), obj(cty.StringVal("hunter2")), true},
		"marked deep, different":   {obj(secret), obj(cty.StringVal("swordfish")), false},
		"unknown":                  {cty.UnknownVal(cty.String), cty.UnknownVal(cty.String), false},
		"unknown deep inside":      {obj(cty.UnknownVal(cty.String)), obj(cty.StringVal("a")), false},
		"null and null":            {cty.NullVal(cty.String), cty.NullVal(cty.String), true},
		"marked null and null":     {cty.NullVal(cty.String).Mark(marks.Sensitive), cty.NullVal(cty.String), true},
		"null and value":           {cty.NullVal(cty.String), cty.StringVal("a"), false},
		"different types":          {cty.StringVal("1"), cty.NumberIntVal(1), false},
		"list and marked elements": {cty.ListVal([]cty.Value{secret}), cty.ListVal([]cty.Value{cty.StringVal("hunter2")}), true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := ValuesEqual(tt.a, tt.b); got != tt.want {
				t.Errorf("ValuesEqual(%#v, %#v) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}
