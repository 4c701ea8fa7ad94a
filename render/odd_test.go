package render

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/stacks/addrs"
)

// TestOddPlans renders plans no planner of this version makes (a plan file
// from another version, hand-written JSON decoded): every renderer must
// still produce something readable and never panic.
func TestOddPlans(t *testing.T) {
	t.Parallel()
	objTy := kindFor("sim", "cache").ImpliedType()
	tests := map[string]struct {
		change *plan.Change
		want   string
	}{
		"no values": {&plan.Change{Address: addrs.MustParse("cache.a"), Kind: "cache", Action: plan.ActionCreate},
			`+ cache "a" {`},
		"wholly unknown after": {&plan.Change{Address: addrs.MustParse("cache.a"), Kind: "cache", Action: plan.ActionCreate,
			Before: cty.NullVal(objTy), After: cty.UnknownVal(objTy)}, "+ engine          = (known after apply)"},
		"unknown kind": {&plan.Change{Address: addrs.MustParse("widget.w"), Kind: "widget", Action: plan.ActionUpdate,
			Before: cty.ObjectVal(map[string]cty.Value{"size": num(1)}), After: cty.ObjectVal(map[string]cty.Value{"size": num(2)})},
			"~ size = 1 -> 2"},
		"not an object": {&plan.Change{Address: addrs.MustParse("cache.a"), Kind: "cache", Action: plan.ActionUpdate,
			Before: str("x"), After: str("y")}, `~ value = "x" -> "y"`},
		"no address": {&plan.Change{Kind: "cache", Action: plan.ActionDelete,
			Before: object("sim", "cache", map[string]cty.Value{"id": str("c-1"), "engine": str("redis")}), After: cty.NullVal(objTy)},
			`- cache "" {`},
		"type change": {&plan.Change{Address: addrs.MustParse("cache.a"), Kind: "cache", Action: plan.ActionUpdate,
			Before: cty.ObjectVal(map[string]cty.Value{"v": str("1")}), After: cty.ObjectVal(map[string]cty.Value{"v": num(1)})},
			`~ v = "1" -> 1`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := &plan.Plan{Environment: "dev", TargetStage: "s", Changes: []*plan.Change{tt.change},
				Drift: []*plan.Drift{{Address: tt.change.Address, Before: tt.change.Before, Actual: tt.change.After}}}
			for ext, render := range renderers {
				got, err := render(p)
				if err != nil && ext != "json" {
					t.Errorf("%s: %v", ext, err)
				}
				if ext == "txt" && !strings.Contains(got, tt.want) {
					t.Errorf("text lacks %q:\n%s", tt.want, got)
				}
			}
		})
	}
}
