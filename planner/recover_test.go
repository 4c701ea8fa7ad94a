package planner

import (
	"context"
	"slices"
	"testing"

	"github.com/stagecraft/stagecraft/stacks/addrs"
)

// TestRebuildState: after an apply, the state rebuilt from the provider's
// tags records what the apply recorded: every resource with its id and
// dependencies, the stage and the outputs.
func TestRebuildState(t *testing.T) {
	t.Parallel()
	e := newEnv(t, map[string]string{"main.hcl": layeredGroups}, "s", nil)
	_, applied := e.apply(PlanOptions{})
	ds, diags := e.stack.Evaluate(e.req)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	rec, err := e.planner().RebuildState(context.Background(), ds)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Extra) != 0 || len(rec.Warnings) != 0 {
		t.Errorf("extra %v, warnings %q; want none", rec.Extra, rec.Warnings)
	}
	if rec.State.Stage != "s" || len(rec.State.Resources) != len(applied.Resources) {
		t.Fatalf("rebuilt stage %q with %d resources, want s with %d", rec.State.Stage, len(rec.State.Resources), len(applied.Resources))
	}
	for _, want := range applied.Resources {
		got, ok := rec.State.Resource(want.Address)
		if !ok {
			t.Errorf("the rebuilt state lacks %s", want.Address)
			continue
		}
		if got.ID != want.ID || got.Provider != "sim" || !slices.Equal(addrs.Strings(got.Dependencies), addrs.Strings(want.Dependencies)) {
			t.Errorf("%s rebuilt as id %s deps %v, want id %s deps %v", want.Address, got.ID, got.Dependencies, want.ID, want.Dependencies)
		}
	}
}
