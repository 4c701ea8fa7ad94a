package render

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/stacks/addrs"
)

// TestSensitivePathsHide: an attribute the plan records as sensitive is
// hidden by every renderer even when no value carries the mark (values
// read back from a provider have none), in the change and in its drift.
func TestSensitivePathsHide(t *testing.T) {
	t.Parallel()
	const old, cur = "s3cr3t-old-value", "s3cr3t-new-value"
	val := func(pw string) cty.Value {
		return cty.ObjectVal(map[string]cty.Value{"name": str("db"), "password": str(pw)})
	}
	p := &plan.Plan{Environment: "dev", TargetStage: "s",
		Changes: []*plan.Change{{Address: addrs.MustParse("widget.w"), Kind: "widget", Action: plan.ActionUpdate,
			Before: val(old), After: val(cur), ChangedPaths: []cty.Path{cty.GetAttrPath("password")},
			SensitivePaths: []cty.Path{cty.GetAttrPath("password")}}},
		Drift: []*plan.Drift{{Address: addrs.MustParse("widget.w"), Kind: "widget", Paths: []cty.Path{cty.GetAttrPath("password")},
			Before: val(old), Actual: val("s3cr3t-drifted")}},
	}
	for ext, render := range renderers {
		got, err := render(p)
		if err != nil {
			t.Fatalf("%s: %v", ext, err)
		}
		if strings.Contains(got, "s3cr3t") {
			t.Errorf("%s shows a sensitive value:\n%s", ext, got)
		}
		if ext == "txt" && !strings.Contains(got, sensitiveText) {
			t.Errorf("%s does not say what it hides:\n%s", ext, got)
		}
	}
}
