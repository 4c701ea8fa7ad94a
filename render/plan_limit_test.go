package render

import (
	"fmt"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/planner/plan"
)

// TestPlanTextMaxChanges: a plan cut short shows its first changes, counts
// the rest, keeps the summary of all of them and says how to see them.
func TestPlanTextMaxChanges(t *testing.T) {
	t.Parallel()
	p := &plan.Plan{Environment: "dev", TargetStage: "s"}
	for i := range 5 {
		p.Changes = append(p.Changes, create("sim", "cache", fmt.Sprintf("cache.c[%d]", i), map[string]cty.Value{"engine": str("redis")}))
	}
	var b strings.Builder
	if err := PlanText(&b, p, Options{MaxChanges: 2, Width: 300}); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{"cache.c[1] will be created", "3 more resource changes", "5 in all", "Plan: 5 to create", "plan -out FILE", "-o json"} {
		if !strings.Contains(got, want) {
			t.Errorf("plan lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "cache.c[2]") {
		t.Errorf("plan shows a third change:\n%s", got)
	}
	b.Reset()
	if err := PlanText(&b, p, Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "cache.c[4] will be created") || strings.Contains(b.String(), "more resource changes") {
		t.Errorf("a plan without a limit is cut short:\n%s", b.String())
	}
}
