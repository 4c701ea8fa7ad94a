package schema

import (
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestUnmarked(t *testing.T) {
	t.Parallel()
	secret := cty.StringVal("s").Mark("sensitive")
	tests := map[string]cty.Value{
		"plain":            cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("x")}),
		"marked attribute": cty.ObjectVal(map[string]cty.Value{"a": secret}),
		"marked in a map":  cty.ObjectVal(map[string]cty.Value{"env": cty.MapVal(map[string]cty.Value{"K": secret})}),
		"marked in a list": cty.ListVal([]cty.Value{cty.StringVal("a"), secret}),
		"marked itself":    cty.StringVal("x").Mark("sensitive"),
		"unknown, marked":  cty.UnknownVal(cty.String).Mark("sensitive"),
		"null object":      cty.NullVal(cty.Object(map[string]cty.Type{"a": cty.String})),
	}
	for name, v := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got, want := hasMarks(v), v.ContainsMarked(); got != want {
				t.Errorf("hasMarks = %v, cty says %v", got, want)
			}
			u := Unmarked(v)
			if u.ContainsMarked() {
				t.Errorf("Unmarked left marks: %#v", u)
			}
			plain, _ := v.UnmarkDeep()
			if !u.RawEquals(plain) {
				t.Errorf("Unmarked = %#v, want %#v", u, plain)
			}
		})
	}
}
