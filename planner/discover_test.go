package planner

import (
	"context"
	"errors"
	"testing"

	"github.com/stagecraft/stagecraft/state"
)

// TestLostStateAdoptWithoutDuplicates: with the state lost while two
// copies of every resource exist (the state lost twice, applied twice), a
// plan refuses with the count, and --adopt keeps one copy per address,
// deletes the other, and leaves a plan with no changes.
func TestLostStateAdoptWithoutDuplicates(t *testing.T) {
	t.Parallel()
	e := newEnv(t, map[string]string{"main.hcl": layeredGroups}, "s", nil)
	first, applied := e.apply(PlanOptions{})
	n := len(applied.Resources)

	// The state is lost, and the first plan is applied again on top of
	// nothing: a second copy of everything, as apply did before it looked.
	e.backend = state.NewLocal(t.TempDir(), "test")
	if _, err := e.applyPlan(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	e.backend = state.NewLocal(t.TempDir(), "test")
	if got := len(e.cloud()); got != 2*n {
		t.Fatalf("the cloud holds %d resources, want two copies of %d", got, n)
	}

	_, err := e.tryPlan(PlanOptions{})
	var existing *ExistingError
	if !errors.As(err, &existing) || existing.Found != 2*n {
		t.Fatalf("plan with the state lost: err = %v, want an ExistingError for %d resources", err, 2*n)
	}

	p, st := e.apply(PlanOptions{Adopt: true})
	adopted, deleted := 0, 0
	for _, c := range p.Changes {
		switch {
		case c.Adopted && c.Deposed:
			deleted++
		case c.Adopted:
			adopted++
		default:
			t.Errorf("%s: %s, want only adoptions and deletions of extra copies", c.Address, c.Action)
		}
	}
	if adopted != n || deleted != n {
		t.Errorf("the --adopt plan adopts %d and deletes %d, want %d each", adopted, deleted, n)
	}
	if got := e.cloud(); len(got) != n || len(tracked(st)) != n {
		t.Errorf("after apply --adopt the cloud holds %v and the state %v, want %d each", got, tracked(st), n)
	}
	if again := e.plan(PlanOptions{}); again.HasChanges() {
		t.Errorf("plan after apply --adopt has changes:\n%s", actions(again))
	}
}
